// The one JSON Schema of a Keel config file: ajv validates with it and docs/config.md describes it.
// `expect` (a Keel annotation keyword) is the phrase used in "expected ..., got ..." messages.
import { DURATION_EXPECTED, SIZE_EXPECTED } from "./units.ts";

/** Defaults applied by compile.ts; also shown in the schema for reference. */
export const DEFAULTS = {
  listen: { host: "0.0.0.0", port: 8080 },
  admin: { host: "127.0.0.1", port: 9901 },
  server: { drainTimeout: "30s", idleTimeout: "10s", maxRequestBody: "128mb" },
  requestId: { header: "x-request-id", trustIncoming: false },
  upstream: { balance: "p2c", connectTimeout: "1s", pool: { maxIdle: 64, idleTimeout: "30s" } },
  route: { timeout: "30s", stripPrefix: false },
} as const;

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
}

export interface RawUpstream {
  endpoints: string[];
  balance?: "p2c" | "round-robin";
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
  upstream: string;
  timeout?: string;
  stripPrefix?: boolean;
}

/** A config that passed the schema (and so has this shape). */
export interface RawConfig {
  listen?: RawListen;
  admin?: RawListen | false;
  server?: { drainTimeout?: string; idleTimeout?: string; maxRequestBody?: string };
  requestId?: { header?: string; trustIncoming?: boolean };
  upstreams: Record<string, RawUpstream>;
  routes: RawRoute[];
}

const duration = (description: string, dflt?: string, positive = false) => ({
  type: "string",
  format: positive ? "positive-duration" : "duration",
  expect: DURATION_EXPECTED,
  description,
  ...(dflt === undefined ? {} : { default: dflt }),
});

const listenProps = (d: { host: string; port: number }) => ({
  host: { type: "string", pattern: HOST, expect: 'a host name or IP address like "0.0.0.0"', description: "Address to bind.", default: d.host },
  port: { type: "integer", minimum: 0, maximum: 65535, expect: "a port number from 0 to 65535", description: "TCP port (0 = any free port).", default: d.port },
});

const listen = {
  type: "object",
  additionalProperties: false,
  properties: listenProps(DEFAULTS.listen),
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
    maxRequestBody: { type: "string", format: "size", expect: SIZE_EXPECTED, description: "Largest request body accepted.", default: DEFAULTS.server.maxRequestBody },
  },
  expect: "a mapping of server settings",
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

const upstream = {
  type: "object",
  additionalProperties: false,
  required: ["endpoints"],
  properties: {
    endpoints: {
      type: "array",
      minItems: 1,
      items: { type: "string", expect: 'an endpoint URL like "http://127.0.0.1:9001"' },
      expect: 'a list of endpoint URLs like ["http://127.0.0.1:9001"] (at least one)',
      description: "Backend addresses, http://host:port.",
    },
    balance: { type: "string", enum: ["p2c", "round-robin"], description: "How an endpoint is picked.", default: DEFAULTS.upstream.balance },
    connectTimeout: duration("Limit on opening a connection to an endpoint.", DEFAULTS.upstream.connectTimeout, true),
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

const route = {
  type: "object",
  additionalProperties: false,
  required: ["name", "upstream"],
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
  },
  expect: "a route mapping with at least name and upstream",
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
    upstreams: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: UPSTREAM_NAME, expect: "an upstream name of letters, digits, _ . -" },
      additionalProperties: upstream,
      expect: "a mapping of upstream names to upstreams (at least one)",
      description: "Named groups of backend endpoints.",
    },
    routes: { type: "array", minItems: 1, items: route, expect: "a list of routes (at least one)", description: "Routes, in order." },
  },
  expect: "a mapping with at least upstreams and routes",
} as const;
