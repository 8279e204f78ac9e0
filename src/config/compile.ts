// A validated config → the frozen Plan the gateway runs on, with every default applied.
// Only called on a config that passed validation, so parse results are known to be good.
import { DEFAULTS, type RawConcurrency, type RawConfig, type RawListen, type RawRatePolicy, type RawTls, type RawRoute, type RawUpstream } from "./schema.ts";
import { parseDuration, parseRate, parseSize, type Rate } from "./units.ts";
import type { ConcurrencyPlan, KeyPart, RatePolicyPlan } from "../limits/types.ts";
import type { HedgePlan, RetryPlan } from "../resilience/types.ts";
import { parseEndpoint, type ParsedEndpoint } from "./endpoint.ts";
import { dirname, resolve } from "node:path";
import type { AccessLogPlan, EndpointPlan, ListenPlan, Plan, RouteMatchPlan, RoutePlan, TlsPlan, UpstreamPlan } from "./plan.ts";
import { readTlsFiles } from "../server/tls/tls-files.ts";
import { compileListenerPath, compileRouteNormalization, routeUpstream } from "./compile-normalize.ts";

const ms = (text: string) => parseDuration(text) as number;
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function compilePlan(config: RawConfig, source: string): Plan {
  const server = { ...DEFAULTS.server, ...config.server };
  const requestId = { ...DEFAULTS.requestId, ...config.requestId };
  const upstreams = new Map<string, UpstreamPlan>();
  for (const [name, raw] of Object.entries(config.upstreams)) upstreams.set(name, compileUpstream(name, raw));
  const named = new Map<string, RatePolicyPlan>();
  for (const [name, raw] of Object.entries(config.rateLimits ?? {})) named.set(name, compilePolicy(name, raw));
  const maxBody = parseSize(server.maxRequestBody) as number;
  const shedding = { ...DEFAULTS.server.shedding, ...config.server?.shedding };
  return deepFreeze({
    source,
    listen: compileListen(config.listen, DEFAULTS.listen, source),
    admin: config.admin === false ? null : compileListen(config.admin, DEFAULTS.admin),
    server: {
      drainTimeoutMs: ms(server.drainTimeout),
      // Bun.serve takes whole seconds; round up so a short timeout never becomes "off".
      idleTimeoutSeconds: Math.ceil(ms(server.idleTimeout) / 1000),
      maxRequestBodyBytes: maxBody,
      maxUrlLength: parseSize(server.maxUrlLength) as number,
      maxHeaderBytes: server.maxHeaderBytes === undefined ? null : (parseSize(server.maxHeaderBytes) as number),
      maxHeaderCount: server.maxHeaderCount ?? null,
      requestTimeoutMs: ms(server.requestTimeout),
      trustedProxies: server.trustedProxies,
      shedding: { maxInFlight: shedding.maxInFlight, maxEventLoopLagMs: ms(shedding.maxEventLoopLag) },
      normalizePath: compileListenerPath(config.server?.normalize?.path),
    },
    requestId: { header: requestId.header.toLowerCase(), trustIncoming: requestId.trustIncoming },
    redis:
      config.redis === undefined
        ? null
        : {
            url: config.redis.url,
            keyPrefix: config.redis.keyPrefix ?? DEFAULTS.redis.keyPrefix,
            connectTimeoutMs: ms(config.redis.connectTimeout ?? DEFAULTS.redis.connectTimeout),
          },
    upstreams: readOnlyMap(upstreams),
    routes: config.routes.map((raw, i) => compileRoute(raw, i, named, maxBody, upstreams.get(routeUpstream(raw)), source)),
    memoryBudgetBytes: config.memoryBudget === undefined ? null : (parseSize(config.memoryBudget) as number),
    accessLog: compileAccessLog(config.accessLog, source),
  });
}

function compileAccessLog(raw: RawConfig["accessLog"], source: string): AccessLogPlan | null {
  if (raw === undefined) return null;
  const a = { ...DEFAULTS.accessLog, ...raw };
  // A file path is relative to the config file, like TLS files; "stdout" is the process's stdout.
  return { path: a.path === "stdout" ? "stdout" : resolve(dirname(source), a.path), sample: a.sample, bufferBytes: parseSize(a.bufferSize) as number };
}

/** A policy as written → its plan. Inline policies are named "<route>#<n>" (1-based). */
export function compilePolicy(name: string, raw: RawRatePolicy): RatePolicyPlan {
  const rate = parseRate(raw.rate) as Rate;
  const shared = raw.shared === undefined || raw.shared === false ? null : raw.shared === true ? {} : raw.shared;
  const d = DEFAULTS.rateLimit.shared;
  return {
    name,
    count: rate.count,
    periodMs: rate.perMs,
    burst: raw.burst ?? rate.count,
    key: list(raw.key ?? "clientIp").map(parseKeyPart),
    maxKeys: raw.maxKeys ?? DEFAULTS.rateLimit.maxKeys,
    shared:
      shared === null
        ? null
        : { failureMode: shared.failureMode ?? d.failureMode, localShare: shared.localShare ?? d.localShare, leaseTtlMs: ms(shared.leaseTtl ?? d.leaseTtl) },
  };
}

/** "header:X-Api-Key" → { kind: "header", name: "x-api-key" }; the schema checked the shape. */
export function parseKeyPart(text: string): KeyPart {
  if (text === "clientIp" || text === "route") return { kind: text };
  const colon = text.indexOf(":");
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1);
  return kind === "header" ? { kind: "header", name: name.toLowerCase() } : { kind: "param", name };
}

function compileConcurrency(raw: RawConcurrency | undefined): ConcurrencyPlan | null {
  if (raw === undefined) return null;
  const c = { ...DEFAULTS.concurrency, ...raw };
  const a = raw.adaptive === undefined || raw.adaptive === false ? null : { ...DEFAULTS.adaptive, ...(raw.adaptive === true ? {} : raw.adaptive) };
  return {
    max: raw.max,
    queue: c.queue,
    queueTimeoutMs: ms(c.queueTimeout),
    queueTargetMs: ms(c.queueTarget),
    queueIntervalMs: ms(c.queueInterval),
    adaptive:
      a === null
        ? null
        : {
            minLimit: Math.min(a.minLimit, raw.max),
            maxLimit: raw.max,
            initialLimit: Math.max(Math.min(a.initialLimit, raw.max), Math.min(a.minLimit, raw.max)),
            windowMs: ms(a.window),
            tolerance: a.tolerance,
          },
  };
}

function compileListen(raw: RawListen | undefined, d: ListenPlan, source = ""): ListenPlan {
  const listen = { host: raw?.host ?? d.host, port: raw?.port ?? d.port };
  return raw?.tls === undefined ? listen : { ...listen, tls: compileTls(raw.tls, source) };
}

/** Reads the PEM files: semantic.ts checked them, so a failure here is one vanishing in between (load.ts reports it). */
function compileTls(raw: RawTls, source: string): TlsPlan {
  const read = readTlsFiles(raw.cert, raw.key, source);
  if (!read.ok) throw new Error(`listen.tls.${read.field}: ${read.message}`);
  return { ...read.files, http2: raw.http2 ?? false };
}

function compileUpstream(name: string, raw: RawUpstream): UpstreamPlan {
  const pool = { ...DEFAULTS.upstream.pool, ...raw.pool };
  const balance = raw.balance ?? DEFAULTS.upstream.balance;
  const active = raw.health?.active === undefined ? null : { ...DEFAULTS.healthCheck, ...raw.health.active };
  const outlier = raw.health?.outlier === undefined ? null : { ...DEFAULTS.outlier, ...raw.health.outlier };
  const breaker = raw.breaker === undefined ? null : { ...DEFAULTS.breaker, ...raw.breaker };
  const budget = { ...DEFAULTS.retryBudget, ...raw.retryBudget };
  return {
    name,
    endpoints: raw.endpoints.map((e): EndpointPlan => {
      const url = typeof e === "string" ? e : e.url;
      return { url, ...(parseEndpoint(url) as ParsedEndpoint), weight: typeof e === "string" ? 1 : (e.weight ?? 1) };
    }),
    balance: typeof balance === "string" ? balance : "hash",
    hashKey: typeof balance === "string" ? null : parseKeyPart(balance.hash),
    connectTimeoutMs: ms(raw.connectTimeout ?? DEFAULTS.upstream.connectTimeout),
    maxIdlePerEndpoint: pool.maxIdle,
    idleTimeoutMs: ms(pool.idleTimeout),
    concurrency: compileConcurrency(raw.concurrency),
    healthCheck:
      active === null
        ? null
        : {
            path: active.path,
            intervalMs: ms(active.interval),
            timeoutMs: ms(active.timeout),
            expectStatus: active.expectStatus.map(statusRange),
            healthyThreshold: active.healthyThreshold,
            unhealthyThreshold: active.unhealthyThreshold,
          },
    outlier:
      outlier === null
        ? null
        : {
            consecutiveFailures: outlier.consecutiveFailures,
            baseEjectionMs: ms(outlier.baseEjection),
            maxEjectionMs: ms(outlier.maxEjection),
            maxEjectedPercent: outlier.maxEjectedPercent,
          },
    breaker:
      breaker === null
        ? null
        : {
            failureRatio: breaker.failureRatio,
            minRequests: breaker.minRequests,
            windowMs: ms(breaker.window),
            openMs: ms(breaker.openFor),
            halfOpenProbes: breaker.halfOpenProbes,
            maxConnections: raw.breaker?.maxConnections ?? null,
            maxPending: raw.breaker?.maxPending ?? null,
            maxInFlight: raw.breaker?.maxInFlight ?? null,
          },
    retryBudget: { ratio: budget.ratio, minPerSecond: budget.minPerSecond, windowMs: ms(budget.window) },
  };
}

/** 200 → [200, 200]; "200-299" → [200, 299]. */
function statusRange(s: number | string): [number, number] {
  if (typeof s === "number") return [s, s];
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}

function compileRetry(raw: RawRoute["retry"], up: UpstreamPlan | undefined): RetryPlan | null {
  if (raw === undefined || raw === false || up === undefined) return null;
  const r = { ...DEFAULTS.retry, ...(raw === true ? {} : raw) };
  const on = r.on as readonly (string | number)[];
  return {
    attempts: r.attempts,
    onConnectFailure: on.includes("connect-failure"),
    onReset: on.includes("reset"),
    onStatus: on.filter((x): x is number => typeof x === "number"),
    allMethods: r.allMethods,
    budget: up.retryBudget,
  };
}

function compileHedge(raw: RawRoute["hedge"]): HedgePlan | null {
  if (raw === undefined || raw === false) return null;
  const h = { ...DEFAULTS.hedge, ...(raw === true ? {} : raw) };
  return { percentile: h.percentile, floorMs: ms(h.floor), maxExtraRatio: h.maxExtra, windowMs: ms(h.window), refreshMs: ms(h.refresh) };
}

function compileRoute(raw: RawRoute, index: number, named: ReadonlyMap<string, RatePolicyPlan>, serverMaxBody: number, up: UpstreamPlan | undefined, source: string): RoutePlan {
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
    upstream: routeUpstream(raw),
    timeoutMs: ms(raw.timeout ?? DEFAULTS.route.timeout),
    stripPrefix: raw.stripPrefix && m.pathPrefix !== undefined ? m.pathPrefix : null,
    budgetMs: raw.budget === undefined ? null : ms(raw.budget),
    maxRequestBodyBytes: raw.maxRequestBody === undefined ? serverMaxBody : (parseSize(raw.maxRequestBody) as number),
    // semantic.ts checked that every name is defined.
    rateLimits: list(raw.rateLimit).map((p, n) => (typeof p === "string" ? named.get(p)! : compilePolicy(`${raw.name}#${n + 1}`, p))),
    concurrency: compileConcurrency(raw.concurrency),
    retry: compileRetry(raw.retry, up),
    hedge: compileHedge(raw.hedge),
    ...compileRouteNormalization(raw, source),
  };
}

/** "API.example.com:8443" → "api.example.com"; "[::1]:80" → "[::1]". */
function hostWithoutPort(host: string): string {
  return host.toLowerCase().replace(/^(\[[^\]]*\]|[^:]*):\d*$/, "$1");
}

const unique = (xs: string[]) => [...new Set(xs)];

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === Array.prototype || value instanceof Map;
}

// Object.freeze does not stop Map.set, so the plan's map refuses writes itself.
function readOnlyMap<K, V>(map: Map<K, V>): ReadonlyMap<K, V> {
  const refuse = () => {
    throw new TypeError("the plan is read-only");
  };
  return Object.freeze(Object.assign(map, { set: refuse, delete: refuse, clear: refuse }));
}

// Plain data only: compiled rules, validators and hook modules are opaque objects that keep
// their own state (a validator writes its last errors), so they are left as they are.
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && isPlain(value)) {
    Object.freeze(value);
    const children = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const child of children) deepFreeze(child);
  }
  return value;
}
