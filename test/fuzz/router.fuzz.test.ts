// The router over arbitrary route tables (hosts, exact paths, :param patterns, prefixes, methods,
// header conditions; compiled through the config loader, as in production) and arbitrary requests:
// it never throws, and its answer is the one a brute-force reference gives — every route whose
// conditions hold, ranked by the precedence docs/config.md ("Routing") states.

import { expect, test } from "bun:test";
import fc from "fast-check";
import type { RoutePlan } from "../../src/config/plan.ts";
import { loadConfigText } from "../../src/config/load.ts";
import { Router, type RequestFacts } from "../../src/router/router.ts";
import { fuzzParams, fuzzTimeout } from "./fuzz-runs.ts";

// Small pools, so routes and requests meet often; odd pieces ("..", "%2F", ":", "é", "") included.
const SEGMENTS = ["a", "b", "users", "api", "v2", "x.y", "..", ".", "%2F", "é", "a:b", ""];
const PARAMS = [":id", ":name", ":"];
const VALUES = ["7", "a", "users", "users", "%2F", "é"];
const HOSTS = ["a.example", "B.Example", "c.example:8080", "[::1]"];
const REQUEST_HOSTS = ["", "a.example", "b.example", "c.example", "[::1]", "d.example"];
const METHODS = ["GET", "post", "PUT", "DELETE"];
const REQUEST_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "get"];
const HEADERS: [string, string][] = [["x-tenant", "acme"], ["X-Version", "2"], ["x-tenant", "other"], ["x-empty", ""]];

const segment = fc.constantFrom(...SEGMENTS);
const pathOf = (segs: string[], slash: boolean) => "/" + segs.join("/") + (slash && segs.length > 0 ? "/" : "");

const routeSpec = fc.record({
  host: fc.option(fc.subarray(HOSTS, { minLength: 1 }), { freq: 3 }),
  kind: fc.constantFrom("exact", "pattern", "prefix", "none"),
  // Mostly "a" and "users", so that several routes of a table claim the same requests.
  segs: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom("a", "users") }, { weight: 2, arbitrary: segment }, { weight: 2, arbitrary: fc.constantFrom(...PARAMS) }), { maxLength: 3 }),
  slash: fc.boolean(),
  methods: fc.option(fc.subarray(METHODS, { minLength: 1 }), { freq: 2 }),
  headers: fc.subarray(HEADERS.slice(0, 3), { maxLength: 2 }),
});
type RouteSpec = typeof routeSpec extends fc.Arbitrary<infer T> ? T : never;

/** Patterns of two or three segments over two literals: they overlap, with different literal counts. */
const overlappingPattern: fc.Arbitrary<RouteSpec> = fc
  .array(fc.constantFrom("a", "users", ":id", ":name"), { minLength: 2, maxLength: 3 })
  .map((segs) => ({ host: null, kind: "pattern", segs, slash: false, methods: null, headers: [] }));

/** The route as config: a pattern needs a :param; exact and prefix paths keep ":" only inside segments. */
function routeConfig(s: RouteSpec, i: number): Record<string, unknown> {
  const match: Record<string, unknown> = {};
  if (s.host !== null) match.host = s.host;
  if (s.methods !== null) match.methods = s.methods;
  if (s.headers.length > 0) match.headers = Object.fromEntries(s.headers.filter(([n], k, all) => all.findIndex(([m]) => m === n) === k));
  const literal = s.segs.filter((x) => !x.startsWith(":"));
  if (s.kind === "pattern") match.path = pathOf(s.segs.some((x) => x.startsWith(":")) ? s.segs : [...s.segs, ":id"], s.slash);
  else if (s.kind === "exact") match.path = pathOf(literal, s.slash);
  else if (s.kind === "prefix") match.pathPrefix = pathOf(literal, s.slash);
  return { name: `r${i}`, match, upstream: "u" };
}

const request = fc.record({
  method: fc.constantFrom(...REQUEST_METHODS),
  host: fc.constantFrom(...REQUEST_HOSTS),
  segs: fc.array(fc.oneof(segment, fc.constantFrom(...VALUES)), { maxLength: 4 }),
  slash: fc.boolean(),
  headers: fc.subarray([["x-tenant", "acme"], ["x-tenant", "other"], ["x-version", "2"], ["x-empty", ""]] as [string, string][], { maxLength: 3 }),
  // Most requests are aimed at one route of the table (its host, method, headers, path with the
  // params filled in, perhaps a segment more), so near misses and ties are common.
  aim: fc.option(fc.record({ route: fc.nat(), value: fc.constantFrom(...VALUES), extra: fc.array(segment, { maxLength: 1 }), keep: fc.boolean() }), { freq: 4 }),
});
type Req = typeof request extends fc.Arbitrary<infer T> ? T : never;

/** The request facts, aimed at a route when the request says so. */
function factsOf(q: Req, routes: readonly RoutePlan[]): RequestFacts {
  const facts: RequestFacts = { method: q.method, host: q.host, path: pathOf(q.segs, q.slash), headers: new Headers(q.headers) };
  if (q.aim === null) return facts;
  const m = routes[q.aim.route % routes.length]!.match;
  const base = m.path ?? m.pathPrefix ?? "/";
  const filled = base.split("/").map((s, i) => (i > 0 && s.startsWith(":") ? q.aim!.value : s)).join("/");
  const path = q.aim.extra.length > 0 ? `${filled.endsWith("/") ? filled : filled + "/"}${q.aim.extra[0]}` : filled;
  return {
    method: q.aim.keep && m.methods.length > 0 ? m.methods[0]! : q.method,
    host: q.aim.keep && m.hosts.length > 0 ? m.hosts[0]! : q.host,
    path,
    headers: q.aim.keep ? new Headers(m.headers.map((h) => [h.name, h.value])) : facts.headers,
  };
}

/** Whether the route's conditions hold, and its params: written from docs/config.md, not from the router. */
function holds(r: RoutePlan, q: RequestFacts): Record<string, string> | null {
  const m = r.match;
  if (m.hosts.length > 0 && !m.hosts.includes(q.host)) return null;
  if (m.methods.length > 0 && !m.methods.includes(q.method)) return null;
  for (const h of m.headers) if (q.headers.get(h.name) !== h.value) return null;
  if (m.path !== null) {
    const want = m.path.split("/");
    const got = q.path.split("/");
    if (want.length !== got.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < want.length; i++) {
      if (i > 0 && want[i]!.startsWith(":")) {
        if (got[i] === "") return null;
        params[want[i]!.slice(1)] = got[i]!;
      } else if (want[i] !== got[i]) return null;
    }
    return params;
  }
  const prefix = m.pathPrefix ?? "/";
  const inside = prefix === "/" || q.path === prefix || q.path.startsWith(prefix.endsWith("/") ? prefix : prefix + "/");
  return inside ? {} : null;
}

/** docs/config.md precedence: host condition; exact, pattern (more literals), prefix (longer); more conditions; file order. */
function rank(r: RoutePlan): number[] {
  const m = r.match;
  const pattern = m.path !== null && m.path.split("/").some((s, i) => i > 0 && s.startsWith(":"));
  const kind = m.path === null ? 2 : pattern ? 1 : 0;
  const literals = m.path === null ? 0 : m.path.split("/").filter((s, i) => i > 0 && !s.startsWith(":")).length;
  const specificity = kind === 0 ? 0 : kind === 1 ? -literals : -(m.pathPrefix ?? "/").length;
  const conditions = (m.methods.length > 0 ? 1 : 0) + m.headers.length;
  return [m.hosts.length > 0 ? 0 : 1, kind, specificity, -conditions, r.index];
}

function ranksBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function reference(routes: readonly RoutePlan[], q: RequestFacts): { name: string; params: Record<string, string> } | null {
  let best: { r: RoutePlan; params: Record<string, string>; rank: number[] } | null = null;
  for (const r of routes) {
    const params = holds(r, q);
    if (params === null) continue;
    const k = rank(r);
    if (best === null || ranksBefore(k, best.rank)) best = { r, params, rank: k };
  }
  return best === null ? null : { name: best.r.name, params: best.params };
}

const RUNS = 300;
test(`router: any table, any request — the reference's answer, never a throw (${RUNS} tables × 20 requests)`, () => {
  // Some tables have path conditions only, or overlapping patterns, so path precedence shows.
  const tables = fc.oneof(
    fc.array(routeSpec, { minLength: 1, maxLength: 8 }),
    fc.array(routeSpec, { minLength: 1, maxLength: 8 }).map((specs) => specs.map((s) => ({ ...s, host: null, methods: null, headers: [] }))),
    fc.tuple(fc.array(routeSpec, { maxLength: 3 }), fc.array(overlappingPattern, { minLength: 2, maxLength: 5 })).map(([a, b]) => [...a, ...b]),
  );
  fc.assert(
    fc.property(tables, fc.array(request, { minLength: 20, maxLength: 20 }), (table, reqs) => {
      const config = { upstreams: { u: { endpoints: ["http://127.0.0.1:9"] } }, routes: table.map(routeConfig) };
      const loaded = loadConfigText(JSON.stringify(config), "routes.yaml", {});
      if (!loaded.ok) throw new Error(`generated table did not load: ${loaded.errors.map((e) => e.message).join("; ")}\n${JSON.stringify(config)}`);
      const routes = loaded.plan.routes;
      const router = new Router(routes);
      for (const q of reqs) {
        const facts = factsOf(q, routes);
        const got = router.match(facts);
        const want = reference(routes, facts);
        expect(got === null ? null : { name: got.route.name, params: { ...got.params } }).toEqual(want);
      }
    }),
    fuzzParams(RUNS),
  );
}, fuzzTimeout(RUNS));
