// A validated config → the frozen Plan the gateway runs on, with every default applied.
// Only called on a config that passed validation, so parse results are known to be good.
import { DEFAULTS, type RawConfig, type RawListen, type RawRoute, type RawUpstream } from "./schema.ts";
import { parseDuration, parseSize } from "./units.ts";
import { parseEndpoint, type ParsedEndpoint } from "./endpoint.ts";
import type { EndpointPlan, ListenPlan, Plan, RouteMatchPlan, RoutePlan, UpstreamPlan } from "./plan.ts";

const ms = (text: string) => parseDuration(text) as number;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function compilePlan(config: RawConfig, source: string): Plan {
  const server = { ...DEFAULTS.server, ...config.server };
  const requestId = { ...DEFAULTS.requestId, ...config.requestId };
  const upstreams = new Map<string, UpstreamPlan>();
  for (const [name, raw] of Object.entries(config.upstreams)) upstreams.set(name, compileUpstream(name, raw));
  return deepFreeze({
    source,
    listen: compileListen(config.listen, DEFAULTS.listen),
    admin: config.admin === false ? null : compileListen(config.admin, DEFAULTS.admin),
    server: {
      drainTimeoutMs: ms(server.drainTimeout),
      // Bun.serve takes whole seconds; round up so a short timeout never becomes "off".
      idleTimeoutSeconds: Math.ceil(ms(server.idleTimeout) / 1000),
      maxRequestBodyBytes: parseSize(server.maxRequestBody) as number,
    },
    requestId: { header: requestId.header.toLowerCase(), trustIncoming: requestId.trustIncoming },
    upstreams: readOnlyMap(upstreams),
    routes: config.routes.map(compileRoute),
  });
}

function compileListen(raw: RawListen | undefined, d: ListenPlan): ListenPlan {
  return { host: raw?.host ?? d.host, port: raw?.port ?? d.port };
}

function compileUpstream(name: string, raw: RawUpstream): UpstreamPlan {
  const pool = { ...DEFAULTS.upstream.pool, ...raw.pool };
  return {
    name,
    endpoints: raw.endpoints.map((url): EndpointPlan => ({ url, ...(parseEndpoint(url) as ParsedEndpoint) })),
    balance: raw.balance ?? DEFAULTS.upstream.balance,
    connectTimeoutMs: ms(raw.connectTimeout ?? DEFAULTS.upstream.connectTimeout),
    maxIdlePerEndpoint: pool.maxIdle,
    idleTimeoutMs: ms(pool.idleTimeout),
  };
}

function compileRoute(raw: RawRoute, index: number): RoutePlan {
  const m = raw.match ?? {};
  const match: RouteMatchPlan = {
    hosts: unique(list(m.host).map(hostWithoutPort)),
    path: m.path ?? null,
    pathPrefix: m.pathPrefix ?? null,
    methods: unique(list(m.methods).map((x) => x.toUpperCase())),
    headers: Object.entries(m.headers ?? {}).map(([name, value]) => ({ name: name.toLowerCase(), value })),
  };
  return {
    name: raw.name,
    index,
    match,
    upstream: raw.upstream,
    timeoutMs: ms(raw.timeout ?? DEFAULTS.route.timeout),
    stripPrefix: raw.stripPrefix && m.pathPrefix !== undefined ? m.pathPrefix : null,
  };
}

/** "API.example.com:8443" → "api.example.com"; "[::1]:80" → "[::1]". */
function hostWithoutPort(host: string): string {
  return host.toLowerCase().replace(/^(\[[^\]]*\]|[^:]*):\d*$/, "$1");
}

const unique = (xs: string[]) => [...new Set(xs)];

// Object.freeze does not stop Map.set, so the plan's map refuses writes itself.
function readOnlyMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = () => {
    throw new TypeError("the plan is read-only");
  };
  return Object.freeze(Object.assign(map, { set: refuse, delete: refuse, clear: refuse }));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    Object.freeze(value);
    const children = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const child of children) deepFreeze(child);
  }
  return value;
}
