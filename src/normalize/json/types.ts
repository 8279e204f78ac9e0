// Contracts of the JSON body rules: the config a route declares (already checked by the JSON
// Schema), and the compiled transform the request path calls once per body.

export type CoerceKind = "number" | "integer" | "string" | "boolean";
export type DateFormat = "rfc3339" | "epoch-ms" | "epoch-s";
export type KeyCase = "camelCase" | "snake_case";

export interface JsonRulesConfig {
  /** field path → new name (a path with the same [] structure: "items[].created_at": "items[].createdAt", or just a new last name "createdAt" for the same place). */
  readonly rename?: Readonly<Record<string, string>>;
  /** Paths whose string values are lower-cased (non-strings untouched). */
  readonly lowercase?: readonly string[];
  /** path → "number" | "integer" | "string" | "boolean". */
  readonly coerce?: Readonly<Record<string, CoerceKind>>;
  /** Paths removed. */
  readonly omit?: readonly string[];
  /** Convert every object key in the body. */
  readonly keys?: KeyCase;
  /** path → "rfc3339" | "epoch-ms" | "epoch-s". */
  readonly dates?: Readonly<Record<string, DateFormat>>;
  /** OUTPUT path → value set when the field is absent. */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

export interface JsonRuleError {
  /** RFC 6901 JSON Pointer into the INPUT body, e.g. "/items/3/score" */
  readonly pointer: string;
  readonly message: string;
}

export type JsonTransformResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: JsonRuleError };

/** Takes a freshly parsed body (it may be changed in place) and returns the body to send on. */
export type JsonTransform = (value: unknown) => JsonTransformResult;

/** A config problem the schema cannot see; `at` is the key path inside the rules mapping. */
export type JsonRuleProblem = { at: (string | number)[]; message: string };

/** Caps for one JSON body: bytes, and nesting of arrays and objects ("[]" is depth 1, a scalar 0). */
export interface JsonLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
}

export type JsonParseResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: "too-large" | "not-utf8" | "too-deep" | "syntax" | "number-range"; readonly message: string };

export type ReadBodyResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; reason: "too-large"; received: number }
  | { ok: false; reason: "stream-error"; error: unknown }
  /** The caller's stop signal fired (deadline, client gone); the stream was cancelled. */
  | { ok: false; reason: "stopped"; received: number };
