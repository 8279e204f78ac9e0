// The normalise phase of a route with rules (docs/normalize.md): the route's own path options, the
// query rules, and — only for routes that need it — the request body read up to its cap, parsed,
// validated against the route's schema, then rewritten by its JSON rules. Every refusal is a typed
// value the handler turns into a problem response; nothing here throws on bad input.

import type { RoutePlan } from "../config/plan.ts";
import { DEFAULT_JSON_LIMITS } from "../config/compile-normalize.ts";
import type { ErrorCode } from "../errors.ts";
import { isJsonType } from "../normalize/headers/media-type.ts";
import { parseJsonBody, readBody, serializeJson } from "../normalize/json/body.ts";
import { PathRejection } from "../normalize/path/normalize-path.ts";
import { QueryRejection, queryToObject } from "../normalize/query/normalize-query.ts";
import { readStop } from "./read-stop.ts";

export interface Refusal {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export function isRefusal(v: unknown): v is Refusal {
  return typeof v === "object" && v !== null && "code" in v && "detail" in v;
}

/** The parts of a request the normalise phase reads and rewrites. */
export interface NormalizedTarget {
  path: string;
  query: string;
}

/** The route's path options and query rules, in place; a Refusal when either rejects. */
export function normalizeTarget(route: RoutePlan, t: NormalizedTarget): Refusal | null {
  const n = route.normalize;
  if (n === null) return null;
  if (n.path !== null) {
    const p = n.path(t.path);
    if (p instanceof PathRejection) return { code: "KEEL_BAD_PATH", detail: `path ${t.path}: ${p.detail}` };
    t.path = p;
  }
  if (n.query !== null) {
    const q = n.query(t.query);
    if (q instanceof QueryRejection) return { code: "KEEL_BAD_QUERY", detail: q.detail };
    t.query = q;
  }
  return null;
}

/** The request body as the route will forward it, when the route reads bodies at all. */
export interface PreparedBody {
  /** The parsed (and rewritten) JSON; undefined when the request had no body. */
  json: unknown;
  /** Bytes to forward; null = no body. */
  bytes: Uint8Array | null;
  /** The client's body was read here (so `bytes` is what goes on; else it streams as usual). */
  consumed: boolean;
  /** The JSON rules rewrote the body: 1 by the byte path, 2 by the tree path, 0 not. */
  rewrittenBy: 0 | 1 | 2;
}

export function needsRequestBody(route: RoutePlan): boolean {
  return route.normalize?.requestJson != null || route.validator?.validatesBody === true;
}

/**
 * Validates query and path params (always, when the route has such schemas), then — for routes
 * that read bodies — reads, parses, validates and rewrites the body. The upload must arrive
 * by `uploadDeadline` (408 otherwise).
 */
export async function prepareRequest(req: Request, route: RoutePlan, query: string, params: Readonly<Record<string, string>>, uploadDeadline: number): Promise<PreparedBody | Refusal> {
  const prepared: PreparedBody = { json: undefined, bytes: null, consumed: false, rewrittenBy: 0 };
  const json = route.normalize?.requestJson ?? null;
  const validator = route.validator;
  let hasBody = false;
  if (needsRequestBody(route) && req.body !== null) {
    const contentType = req.headers.get("content-type");
    if (!isJsonType(contentType)) {
      // An empty body is no body, whatever its type.
      if (req.headers.get("content-length") !== "0") {
        return { code: "KEEL_UNSUPPORTED_MEDIA_TYPE", detail: `route "${route.name}" reads JSON request bodies; Content-Type is ${contentType === null ? "absent" : JSON.stringify(contentType)}` };
      }
    } else {
      const cap = Math.min(route.maxRequestBodyBytes, json?.limits.maxBytes ?? DEFAULT_JSON_LIMITS.maxBytes);
      prepared.consumed = true;
      // The upload must arrive by the request timeout; a client that leaves stops the read too.
      const stop = readStop(req, uploadDeadline);
      const read = await readBody(req.body, cap, stop.signal);
      stop.done();
      if (!read.ok) {
        if (read.reason === "too-large") return { code: "KEEL_REQUEST_BODY_TOO_LARGE", detail: `request body over ${cap} bytes (the route buffers JSON bodies up to this size)` };
        if (read.reason === "stopped" && stop.why() === "deadline") return { code: "KEEL_REQUEST_TIMEOUT", detail: `request body not received within server.requestTimeout (${read.received} bytes arrived)` };
        return { code: "KEEL_CLIENT_CLOSED", detail: "the client closed the connection while sending the body" };
      }
      if (read.bytes.length > 0) {
        // Nothing needs the body as a value (no schema, no hook): the rules run over the bytes.
        if (json !== null && json.byteTransform !== null && validator === null && route.hooks === null) {
          const bytes = json.byteTransform(read.bytes, json.limits);
          if (bytes !== null) {
            prepared.bytes = bytes;
            prepared.rewrittenBy = 1;
            return prepared;
          }
        }
        const parsed = parseJsonBody(read.bytes, json?.limits ?? { maxBytes: cap, maxDepth: DEFAULT_JSON_LIMITS.maxDepth });
        if (!parsed.ok) {
          if (parsed.reason === "too-large") return { code: "KEEL_REQUEST_BODY_TOO_LARGE", detail: parsed.message };
          return { code: "KEEL_INVALID_JSON", detail: `request body: ${parsed.message}` };
        }
        prepared.json = parsed.value;
        prepared.bytes = read.bytes;
        hasBody = true;
      }
    }
  }
  if (validator !== null) {
    const errors = validator.check({
      ...(hasBody || validator.validatesBody ? { body: prepared.json } : {}),
      query: queryToObject(query),
      params,
    });
    if (errors !== null) {
      const first = errors[0]!;
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
      return { code: "KEEL_VALIDATION_FAILED", detail: `${first.in} ${first.pointer || "/"}: ${first.message}${more}`, fields: { errors } };
    }
  }
  if (!hasBody) return prepared;
  if (json === null) {
    // What was validated is what goes on: the parsed body, written anew. Forwarding the client's
    // bytes would let a duplicate key ({"qty":"x","qty":1}) carry an unchecked value to a backend
    // that keeps the first of two keys (JSON.parse keeps the last).
    prepared.bytes = serializeJson(prepared.json);
    return prepared;
  }
  const out = json.transform(prepared.json);
  if (!out.ok) return { code: "KEEL_JSON_RULE_FAILED", detail: `request body ${out.error.pointer || "/"}: ${out.error.message}`, fields: { pointer: out.error.pointer } };
  prepared.json = out.value;
  prepared.bytes = serializeJson(prepared.json);
  prepared.rewrittenBy = 2;
  return prepared;
}
