// The config schema of normalisation (docs/normalize.md): paths, queries, headers, JSON body rules,
// validation, error envelopes, hooks and aggregation. Kept apart from schema.ts so the core
// schema stays readable; schema.ts plugs these fragments in.
import { DURATION_EXPECTED, SIZE_EXPECTED } from "./units.ts";

export const NORMALIZE_DEFAULTS = {
  path: { mergeSlashes: false, encodedSlash: "keep", backslash: "keep", nul: "reject", encodedControl: "keep" },
  query: { sort: false, repeated: "keep" },
  json: { maxBytes: "1mb", maxDepth: 64 },
  /** How much of a backend's error body the envelope reads. */
  errorBodyBytes: "64kb",
  hooks: { timeout: "50ms" },
  aggregate: { merge: "keys", onPartialFailure: "fail" },
} as const;

export type Keep = "keep" | "reject";

export interface RawPathOptions {
  mergeSlashes?: boolean;
  encodedSlash?: Keep;
  backslash?: Keep;
  nul?: Keep;
  encodedControl?: Keep;
}

export interface RawQueryRules {
  sort?: boolean;
  drop?: string[];
  allow?: string[];
  repeated?: "keep" | "first" | "last" | "reject";
}

export interface RawHeaderRules {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
  rename?: Record<string, string>;
  canonicalContentType?: boolean;
  removeServerHeaders?: boolean;
}

export interface RawJsonRules {
  rename?: Record<string, string>;
  lowercase?: string[];
  coerce?: Record<string, "number" | "integer" | "string" | "boolean">;
  omit?: string[];
  keys?: "camelCase" | "snake_case";
  dates?: Record<string, "rfc3339" | "epoch-ms" | "epoch-s">;
  defaults?: Record<string, unknown>;
  maxBytes?: string;
  maxDepth?: number;
}

export interface RawNormalize {
  path?: RawPathOptions;
  query?: RawQueryRules;
  request?: { headers?: RawHeaderRules; json?: RawJsonRules };
  response?: { headers?: RawHeaderRules; json?: RawJsonRules; errors?: "problem" | "pass" };
}

export interface RawValidate {
  body?: Record<string, unknown>;
  query?: Record<string, unknown>;
  params?: Record<string, unknown>;
}

export interface RawHooks {
  module: string;
  timeout?: string;
}

export interface RawAggregate {
  calls: Record<string, { upstream: string; path: string }>;
  merge?: "keys" | "deep";
  onPartialFailure?: "fail" | "partial";
}

const TOKEN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
const bool = (description: string, dflt: boolean) => ({ type: "boolean", expect: "true or false", description, default: dflt });
const keepOrReject = (description: string, dflt: Keep) => ({ enum: ["keep", "reject"], expect: "keep or reject", description, default: dflt });
const names = (what: string, description: string) => ({
  type: "array",
  items: { type: "string", minLength: 1, expect: what },
  expect: `a list of ${what}s`,
  description,
});
const mapOf = (value: object, expect: string, description: string, keyPattern?: string) => ({
  type: "object",
  ...(keyPattern === undefined ? {} : { propertyNames: { pattern: keyPattern, expect: "an HTTP header name" } }),
  additionalProperties: value,
  expect,
  description,
});

export const pathOptionsSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    mergeSlashes: bool('Merge runs of "/" into one.', NORMALIZE_DEFAULTS.path.mergeSlashes),
    encodedSlash: keepOrReject("%2F in the path: keep it encoded (never a separator) or answer 400.", NORMALIZE_DEFAULTS.path.encodedSlash),
    backslash: keepOrReject('"\\" or %5C in the path: keep it (encoded as %5C) or answer 400.', NORMALIZE_DEFAULTS.path.backslash),
    nul: keepOrReject("%00 in the path: keep it encoded or answer 400.", NORMALIZE_DEFAULTS.path.nul),
    encodedControl: keepOrReject("%01-%1F or %7F (encoded CR, LF, TAB...) in the path: keep it encoded or answer 400.", NORMALIZE_DEFAULTS.path.encodedControl),
  },
  expect: "a mapping like { mergeSlashes: true, encodedSlash: reject }",
  description: "Path normalisation options (dot segments and percent-encoding are always normalised).",
};

const queryRules = {
  type: "object",
  additionalProperties: false,
  properties: {
    sort: bool("Sort parameters by name (stable).", NORMALIZE_DEFAULTS.query.sort),
    drop: names("parameter name", "Parameters removed."),
    allow: names("parameter name", "When set, only these parameters are kept."),
    repeated: { enum: ["keep", "first", "last", "reject"], expect: "keep, first, last or reject", description: "A parameter given several times.", default: NORMALIZE_DEFAULTS.query.repeated },
  },
  expect: "a mapping like { sort: true, drop: [utm_source] }",
  description: "Query-string rules.",
};

const headerValue = { type: "string", expect: 'a header value (quote templates and numbers: "{route}", "42")' };
const headerRules = (direction: "request" | "response") => ({
  type: "object",
  additionalProperties: false,
  properties: {
    set: mapOf(headerValue, 'a mapping of header names to values like { x-route: "{route}" }', "Headers set (replacing any value).", TOKEN),
    add: mapOf(headerValue, "a mapping of header names to values", "Header values appended.", TOKEN),
    remove: { ...names("header name", "Headers removed."), items: { type: "string", pattern: TOKEN, expect: "an HTTP header name" } },
    rename: mapOf({ type: "string", pattern: TOKEN, expect: "an HTTP header name" }, "a mapping of old header names to new ones", "Headers renamed.", TOKEN),
    canonicalContentType: bool('Rewrite Content-Type canonically ("application/json; charset=utf-8").', false),
    ...(direction === "response" ? { removeServerHeaders: bool("Remove headers naming the backend's software (server, x-powered-by, ...).", false) } : {}),
  },
  expect: "a mapping with some of: set, add, remove, rename, canonicalContentType" + (direction === "response" ? ", removeServerHeaders" : ""),
  description: `Header rules for the ${direction}.`,
});

const fieldPath = { type: "string", minLength: 1, expect: 'a field path like "user.email" or "items[].id"' };
const jsonRules = (direction: "request" | "response") => ({
  type: "object",
  additionalProperties: false,
  properties: {
    rename: mapOf(fieldPath, 'a mapping of field paths to new names like { user_name: userName }', "Fields renamed."),
    lowercase: names("field path", "String fields lower-cased."),
    coerce: mapOf({ enum: ["number", "integer", "string", "boolean"], expect: "number, integer, string or boolean" }, "a mapping of field paths to types like { score: number }", "Fields converted to a type."),
    omit: names("field path", "Fields removed."),
    keys: { enum: ["camelCase", "snake_case"], expect: "camelCase or snake_case", description: "Convert every key." },
    dates: mapOf({ enum: ["rfc3339", "epoch-ms", "epoch-s"], expect: "rfc3339, epoch-ms or epoch-s" }, "a mapping of field paths to date formats like { created: rfc3339 }", "Date fields rewritten."),
    defaults: { type: "object", expect: "a mapping of output field paths to JSON values like { tags: [] }", description: "Values for absent fields (output names)." },
    maxBytes: { type: "string", format: "size", expect: SIZE_EXPECTED, description: `Largest ${direction} body buffered; over → ${direction === "request" ? "413" : "502"}.`, default: NORMALIZE_DEFAULTS.json.maxBytes },
    maxDepth: { type: "integer", minimum: 1, maximum: 1000, expect: "a whole number from 1 to 1000", description: "Deepest nesting of arrays and objects accepted.", default: NORMALIZE_DEFAULTS.json.maxDepth },
  },
  expect: "a mapping with some of: rename, lowercase, coerce, omit, keys, dates, defaults, maxBytes, maxDepth",
  description: `JSON rules for the ${direction} body (only routes with body rules buffer bodies).`,
});

export const normalizeSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    path: { ...pathOptionsSchema, description: "Path options for this route's forwarded path (stricter than the listener's, or looser)." },
    query: queryRules,
    request: {
      type: "object",
      additionalProperties: false,
      properties: { headers: headerRules("request"), json: jsonRules("request") },
      expect: "a mapping with some of: headers, json",
      description: "What the backend receives.",
    },
    response: {
      type: "object",
      additionalProperties: false,
      properties: {
        headers: headerRules("response"),
        json: jsonRules("response"),
        errors: { enum: ["problem", "pass"], expect: "problem or pass", description: "problem: backend 4xx/5xx answers become problem+json with the backend's status.", default: "pass" },
      },
      expect: "a mapping with some of: headers, json, errors",
      description: "What the client receives.",
    },
  },
  expect: "a mapping with some of: path, query, request, response",
  description: "Normalisation rules of the route (docs/normalize.md).",
};

const jsonSchema = { type: "object", expect: "a JSON Schema mapping like { type: object, required: [name] }" };
export const validateSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    body: { ...jsonSchema, description: "JSON Schema the request body must match." },
    query: { ...jsonSchema, description: "JSON Schema the query parameters (an object of strings) must match; types are coerced for the check." },
    params: { ...jsonSchema, description: "JSON Schema the path parameters must match; types are coerced for the check." },
  },
  expect: "a mapping with some of: body, query, params",
  description: "Validation of the request; a violation → 400 listing each error.",
};

export const hooksSchema = {
  type: "object",
  additionalProperties: false,
  required: ["module"],
  properties: {
    module: { type: "string", minLength: 1, expect: 'a module path like "./hooks/users.ts"', description: "TypeScript module exporting onRequest and/or onResponse (relative to the config file)." },
    timeout: { type: "string", format: "positive-duration", expect: DURATION_EXPECTED, description: "Longest a hook may run; longer → 500 KEEL_HOOK_TIMEOUT.", default: NORMALIZE_DEFAULTS.hooks.timeout },
  },
  expect: 'a mapping like { module: ./hooks/users.ts, timeout: 50ms }',
  description: "User hooks run on the request and the response.",
};

export const aggregateSchema = {
  type: "object",
  additionalProperties: false,
  required: ["calls"],
  properties: {
    calls: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$", expect: "a call name of letters, digits and _" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: ["upstream", "path"],
        properties: {
          upstream: { type: "string", minLength: 1, expect: "the name of an upstream" },
          path: { type: "string", pattern: "^/", expect: 'a path like "/users/{param.id}"' },
        },
        expect: 'a mapping like { upstream: users, path: "/users/{param.id}" }',
      },
      expect: "a mapping of call names to calls (at least one)",
      description: "Upstream calls made in parallel (GET).",
    },
    merge: { enum: ["keys", "deep"], expect: "keys or deep", description: "keys: each body under its call's name; deep: bodies deep-merged in call order.", default: NORMALIZE_DEFAULTS.aggregate.merge },
    onPartialFailure: { enum: ["fail", "partial"], expect: "fail or partial", description: "fail: 502 when any call fails; partial: what arrived plus an errors list.", default: NORMALIZE_DEFAULTS.aggregate.onPartialFailure },
  },
  expect: "a mapping like { calls: { user: { upstream: users, path: /users/{param.id} } } }",
  description: "The route answers by calling several upstream paths and merging their JSON.",
};
