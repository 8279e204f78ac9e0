// The compiled, frozen plan the gateway runs on. Built once per config load by compile.ts;
// nothing on the request path reads raw config.

import type { ConcurrencyPlan, KeyPart, RatePolicyPlan } from "../limits/types.ts";
import type { CompiledAggregate } from "../aggregate/compile-aggregate.ts";
import type { HookModule } from "../hooks/types.ts";
import type { HeaderRules } from "../normalize/headers/header-rules.ts";
import type { JsonLimits, JsonTransform } from "../normalize/json/compile-json-rules.ts";
import type { ByteTransform } from "../normalize/json/bytes/compile-byte-rules.ts";
import type { PathNormalizer } from "../normalize/path/normalize-path.ts";
import type { QueryNormalizer } from "../normalize/query/normalize-query.ts";
import type { RouteValidator } from "../validate/route-validator.ts";
import type { TlsFiles } from "../server/tls/tls-files.ts";
import type { BreakerPlan, HealthCheckPlan, HedgePlan, OutlierPlan, RetryBudgetPlan, RetryPlan } from "../resilience/types.ts";

export type BalanceKind = "p2c" | "round-robin" | "weighted" | "hash";

export interface ListenPlan {
  readonly host: string;
  readonly port: number;
  /** HTTPS on this listener; absent = plain HTTP. */
  readonly tls?: TlsPlan;
}

/** listen.tls: the PEM text read at load (src/server/tls/tls-files.ts), so a reload rereads the files. */
export interface TlsPlan extends TlsFiles {
  /** Also offer HTTP/2 (ALPN h2; Bun.serve's experimental `http2`). */
  readonly http2: boolean;
}

export interface EndpointPlan {
  /** As written in the config, e.g. "http://127.0.0.1:9001". */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Value sent as Host to this endpoint ("127.0.0.1:9001"). */
  readonly authority: string;
  /** Relative share of traffic (balance: weighted, hash); 1 unless configured. */
  readonly weight: number;
}

export interface UpstreamPlan {
  readonly name: string;
  readonly endpoints: readonly EndpointPlan[];
  readonly balance: BalanceKind;
  /** The key hashed when balance is "hash"; else null. */
  readonly hashKey: KeyPart | null;
  readonly connectTimeoutMs: number;
  /** Idle keep-alive connections kept per endpoint. */
  readonly maxIdlePerEndpoint: number;
  /** An idle pooled connection older than this is closed. */
  readonly idleTimeoutMs: number;
  /** In-flight cap over all routes sending here; null = none. */
  readonly concurrency: ConcurrencyPlan | null;
  /** Active checks; null = none (endpoints are taken as healthy). */
  readonly healthCheck: HealthCheckPlan | null;
  /** Passive ejection; null = off. */
  readonly outlier: OutlierPlan | null;
  readonly breaker: BreakerPlan | null;
  /** Retries to this upstream, from all its routes, stay within this budget. */
  readonly retryBudget: RetryBudgetPlan;
}

export interface HeaderMatch {
  /** Lower-cased header name. */
  readonly name: string;
  /** Exact value the header must have. */
  readonly value: string;
}

export interface RouteMatchPlan {
  /** Lower-cased host names without port; empty = any host. */
  readonly hosts: readonly string[];
  /** Exactly one of path / pathPrefix is set, or neither (= prefix "/"). */
  readonly path: string | null;
  readonly pathPrefix: string | null;
  /** Upper-case methods; empty = any method. */
  readonly methods: readonly string[];
  readonly headers: readonly HeaderMatch[];
}

/** JSON rules of one direction, compiled, with the caps on the body they read. */
export interface JsonBodyPlan {
  readonly transform: JsonTransform;
  /** The same rules in one pass over the bytes (null: the rules need the tree path); it hands back what it does not do. */
  readonly byteTransform: ByteTransform | null;
  readonly limits: JsonLimits;
}

/** A route's normalisation (docs/normalize.md); each part null when not configured. */
export interface RouteNormalizePlan {
  /** Applied to the (listener-normalised) path this route forwards. */
  readonly path: PathNormalizer | null;
  readonly query: QueryNormalizer | null;
  readonly requestHeaders: HeaderRules | null;
  readonly responseHeaders: HeaderRules | null;
  readonly requestJson: JsonBodyPlan | null;
  readonly responseJson: JsonBodyPlan | null;
  /** Backend 4xx/5xx answers rewritten into problem+json. */
  readonly errorEnvelope: boolean;
  /** How much of a backend error body the envelope reads. */
  readonly errorBodyBytes: number;
}

export interface RouteHooksPlan {
  readonly module: HookModule;
  /** The module's resolved path (logs). */
  readonly file: string;
  readonly timeoutMs: number;
}

/** What compile-normalize.ts adds to a route. */
export interface RouteExtrasPlan {
  readonly normalize: RouteNormalizePlan | null;
  readonly validator: RouteValidator | null;
  readonly hooks: RouteHooksPlan | null;
  /** Set for a route that answers by calling several upstreams; its `upstream` is then its first call's. */
  readonly aggregate: CompiledAggregate | null;
}

export interface RoutePlan extends RouteExtrasPlan {
  readonly name: string;
  /** Position in the config file (0-based), the final tie-breaker in routing. */
  readonly index: number;
  readonly match: RouteMatchPlan;
  readonly upstream: string;
  /** Whole-request timeout for the upstream exchange (until response headers). */
  readonly timeoutMs: number;
  /** Prefix removed from the path before forwarding (null = forward as is). */
  readonly stripPrefix: string | null;
  /** Latency budget from accept, ms; null = only the timeout applies. */
  readonly budgetMs: number | null;
  /** Largest request body, bytes (the route's own or the server's). */
  readonly maxRequestBodyBytes: number;
  /** All must pass. A named policy is one limiter shared by every route naming it. */
  readonly rateLimits: readonly RatePolicyPlan[];
  readonly concurrency: ConcurrencyPlan | null;
  /** null = no retries. Its budget is the upstream's. */
  readonly retry: RetryPlan | null;
  /** null = no hedging. */
  readonly hedge: HedgePlan | null;
}

export interface ServerPlan {
  readonly drainTimeoutMs: number;
  /** Bun.serve idleTimeout, seconds (0 = off). */
  readonly idleTimeoutSeconds: number;
  readonly maxRequestBodyBytes: number;
  /** Longest request target (path + query), bytes → 414. */
  readonly maxUrlLength: number;
  /** Header caps checked by Keel (431); null = Bun's own caps only. */
  readonly maxHeaderBytes: number | null;
  readonly maxHeaderCount: number | null;
  /** Time to receive a whole request body → 408. */
  readonly requestTimeoutMs: number;
  /** Peers whose X-Forwarded-For is believed (addresses and CIDRs, as written). */
  readonly trustedProxies: readonly string[];
  readonly shedding: SheddingPlan;
  /** Dot segments, percent-encoding and the listener's path options, before routing. */
  readonly normalizePath: PathNormalizer;
}

export interface SheddingPlan {
  /** 0 = no ceiling. */
  readonly maxInFlight: number;
  /** 0 = off. */
  readonly maxEventLoopLagMs: number;
}

export interface RedisPlan {
  readonly url: string;
  readonly keyPrefix: string;
  readonly connectTimeoutMs: number;
}

export interface RequestIdPlan {
  /** Lower-cased header name, default "x-request-id". */
  readonly header: string;
  /** Keep an incoming id instead of generating one. */
  readonly trustIncoming: boolean;
}

/** accessLog: one JSON line per request (src/observe/access-log). */
export interface AccessLogPlan {
  /** "stdout", or an absolute file path (resolved against the config file's folder). */
  readonly path: string;
  /** Share of 1xx-3xx answers logged (0..1); 4xx and 5xx are always logged. */
  readonly sample: number;
  /** Most bytes waiting to be written; past it lines are dropped and counted. */
  readonly bufferBytes: number;
}

export interface Plan {
  /** Path of the file the plan came from. */
  readonly source: string;
  readonly listen: ListenPlan;
  readonly admin: ListenPlan | null;
  readonly server: ServerPlan;
  readonly requestId: RequestIdPlan;
  /** Where shared rate limits live; null when no policy is shared. */
  readonly redis: RedisPlan | null;
  readonly upstreams: ReadonlyMap<string, UpstreamPlan>;
  readonly routes: readonly RoutePlan[];
  /** memoryBudget in bytes: the worst-case table memory (config/memory-budget.ts) must fit; null = none. */
  readonly memoryBudgetBytes: number | null;
  /** null = no access log (the default). */
  readonly accessLog: AccessLogPlan | null;
}
