// The compiled route matcher. Precedence, most specific first (docs/config.md, "Routing"):
//   1. routes with a host condition before routes without one;
//   2. exact path, then path pattern (more literal segments first), then prefix (longer first);
//   3. more conditions (methods, headers) before fewer;
//   4. config order breaks the remaining ties.
// The order is computed once at load; matching walks the pre-sorted list and stops at the first hit.

import type { RoutePlan } from "../config/plan.ts";
import { compilePattern, hasPathPrefix, isPattern, matchPattern, type PathPattern } from "./path-pattern.ts";

export interface RouteMatch {
  readonly route: RoutePlan;
  /** Param name → value for pattern routes; EMPTY_PARAMS otherwise. */
  readonly params: Readonly<Record<string, string>>;
}

export interface RequestFacts {
  readonly method: string;
  /** Lower-case host without port ("" when absent). */
  readonly host: string;
  readonly path: string;
  readonly headers: Headers;
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

interface CompiledRoute {
  readonly route: RoutePlan;
  readonly hosts: ReadonlySet<string> | null;
  readonly methods: ReadonlySet<string> | null;
  readonly exact: string | null;
  readonly pattern: PathPattern | null;
  readonly prefix: string;
  readonly rank: readonly number[];
}

export class Router {
  private readonly ordered: readonly CompiledRoute[];
  constructor(routes: readonly RoutePlan[]) {
    this.ordered = routes.map(compileRoute).sort(compareRank);
  }

  /** Routes in the order they are tried (for `keel check` and docs). */
  get order(): readonly RoutePlan[] {
    return this.ordered.map((c) => c.route);
  }

  match(req: RequestFacts): RouteMatch | null {
    const list = this.ordered;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (c.hosts !== null && !c.hosts.has(req.host)) continue;
      if (c.methods !== null && !c.methods.has(req.method)) continue;
      let params = EMPTY_PARAMS;
      if (c.exact !== null) {
        if (req.path !== c.exact) continue;
      } else if (c.pattern !== null) {
        const values = matchPattern(c.pattern, req.path);
        if (values === null) continue;
        params = toParams(c.pattern.paramNames, values);
      } else if (!hasPathPrefix(req.path, c.prefix)) continue;
      if (!headersMatch(c.route, req)) continue;
      return { route: c.route, params };
    }
    return null;
  }
}

function compileRoute(route: RoutePlan): CompiledRoute {
  const m = route.match;
  const path = m.path;
  const pattern = path !== null && isPattern(path) ? compilePattern(path) : null;
  const exact = path !== null && pattern === null ? path : null;
  const prefix = m.pathPrefix ?? "/";
  // Lower rank sorts first: each entry is one precedence rule above.
  const pathKind = exact !== null ? 0 : pattern !== null ? 1 : 2;
  const literalSegs = pattern ? pattern.segments.filter((s) => s !== null).length : 0;
  const specificity = pathKind === 0 ? 0 : pathKind === 1 ? -literalSegs : -prefix.length;
  const conditions = (m.methods.length > 0 ? 1 : 0) + m.headers.length;
  return {
    route,
    hosts: m.hosts.length > 0 ? new Set(m.hosts) : null,
    methods: m.methods.length > 0 ? new Set(m.methods) : null,
    exact,
    pattern,
    prefix,
    rank: [m.hosts.length > 0 ? 0 : 1, pathKind, specificity, -conditions, route.index],
  };
}

function compareRank(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.rank.length; i++) {
    const d = a.rank[i]! - b.rank[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function headersMatch(route: RoutePlan, req: RequestFacts): boolean {
  const hs = route.match.headers;
  for (let i = 0; i < hs.length; i++) {
    if (req.headers.get(hs[i]!.name) !== hs[i]!.value) return false;
  }
  return true;
}

function toParams(names: readonly string[], values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i]!;
  return out;
}
