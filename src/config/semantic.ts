// Checks the schema cannot express: cross-references, exclusive keys, URL shape, limits.
// Runs even when the schema found errors (so all problems show at once), hence the type guards.
import { didYouMean, formatPath } from "./describe.ts";
import { parseEndpoint } from "./endpoint.ts";
import { compileCidrs } from "../limits/client-ip.ts";
import { formatDuration, formatSize, parseDuration, parseSize } from "./units.ts";
import { BUN_MAX_HEADER_BYTES, DEFAULTS, MAX_IDLE_TIMEOUT_S } from "./schema.ts";
import type { ConfigPath } from "./describe.ts";
import type { Issue } from "./config-error.ts";
import { checkNormalization, paramNamesOf } from "./semantic-normalize.ts";
import { readTlsFiles } from "../server/tls/tls-files.ts";
import { checkMemoryBudget } from "./memory/check-budget.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Where a path is written: to point from one problem at another place, and to order keys. */
export interface Locator {
  offset(path: ConfigPath, atKey?: boolean): number;
  line(path: ConfigPath): number;
}

export function checkSemantics(config: unknown, where: Locator, source = "keel.yaml"): Issue[] {
  if (!isObj(config)) return [];
  const issues: Issue[] = [];
  const upstreams = isObj(config.upstreams) ? config.upstreams : {};

  for (const [name, up] of Object.entries(upstreams)) {
    if (!isObj(up) || !Array.isArray(up.endpoints)) continue;
    up.endpoints.forEach((entry, i) => {
      const url = isObj(entry) ? entry.url : entry;
      if (typeof url !== "string") return;
      const parsed = parseEndpoint(url);
      const path = isObj(entry) ? ["upstreams", name, "endpoints", i, "url"] : ["upstreams", name, "endpoints", i];
      if ("error" in parsed) issues.push({ path, message: `${formatPath(path)}: ${parsed.error}` });
    });
  }

  const firstByName = new Map<string, number>();
  const routes = Array.isArray(config.routes) ? config.routes : [];
  routes.forEach((route, i) => {
    if (!isObj(route)) return;
    const at = `routes[${i}]`;
    if (typeof route.name === "string") {
      const first = firstByName.get(route.name);
      if (first === undefined) firstByName.set(route.name, i);
      else issues.push({ path: ["routes", i, "name"], message: `${at}.name: duplicate route name "${route.name}"; first used by routes[${first}] at line ${where.line(["routes", first, "name"])}` });
    }
    if (typeof route.upstream === "string" && isObj(config.upstreams) && !has(upstreams, route.upstream)) {
      const names = Object.keys(upstreams);
      const hint = didYouMean(route.upstream, names);
      issues.push({
        path: ["routes", i, "upstream"],
        message: `${at}.upstream: no upstream named "${route.upstream}"; defined: ${names.join(", ") || "(none)"}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      });
    }
    const match = isObj(route.match) ? route.match : {};
    if (has(match, "path") && has(match, "pathPrefix")) {
      // Point at whichever of the two comes second in the file.
      const second = where.offset(["routes", i, "match", "path"], true) > where.offset(["routes", i, "match", "pathPrefix"], true) ? "path" : "pathPrefix";
      issues.push({ path: ["routes", i, "match", second], atKey: true, message: `${at}.match: give either path (exact) or pathPrefix, not both` });
    }
    if (route.stripPrefix === true && !has(match, "pathPrefix")) {
      issues.push({ path: ["routes", i, "stripPrefix"], atKey: true, message: `${at}.stripPrefix: needs match.pathPrefix (the prefix to strip)` });
    }
  });

  issues.push(...checkRateLimits(config, routes));
  issues.push(...checkResilience(upstreams, routes));
  issues.push(...checkNormalization(config, routes, source));

  const server = isObj(config.server) ? config.server : {};
  if (Array.isArray(server.trustedProxies)) {
    server.trustedProxies.forEach((entry, i) => {
      if (typeof entry !== "string") return;
      const parsed = compileCidrs([entry]);
      if ("error" in parsed) issues.push({ path: ["server", "trustedProxies", i], message: `server.trustedProxies[${i}]: ${parsed.error}` });
    });
  }
  const headerBytes = parseSize(server.maxHeaderBytes);
  if (typeof headerBytes === "number" && headerBytes > BUN_MAX_HEADER_BYTES) {
    issues.push({ path: ["server", "maxHeaderBytes"], message: `server.maxHeaderBytes: at most ${formatSize(BUN_MAX_HEADER_BYTES)} (Bun's own cap answers 431 past it), got "${server.maxHeaderBytes}"` });
  }
  const idle = parseDuration(server.idleTimeout);
  if (typeof idle === "number" && idle > MAX_IDLE_TIMEOUT_S * 1000) {
    issues.push({ path: ["server", "idleTimeout"], message: `server.idleTimeout: at most ${MAX_IDLE_TIMEOUT_S}s is supported (0s turns it off), got "${server.idleTimeout}"` });
  }

  // Two listeners on one port fail at startup; say so now. Wildcard hosts overlap every host.
  const listen: Obj = { ...DEFAULTS.listen, ...(isObj(config.listen) ? config.listen : {}) };
  const admin: Obj | null = config.admin === undefined ? DEFAULTS.admin : isObj(config.admin) ? { ...DEFAULTS.admin, ...config.admin } : null;
  const wild = (h: unknown) => h === "0.0.0.0" || h === "::";
  if (admin && typeof listen.port === "number" && listen.port !== 0 && listen.port === admin.port && (listen.host === admin.host || wild(listen.host) || wild(admin.host))) {
    issues.push({
      path: isObj(config.admin) && has(config.admin, "port") ? ["admin", "port"] : ["listen", "port"],
      message: `admin and listen both use port ${listen.port}; give the admin listener another port, or set admin: false`,
    });
  }
  issues.push(...checkTlsFiles(config, source));
  // Last: the budget needs a plan, so only a config with no other problem is checked against it.
  if (issues.length === 0) issues.push(...checkMemoryBudget(config, source));
  return issues;
}

/** listen.tls: both files exist, hold PEM, and the key is the certificate's (src/server/tls/tls-files.ts). */
function checkTlsFiles(config: Obj, source: string): Issue[] {
  const tls = isObj(config.listen) && isObj(config.listen.tls) ? config.listen.tls : null;
  if (tls === null || typeof tls.cert !== "string" || typeof tls.key !== "string" || tls.cert === "" || tls.key === "") return [];
  const read = readTlsFiles(tls.cert, tls.key, source);
  return read.ok ? [] : [{ path: ["listen", "tls", read.field], message: `listen.tls.${read.field}: ${read.message}` }];
}

/** Policy names routes refer to, `param:` key parts the route's path lacks, shared policies without redis. */
function checkRateLimits(config: Obj, routes: unknown[]): Issue[] {
  const issues: Issue[] = [];
  const named = isObj(config.rateLimits) ? config.rateLimits : {};
  const sharedNeedsRedis = (policy: unknown, path: ConfigPath) => {
    if (!isObj(policy) || policy.shared === undefined || policy.shared === false) return;
    if (config.redis === undefined) {
      issues.push({ path: [...path, "shared"], atKey: true, message: `${formatPath(path)}.shared: needs a redis: { url: ... } section, where shared limits keep their state` });
    }
    const ttl = isObj(policy.shared) ? parseDuration(policy.shared.leaseTtl) : null;
    if (typeof ttl === "number" && ttl < MIN_LEASE_TTL_MS) {
      issues.push({ path: [...path, "shared", "leaseTtl"], message: `${formatPath(path)}.shared.leaseTtl: at least ${MIN_LEASE_TTL_MS}ms (a lease must outlive the round trip to Redis), got "${(policy.shared as Obj).leaseTtl}"` });
    }
  };
  for (const [name, policy] of Object.entries(named)) sharedNeedsRedis(policy, ["rateLimits", name]);

  routes.forEach((route, i) => {
    if (!isObj(route) || route.rateLimit === undefined) return;
    const match = isObj(route.match) ? route.match : {};
    const params = typeof match.path === "string" ? paramNamesOf(match.path) : [];
    const refs = Array.isArray(route.rateLimit) ? route.rateLimit : [route.rateLimit];
    refs.forEach((ref, n) => {
      const path: ConfigPath = Array.isArray(route.rateLimit) ? ["routes", i, "rateLimit", n] : ["routes", i, "rateLimit"];
      let policy: unknown = ref;
      if (typeof ref === "string") {
        if (!has(named, ref)) {
          const names = Object.keys(named);
          const hint = didYouMean(ref, names);
          issues.push({ path, message: `${formatPath(path)}: no rate-limit policy named "${ref}"; defined under rateLimits: ${names.join(", ") || "(none)"}${hint ? ` (did you mean "${hint}"?)` : ""}` });
          return;
        }
        policy = named[ref];
      } else sharedNeedsRedis(ref, path);
      const key = isObj(policy) ? policy.key : undefined;
      for (const part of Array.isArray(key) ? key : [key]) {
        if (typeof part !== "string" || !part.startsWith("param:")) continue;
        const param = part.slice("param:".length);
        if (!params.includes(param)) {
          const where = typeof ref === "string" ? ` (key of policy "${ref}")` : "";
          issues.push({ path, message: `${formatPath(path)}: key part "${part}"${where} needs a :${param} segment in routes[${i}].match.path; the route's path params: ${params.map((p) => ":" + p).join(", ") || "(none)"}` });
        }
      }
    });
  });
  return issues;
}

/** A lease shorter than this would expire before it could be used. */
const MIN_LEASE_TTL_MS = 100;


/** Ejection lengths in order; a hash key's param present in every route that uses the upstream. */
function checkResilience(upstreams: Obj, routes: unknown[]): Issue[] {
  const issues: Issue[] = [];
  for (const [name, up] of Object.entries(upstreams)) {
    if (!isObj(up)) continue;
    const outlier = isObj(up.health) && isObj(up.health.outlier) ? up.health.outlier : null;
    if (outlier !== null) {
      const base = parseDuration(outlier.baseEjection ?? DEFAULTS.outlier.baseEjection);
      const max = parseDuration(outlier.maxEjection ?? DEFAULTS.outlier.maxEjection);
      if (typeof base === "number" && typeof max === "number" && max < base) {
        const at = has(outlier, "maxEjection") ? "maxEjection" : "baseEjection";
        issues.push({ path: ["upstreams", name, "health", "outlier", at], message: `upstreams.${name}.health.outlier: maxEjection (${formatDuration(max)}) is shorter than baseEjection (${formatDuration(base)})` });
      }
    }
    const hash = isObj(up.balance) && typeof up.balance.hash === "string" ? up.balance.hash : null;
    if (hash === null || !hash.startsWith("param:")) continue;
    const param = hash.slice("param:".length);
    routes.forEach((route, i) => {
      if (!isObj(route) || route.upstream !== name) return;
      const match = isObj(route.match) ? route.match : {};
      const params = typeof match.path === "string" ? paramNamesOf(match.path) : [];
      if (!params.includes(param)) {
        issues.push({ path: ["routes", i, "upstream"], message: `routes[${i}].upstream: upstream "${name}" hashes on "${hash}", but this route's match.path has no :${param} segment` });
      }
    });
  }
  return issues;
}
