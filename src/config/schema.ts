// The one JSON Schema of a Keel config file: ajv validates with it and docs/config.md describes it.
// `expect` (a Keel annotation keyword) is the phrase used in "expected ..., got ..." messages.
import { DURATION_EXPECTED, RATE_EXPECTED, SIZE_EXPECTED } from "./units.ts";
import { aggregateSchema, hooksSchema, normalizeSchema, pathOptionsSchema, validateSchema, type RawAggregate, type RawHooks, type RawNormalize, type RawPathOptions, type RawValidate } from "./schema-normalize.ts";

/** Defaults applied by compile.ts; also shown in the schema for reference. */
export const DEFAULTS = {
  listen: { host: "0.0.0.0", port: 8080 },
  admin: { host: "127.0.0.1", port: 9901 },
  server: {
    drainTimeout: "30s",
    idleTimeout: "10s",
    maxRequestBody: "128mb",
    maxUrlLength: "8kb",
    requestTimeout: "60s",
    trustedProxies: [] as string[],
    shedding: { maxInFlight: 10000, maxEventLoopLag: "500ms" },
  },
  redis: { keyPrefix: "keel:rl:", connectTimeout: "500ms" },
  rateLimit: { maxKeys: 100000, shared: { failureMode: "open", localShare: 1, leaseTtl: "2s" } },
  concurrency: { queue: 0, queueTimeout: "1s", queueTarget: "5ms", queueInterval: "100ms" },
  adaptive: { minLimit: 4, initialLimit: 20, window: "1s", tolerance: 1.5 },
  healthCheck: { path: "/healthz", interval: "5s", timeout: "1s", expectStatus: ["200-299"], healthyThreshold: 2, unhealthyThreshold: 3 },
  outlier: { consecutiveFailures: 5, baseEjection: "30s", maxEjection: "5m", maxEjectedPercent: 50 },
  breaker: { failureRatio: 0.5, minRequests: 20, window: "10s", openFor: "5s", halfOpenProbes: 3 },
  retryBudget: { ratio: 0.2, minPerSecond: 10, window: "10s" },
  retry: { attempts: 2, on: ["connect-failure", "reset"], allMethods: false },
  hedge: { percentile: 95, floor: "5ms", maxExtra: 0.05, window: "30s", refresh: "5s" },
  requestId: { header: "x-request-id", trustIncoming: false },
  upstream: { balance: "p2c", connectTimeout: "1s", pool: { maxIdle: 64, idleTimeout: "30s" } },
  route: { timeout: "30s", stripPrefix: false },
  accessLog: { path: "stdout", sample: 1, bufferSize: "1mb" },
} as const;

/** Bun's request-header cap (its --max-http-header-size default); past it Bun answers 431 itself. */
export const BUN_MAX_HEADER_BYTES = 16 * 1024;
/** Longest Bun.serve idleTimeout, in seconds. */
export const MAX_IDLE_TIMEOUT_S = 255;
export const UPSTREAM_NAME = "^[A-Za-z0-9_.-]+$";
// RFC 9110 token: header names and methods.
const TOKEN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const PATH = "^/[^?#\\s]*$";
const HOST = "^[^\\s/]+$";

export interface RawListen {
  host?: string;
  port?: number;
  tls?: RawTls;
}

export interface RawTls {
  cert: string;
  key: string;
  http2?: boolean;
}

export interface RawConcurrency {
  max: number;
  queue?: number;
  queueTimeout?: string;
  queueTarget?: string;
  queueInterval?: string;
  adaptive?: boolean | { minLimit?: number; initialLimit?: number; window?: string; tolerance?: number };
}

export interface RawRatePolicy {
  rate: string;
  burst?: number;
  key?: string | string[];
  maxKeys?: number;
  shared?: boolean | { failureMode?: "open" | "closed"; localShare?: number; leaseTtl?: string };
}

export type RawEndpoint = string | { url: string; weight?: number };

export interface RawUpstream {
  endpoints: RawEndpoint[];
  concurrency?: RawConcurrency;
  health?: {
    active?: { path?: string; interval?: string; timeout?: string; expectStatus?: (number | string)[]; healthyThreshold?: number; unhealthyThreshold?: number };
    outlier?: { consecutiveFailures?: number; baseEjection?: string; maxEjection?: string; maxEjectedPercent?: number };
  };
  breaker?: { failureRatio?: number; minRequests?: number; window?: string; openFor?: string; halfOpenProbes?: number; maxConnections?: number; maxPending?: number; maxInFlight?: number };
  retryBudget?: { ratio?: number; minPerSecond?: number; window?: string };
  balance?: "p2c" | "round-robin" | "weighted" | { hash: string };
  connectTimeout?: string;
  pool?: { maxIdle?: number; idleTimeout?: string };
}

export interface RawRoute {
  name: string;
  match?: {
    host?: string | string[];
    path?: string;
    pathPrefix?: string;
    methods?: string | string[];
    headers?: Record<string, string>;
  };
  /** Required unless the route aggregates (semantic.ts checks exactly one). */
  upstream?: string;
  timeout?: string;
  stripPrefix?: boolean;
  budget?: string;
  maxRequestBody?: string;
  rateLimit?: string | RawRatePolicy | (string | RawRatePolicy)[];
  concurrency?: RawConcurrency;
  retry?: boolean | { attempts?: number; on?: (string | number)[]; allMethods?: boolean };
  hedge?: boolean | { percentile?: number; floor?: string; maxExtra?: number; window?: string; refresh?: string };
  normalize?: RawNormalize;
  validate?: RawValidate;
  hooks?: RawHooks;
  aggregate?: RawAggregate;
}

/** A config that passed the schema (and so has this shape). */
export interface RawConfig {
  listen?: RawListen;
  admin?: RawListen | false;
  server?: {
    drainTimeout?: string;
    idleTimeout?: string;
    maxRequestBody?: string;
    maxUrlLength?: string;
    maxHeaderBytes?: string;
    maxHeaderCount?: number;
    requestTimeout?: string;
    trustedProxies?: string[];
    shedding?: { maxInFlight?: number; maxEventLoopLag?: string };
    normalize?: { path?: RawPathOptions };
  };
  redis?: { url: string; keyPrefix?: string; connectTimeout?: string };
  rateLimits?: Record<string, RawRatePolicy>;
  requestId?: { header?: string; trustIncoming?: boolean };
  upstreams: Record<string, RawUpstream>;
  routes: RawRoute[];
  memoryBudget?: string;
  accessLog?: { path?: string; sample?: number; bufferSize?: string };
}

const duration = (description: string, dflt?: string, positive = false) => ({
  type: "string",
  format: positive ? "positive-duration" : "duration",
  expect: DURATION_EXPECTED,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});

const size = (description: string, dflt?: string) => ({
  type: "string",
  format: "size",
  expect: SIZE_EXPECTED,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});

const count = (description: string, min: number, max: number, dflt?: number) => ({
  type: "integer",
  minimum: min,
  maximum: max,
  expect: `a whole number from ${min} to ${max}`,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});

const listenProps = (d: { host: string; port: number }) => ({
  host: { type: "string", pattern: HOST, expect: 'a host name or IP address like "0.0.0.0"', description: "Address to bind.", default: d.host },
  port: { type: "integer", minimum: 0, maximum: 65535, expect: "a port number from 0 to 65535", description: "TCP port (0 = any free port).", default: d.port },
});

const pemFile = (what: string) => ({ type: "string", minLength: 1, expect: `a path to a PEM file like "./${what}.pem"`, description: `PEM ${what === "cert" ? "certificate (chain)" : "private key (unencrypted)"} file, relative to the config file; read and checked at load.` });

const tls = {
  type: "object",
  additionalProperties: false,
  required: ["cert", "key"],
  properties: {
    cert: pemFile("cert"),
    key: pemFile("key"),
    http2: { type: "boolean", expect: "true or false", description: "Also offer HTTP/2 to clients (ALPN h2; experimental in Bun 1.4).", default: false },
  },
  expect: "a mapping like { cert: ./cert.pem, key: ./key.pem }",
  description: "Serve HTTPS on this listener.",
};

const listen = {
  type: "object",
  additionalProperties: false,
  properties: { ...listenProps(DEFAULTS.listen), tls },
  expect: "a mapping like { port: 8080, host: 0.0.0.0 }",
  description: "Where the gateway accepts client traffic.",
};

const admin = {
  type: ["object", "boolean"],
  not: { const: true },
  additionalProperties: false,
  properties: listenProps(DEFAULTS.admin),
  expect: "false or a mapping like { port: 9901, host: 127.0.0.1 }",
  description: "Where the admin endpoints listen; false disables them.",
};

const server = {
  type: "object",
  additionalProperties: false,
  properties: {
    drainTimeout: duration("How long shutdown waits for in-flight requests.", DEFAULTS.server.drainTimeout),
    idleTimeout: duration(`Close idle client connections after this long (whole seconds, 0 = never, at most ${MAX_IDLE_TIMEOUT_S}s).`, DEFAULTS.server.idleTimeout),
    maxRequestBody: size("Largest request body accepted (a route may set its own).", DEFAULTS.server.maxRequestBody),
    maxUrlLength: size("Longest request target (path and query) accepted; longer → 414.", DEFAULTS.server.maxUrlLength),
    maxHeaderBytes: size("Most bytes of request header fields (names and values) accepted; more → 431. Unset = Bun's own cap (16kb)."),
    maxHeaderCount: count("Most request header fields accepted; more → 431. Unset = Bun's own cap.", 1, 10000),
    requestTimeout: duration("Time allowed to receive a whole request body; a slower upload → 408.", DEFAULTS.server.requestTimeout, true),
    trustedProxies: {
      type: "array",
      items: { type: "string", expect: 'an IP address or CIDR like "10.0.0.0/8"' },
      expect: 'a list of IP addresses or CIDRs like ["10.0.0.0/8", "127.0.0.1"]',
      description: "Peers whose X-Forwarded-For is believed when finding the client IP.",
      default: DEFAULTS.server.trustedProxies,
    },
    shedding: {
      type: "object",
      additionalProperties: false,
      properties: {
        maxInFlight: count("Requests in flight past which new ones get a fast 503 (0 = no ceiling).", 0, 10_000_000, DEFAULTS.server.shedding.maxInFlight),
        maxEventLoopLag: duration("Event-loop lag past which new requests get a fast 503 (0s = off).", DEFAULTS.server.shedding.maxEventLoopLag),
      },
      expect: "a mapping like { maxInFlight: 10000, maxEventLoopLag: 500ms }",
      description: "Load shedding when the gateway itself is overloaded.",
    },
    normalize: {
      type: "object",
      additionalProperties: false,
      properties: { path: { ...pathOptionsSchema, description: "Path normalisation before routing (docs/normalize.md)." } },
      expect: "a mapping like { path: { mergeSlashes: true } }",
      description: "Normalisation on the listener, before routing.",
    },
  },
  expect: "a mapping of server settings",
};

const redis = {
  type: "object",
  additionalProperties: false,
  required: ["url"],
  properties: {
    url: { type: "string", pattern: "^rediss?://", expect: 'a Redis URL like "redis://127.0.0.1:6379"', description: "Redis server shared by Keel instances." },
    keyPrefix: { type: "string", expect: "a key prefix string", description: "Prefix of every key Keel writes.", default: DEFAULTS.redis.keyPrefix },
    connectTimeout: duration("Limit on connecting to Redis.", DEFAULTS.redis.connectTimeout, true),
  },
  expect: 'a mapping like { url: "redis://127.0.0.1:6379" }',
  description: "Where shared rate limits keep their state.",
};

const keyPart = {
  type: "string",
  pattern: "^(clientIp|route|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|param:[A-Za-z_][A-Za-z0-9_]*)$",
  expect: 'a key part: clientIp, route, header:<name> or param:<name>',
};

const ratePolicy = {
  type: "object",
  additionalProperties: false,
  required: ["rate"],
  properties: {
    rate: { type: "string", format: "rate", expect: RATE_EXPECTED, description: "Sustained rate per key." },
    burst: count("Requests admitted at once after an idle spell (default: the rate's count).", 1, 1_000_000_000),
    key: { ...keyPart, type: ["string", "array"], minItems: 1, items: keyPart, expect: "a key part or a list of key parts (clientIp, route, header:<name>, param:<name>)", description: "What the quota is counted per; default clientIp." },
    maxKeys: count("Most keys tracked at once.", 1, 100_000_000, DEFAULTS.rateLimit.maxKeys),
    shared: {
      type: ["boolean", "object"],
      additionalProperties: false,
      properties: {
        failureMode: { type: "string", enum: ["open", "closed"], description: "Redis unreachable: open = decide locally, closed = reject.", default: DEFAULTS.rateLimit.shared.failureMode },
        localShare: { type: "number", exclusiveMinimum: 0, maximum: 1, expect: "a number greater than 0 and at most 1", description: "Share of the rate one instance admits alone while Redis is out.", default: DEFAULTS.rateLimit.shared.localShare },
        leaseTtl: duration("Quota leased from Redis and unused by then is dropped.", DEFAULTS.rateLimit.shared.leaseTtl, true),
      },
      expect: "true, false or a mapping like { failureMode: open, localShare: 0.5 }",
      description: "Share the quota with other instances through Redis.",
    },
  },
  expect: "a rate-limit policy like { rate: 100/s, burst: 20, key: clientIp }",
};

const concurrency = {
  type: "object",
  additionalProperties: false,
  required: ["max"],
  properties: {
    max: count("Most requests in flight at once.", 1, 1_000_000),
    queue: count("Most requests waiting for a slot (0 = reject at once).", 0, 1_000_000, DEFAULTS.concurrency.queue),
    queueTimeout: duration("Longest wait in the queue.", DEFAULTS.concurrency.queueTimeout, true),
    queueTarget: duration("Wait allowed while the queue is standing (CoDel-style).", DEFAULTS.concurrency.queueTarget, true),
    queueInterval: duration("A queue not empty for this long is standing.", DEFAULTS.concurrency.queueInterval, true),
    adaptive: {
      type: ["boolean", "object"],
      additionalProperties: false,
      properties: {
        minLimit: count("Lowest adaptive limit.", 1, 1_000_000, DEFAULTS.adaptive.minLimit),
        initialLimit: count("Starting adaptive limit.", 1, 1_000_000, DEFAULTS.adaptive.initialLimit),
        window: duration("How often the limit is recomputed.", DEFAULTS.adaptive.window, true),
        tolerance: { type: "number", minimum: 1, maximum: 100, expect: "a number from 1 to 100", description: "Latency growth over no-load latency tolerated before the limit shrinks.", default: DEFAULTS.adaptive.tolerance },
      },
      expect: "true, false or a mapping like { minLimit: 4, tolerance: 1.5 }",
      description: "Adapt the limit (at most max) to the upstream's latency.",
    },
  },
  expect: "a mapping like { max: 100, queue: 50, queueTimeout: 1s }",
};

const requestId = {
  type: "object",
  additionalProperties: false,
  properties: {
    header: { type: "string", pattern: TOKEN, expect: "an HTTP header name", description: "Header carrying the request id.", default: DEFAULTS.requestId.header },
    trustIncoming: { type: "boolean", expect: "true or false", description: "Keep a client-sent id instead of generating one.", default: DEFAULTS.requestId.trustIncoming },
  },
  expect: "a mapping like { header: x-request-id, trustIncoming: false }",
};

const accessLog = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: { type: "string", minLength: 1, expect: 'stdout or a file path like "./access.log"', description: "stdout, or a file (relative to the config file) appended to and reopened on SIGUSR1.", default: DEFAULTS.accessLog.path },
    sample: { type: "number", minimum: 0, maximum: 1, expect: "a number from 0 to 1", description: "Share of 1xx-3xx answers logged; every 4xx and 5xx is logged.", default: DEFAULTS.accessLog.sample },
    bufferSize: size("Most bytes of lines waiting to be written; past it new lines are dropped (and counted).", DEFAULTS.accessLog.bufferSize),
  },
  expect: "a mapping like { path: ./access.log, sample: 0.1 }",
  description: "One JSON line per request; absent = off.",
};

const upstream = {
  type: "object",
  additionalProperties: false,
  required: ["endpoints"],
  properties: {
    endpoints: {
      type: "array",
      minItems: 1,
      items: {
        type: ["string", "object"],
        additionalProperties: false,
        required: ["url"],
        properties: {
          url: { type: "string", expect: 'an endpoint URL like "http://127.0.0.1:9001"' },
          weight: count("Share of traffic relative to the other endpoints (balance: weighted or hash).", 1, 1000, 1),
        },
        expect: 'an endpoint URL like "http://127.0.0.1:9001" or { url: ..., weight: 3 }',
      },
      expect: 'a list of endpoint URLs like ["http://127.0.0.1:9001"] (at least one)',
      description: "Backend addresses, http://host:port, optionally with a weight.",
    },
    balance: {
      type: ["string", "object"],
      pattern: "^(p2c|round-robin|weighted)$",
      suggest: ["p2c", "round-robin", "weighted"],
      additionalProperties: false,
      required: ["hash"],
      properties: { hash: { ...keyPart, expect: "a key part to hash: clientIp, route, header:<name> or param:<name>" } },
      expect: 'p2c, round-robin, weighted, or { hash: <key part> } like { hash: "header:x-user" }',
      description: "How an endpoint is picked.",
      default: DEFAULTS.upstream.balance,
    },
    health: {
      type: "object",
      additionalProperties: false,
      properties: {
        active: {
          type: "object",
          additionalProperties: false,
          properties: {
            path: { type: "string", pattern: PATH, expect: 'a path like "/healthz"', description: "Path each endpoint is checked on (GET).", default: DEFAULTS.healthCheck.path },
            interval: duration("Time between checks of one endpoint.", DEFAULTS.healthCheck.interval, true),
            timeout: duration("A check without a response head by then fails.", DEFAULTS.healthCheck.timeout, true),
            expectStatus: {
              type: "array",
              minItems: 1,
              items: { type: ["integer", "string"], pattern: "^[1-5][0-9][0-9](-[1-5][0-9][0-9])?$", minimum: 100, maximum: 599, expect: 'a status like 200 or a range like "200-299"' },
              expect: 'a list of statuses and ranges like [200, "300-399"]',
              description: "Statuses that count as healthy.",
              default: DEFAULTS.healthCheck.expectStatus,
            },
            healthyThreshold: count("Consecutive passes that make an endpoint healthy again.", 1, 100, DEFAULTS.healthCheck.healthyThreshold),
            unhealthyThreshold: count("Consecutive failures that make an endpoint unhealthy.", 1, 100, DEFAULTS.healthCheck.unhealthyThreshold),
          },
          expect: "a mapping like { path: /healthz, interval: 5s }",
        },
        outlier: {
          type: "object",
          additionalProperties: false,
          properties: {
            consecutiveFailures: count("Failures in a row (connect failures, resets, 5xx) that eject an endpoint.", 1, 1000, DEFAULTS.outlier.consecutiveFailures),
            baseEjection: duration("First ejection's length; it doubles with each further ejection.", DEFAULTS.outlier.baseEjection, true),
            maxEjection: duration("Longest ejection.", DEFAULTS.outlier.maxEjection, true),
            maxEjectedPercent: count("Most endpoints ejected at once, in percent.", 0, 100, DEFAULTS.outlier.maxEjectedPercent),
          },
          expect: "a mapping like { consecutiveFailures: 5, baseEjection: 30s }",
        },
      },
      expect: "a mapping with active and/or outlier",
      description: "Active health checks and passive outlier ejection.",
    },
    breaker: {
      type: "object",
      additionalProperties: false,
      properties: {
        failureRatio: { type: "number", exclusiveMinimum: 0, maximum: 1, expect: "a number greater than 0 and at most 1", description: "Failure share over the window that opens the breaker.", default: DEFAULTS.breaker.failureRatio },
        minRequests: count("Requests the window must have seen before the ratio counts.", 1, 1_000_000, DEFAULTS.breaker.minRequests),
        window: duration("Window the failure ratio is taken over.", DEFAULTS.breaker.window, true),
        openFor: duration("How long the breaker stays open before probing.", DEFAULTS.breaker.openFor, true),
        halfOpenProbes: count("Requests let through while half-open; all must succeed to close.", 1, 1000, DEFAULTS.breaker.halfOpenProbes),
        maxConnections: count("Most connections to the upstream (all endpoints).", 1, 1_000_000),
        maxPending: count("Most requests waiting for a connection.", 0, 1_000_000),
        maxInFlight: count("Most requests in flight to the upstream.", 1, 1_000_000),
      },
      expect: "a mapping like { failureRatio: 0.5, minRequests: 20, window: 10s, openFor: 5s }",
      description: "Circuit breaker: fast 503s while the upstream is failing.",
    },
    retryBudget: {
      type: "object",
      additionalProperties: false,
      properties: {
        ratio: { type: "number", minimum: 0, maximum: 10, expect: "a number from 0 to 10", description: "Retries allowed per request sent (0.2 = one per five).", default: DEFAULTS.retryBudget.ratio },
        minPerSecond: count("Retries allowed per second whatever the traffic.", 0, 100_000, DEFAULTS.retryBudget.minPerSecond),
        window: duration("How far back requests count towards the ratio.", DEFAULTS.retryBudget.window, true),
      },
      expect: "a mapping like { ratio: 0.2, minPerSecond: 10 }",
      description: "Retries (all routes of this upstream) stay within this budget.",
    },
    connectTimeout: duration("Limit on opening a connection to an endpoint.", DEFAULTS.upstream.connectTimeout, true),
    concurrency: { ...concurrency, description: "Most requests in flight to this upstream, over all routes." },
    pool: {
      type: "object",
      additionalProperties: false,
      properties: {
        maxIdle: { type: "integer", minimum: 0, maximum: 100000, expect: "a whole number from 0 to 100000", description: "Idle keep-alive connections kept per endpoint.", default: DEFAULTS.upstream.pool.maxIdle },
        idleTimeout: duration("An idle pooled connection older than this is closed.", DEFAULTS.upstream.pool.idleTimeout),
      },
      expect: "a mapping like { maxIdle: 64, idleTimeout: 30s }",
    },
  },
  expect: 'a mapping with at least endpoints: ["http://host:port"]',
};

const hostList = { type: "string", pattern: HOST, expect: 'a host name like "api.example.com"' };
const method = { type: "string", pattern: TOKEN, expect: 'an HTTP method like "GET"' };

/** The object-only parts of a policy, for a place that also takes a name or a list. */
function ratePolicyFields() {
  const { additionalProperties, required, properties } = ratePolicy;
  return { additionalProperties, required, properties };
}

const route = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, expect: "a route name", description: "Unique name, used in logs, metrics and errors." },
    match: {
      type: "object",
      additionalProperties: false,
      properties: {
        host: { ...hostList, type: ["string", "array"], minItems: 1, items: hostList, expect: "a host name or a list of host names", description: "Host header to match (any :port ignored)." },
        path: { type: "string", pattern: PATH, expect: 'a path starting with "/" (no query)', description: "Exact path; may contain :param segments." },
        pathPrefix: { type: "string", pattern: PATH, expect: 'a path prefix starting with "/" (no query)', description: "Path prefix." },
        methods: { ...method, type: ["string", "array"], minItems: 1, items: method, expect: "an HTTP method or a list of methods", description: "Allowed methods." },
        headers: {
          type: "object",
          propertyNames: { pattern: TOKEN, expect: "an HTTP header name" },
          additionalProperties: { type: "string", expect: 'a header value (quote numbers: "42")' },
          expect: "a mapping of header names to exact values",
          description: "Headers that must have exactly these values.",
        },
      },
      expect: "a mapping with some of: host, path, pathPrefix, methods, headers",
      description: "What requests this route takes; absent = all.",
    },
    upstream: { type: "string", minLength: 1, expect: "the name of an upstream", description: "Upstream the route sends to." },
    timeout: duration("Time allowed for the upstream to answer (until response headers).", DEFAULTS.route.timeout, true),
    stripPrefix: { type: "boolean", expect: "true or false", description: "Remove pathPrefix from the path before forwarding.", default: DEFAULTS.route.stripPrefix },
    budget: duration("Latency budget: from accept, everything (queueing, upstream) must fit; the upstream gets what remains.", undefined, true),
    maxRequestBody: size("Largest request body this route accepts (default: server.maxRequestBody)."),
    rateLimit: {
      type: ["string", "object", "array"],
      minItems: 1,
      items: { ...ratePolicy, type: ["string", "object"], expect: "a policy name from rateLimits or a policy mapping" },
      ...ratePolicyFields(),
      expect: "a policy name, a policy mapping like { rate: 100/s }, or a list of them",
      description: "Rate limits; all must pass.",
    },
    concurrency: { ...concurrency, description: "Most requests in flight on this route." },
    retry: {
      type: ["boolean", "object"],
      additionalProperties: false,
      properties: {
        attempts: count("Most attempts in all, the first included.", 1, 10, DEFAULTS.retry.attempts),
        on: {
          type: "array",
          items: { type: ["string", "integer"], pattern: "^(connect-failure|reset)$", minimum: 500, maximum: 599, expect: "connect-failure, reset or a 5xx status like 503" },
          expect: 'a list like [connect-failure, reset, 503]',
          description: "What is retried.",
          default: DEFAULTS.retry.on,
        },
        allMethods: { type: "boolean", expect: "true or false", description: "Retry non-idempotent methods too (POST, PATCH).", default: DEFAULTS.retry.allMethods },
      },
      expect: "true, false or a mapping like { attempts: 2, on: [connect-failure, reset, 503] }",
      description: "Retries to another endpoint, within the upstream's retry budget and the route's budget.",
    },
    hedge: {
      type: ["boolean", "object"],
      additionalProperties: false,
      properties: {
        percentile: { type: "number", minimum: 50, maximum: 99.99, expect: "a percentile from 50 to 99.99", description: "Hedge once the first attempt is slower than this percentile of recent latency.", default: DEFAULTS.hedge.percentile },
        floor: duration("Never hedge earlier than this.", DEFAULTS.hedge.floor, true),
        maxExtra: { type: "number", exclusiveMinimum: 0, maximum: 1, expect: "a number greater than 0 and at most 1", description: "Extra requests hedging may add, as a share of the route's requests.", default: DEFAULTS.hedge.maxExtra },
        window: duration("Latency window the percentile is read from.", DEFAULTS.hedge.window, true),
        refresh: duration("How often the percentile is recomputed.", DEFAULTS.hedge.refresh, true),
      },
      expect: "true, false or a mapping like { percentile: 95, floor: 5ms, maxExtra: 0.05 }",
      description: "Adaptive hedging for idempotent requests.",
    },
    normalize: normalizeSchema,
    validate: validateSchema,
    hooks: hooksSchema,
    aggregate: aggregateSchema,
  },
  expect: "a route mapping with at least name and upstream (or aggregate)",
};

export const CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["upstreams", "routes"],
  properties: {
    listen,
    admin,
    server,
    requestId,
    redis,
    rateLimits: {
      type: "object",
      propertyNames: { pattern: UPSTREAM_NAME, expect: "a policy name of letters, digits, _ . -" },
      additionalProperties: ratePolicy,
      expect: "a mapping of policy names to policies like { rate: 100/s, burst: 20 }",
      description: "Named rate-limit policies that routes refer to.",
    },
    upstreams: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: UPSTREAM_NAME, expect: "an upstream name of letters, digits, _ . -" },
      additionalProperties: upstream,
      expect: "a mapping of upstream names to upstreams (at least one)",
      description: "Named groups of backend endpoints.",
    },
    routes: { type: "array", minItems: 1, items: route, expect: "a list of routes (at least one)", description: "Routes, in order." },
    accessLog,
    memoryBudget: size("Most memory the config's tables (rate-limit keys, queues, pools, histograms) may take at their capacity; more is a config error. Unset = no budget (keel check prints the estimate)."),
  },
  expect: "a mapping with at least upstreams and routes",
} as const;
