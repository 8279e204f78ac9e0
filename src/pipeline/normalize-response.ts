// The respond phase of a route with response rules (docs/normalize.md): backend errors rewritten
// into problem+json (when asked), JSON bodies of successful answers read up to their cap, decoded,
// parsed and rewritten; then the onResponse hook and the header rules run in the handler. Bodies
// of routes without such rules are never read here: they stream.

import type { JsonBodyPlan, RoutePlan } from "../config/plan.ts";
import { envelopeError, type EnvelopeContext } from "../normalize/error-envelope/envelope-error.ts";
import { firstField, removeField, setField } from "../normalize/headers/flat-fields.ts";
import { isJsonType } from "../normalize/headers/media-type.ts";
import { parseJsonBody, readBody } from "../normalize/json/body.ts";
import type { UpstreamResponse } from "../upstream/client.ts";
import { decodeContent } from "./decode-body.ts";
import { readStop } from "./read-stop.ts";
import { inTurnBatch } from "./turn-batch.ts";
import type { Refusal } from "./normalize-request.ts";
import { isRefusal } from "./normalize-request.ts";

/** A response on its way to the client; `json` set when its body was parsed (serialised last). */
export interface ResponseParts {
  status: number;
  /** Flat [name, value, ...], lower-case names; ours to change. */
  headers: string[];
  body: Uint8Array | ReadableStream<Uint8Array> | null;
  /** The parsed body, when the route read it; `hasJson` tells undefined from "not read". */
  json: unknown;
  hasJson: boolean;
  /** The backend's error was rewritten into problem+json. */
  enveloped: boolean;
  /** The JSON rules rewrote the body: 1 by the byte path, 2 by the tree path, 0 not. */
  rewrittenBy: 0 | 1 | 2;
}


/** Whether the route reads response bodies (so the request asks for identity encoding). */
export function readsResponseBody(route: RoutePlan): boolean {
  const n = route.normalize;
  return n !== null && (n.responseJson !== null || n.errorEnvelope);
}

/** The request's end: reads of buffered bodies stop there (or when the client leaves). */
export interface ReadBound {
  readonly req: Request;
  readonly deadline: number;
  /** The deadline is the route's budget (else its timeout): what running out of time is called. */
  readonly byBudget: boolean;
  readonly route: RoutePlan;
}

function timedOut(b: ReadBound): Refusal {
  return b.byBudget
    ? { code: "KEEL_BUDGET_EXHAUSTED", detail: `route budget ${b.route.budgetMs} ms ran out reading the upstream's body` }
    : { code: "KEEL_UPSTREAM_TIMEOUT", detail: `the upstream's body did not arrive within the route timeout (${b.route.timeoutMs} ms)` };
}

type ReadResult = Awaited<ReturnType<typeof readBody>>;

/** readBody of a streamed body within the bound; a stop becomes the refusal that says why. */
async function readWithin(body: ReadableStream<Uint8Array>, cap: number, bound: ReadBound): Promise<ReadResult | Refusal> {
  const stop = readStop(bound.req, bound.deadline);
  try {
    const read = await readBody(body, cap, stop.signal);
    if (read.ok || read.reason !== "stopped") return read;
    if (stop.why() === "client") return { code: "KEEL_CLIENT_CLOSED", detail: "the client left while Keel read the upstream's body" };
    return timedOut(bound);
  } finally {
    stop.done();
  }
}

const EMPTY = new Uint8Array(0);

/** A body that arrived whole with the head: no stream, no await. */
function readBytes(body: Uint8Array | null, cap: number): ReadResult {
  if (body === null) return { ok: true, bytes: EMPTY };
  return body.length > cap ? { ok: false, reason: "too-large", received: body.length } : { ok: true, bytes: body };
}

/**
 * The response after the route's envelope or JSON rules. A body that came whole with the head
 * (the common case for small JSON) is rewritten at once, or, while the gateway is busy, at the end
 * of the event loop's turn with the others that arrived in it (turn-batch.ts); one that streams,
 * once it is read. An error envelope (rare) is synchronous.
 */
export function normalizeResponse(r: UpstreamResponse, route: RoutePlan, ctx: EnvelopeContext, bound: ReadBound): ResponseParts | Refusal | Promise<ResponseParts | Refusal> {
  const parts: ResponseParts = { status: r.status, headers: r.headers, body: r.body, json: undefined, hasJson: false, enveloped: false, rewrittenBy: 0 };
  const n = route.normalize;
  if (n === null) return parts;
  const envelope = r.status >= 400 && n.errorEnvelope;
  const json = n.responseJson;
  if (!envelope && (json === null || r.body === null || r.status < 200 || r.status >= 300 || !isJsonType(firstField(r.headers, "content-type")))) return parts;
  const cap = envelope ? n.errorBodyBytes : json!.limits.maxBytes;
  // The byte path needs no parsed value; an onResponse hook does.
  const byValue = route.hooks !== null && route.hooks.module.onResponse !== undefined;
  if (r.body instanceof ReadableStream) {
    return readWithin(r.body, cap, bound).then((read) => (isRefusal(read) ? read : envelope ? withEnvelope(parts, r, read, ctx) : withJson(parts, read, json!, byValue)));
  }
  const read = readBytes(r.body, cap);
  return envelope ? withEnvelope(parts, r, read, ctx) : inTurnBatch(() => withJson(parts, read, json!, byValue));
}

function withEnvelope(parts: ResponseParts, r: UpstreamResponse, read: ReadResult, ctx: EnvelopeContext): ResponseParts {
  const env = envelopeError(r.status, r.headers, read.ok ? read.bytes : EMPTY, !read.ok, ctx);
  parts.status = env.status;
  parts.headers = env.headers;
  parts.body = env.body;
  parts.enveloped = true;
  return parts;
}

function withJson(parts: ResponseParts, read: ReadResult, json: JsonBodyPlan, byValue: boolean): ResponseParts | Refusal {
  const cap = json.limits.maxBytes;
  if (!read.ok) {
    if (read.reason === "too-large") return { code: "KEEL_UPSTREAM_BODY_TOO_LARGE", detail: `response body over ${cap} bytes (the route buffers JSON bodies up to this size)` };
    return { code: "KEEL_UPSTREAM_RESET_MID_RESPONSE", detail: "the upstream closed the connection in the middle of the response body" };
  }
  const encoding = firstField(parts.headers, "content-encoding");
  const decoded = encoding === null ? read : decodeContent(read.bytes, encoding, cap);
  if (!decoded.ok) return { code: decoded.reason === "too-large" ? "KEEL_UPSTREAM_BODY_TOO_LARGE" : "KEEL_UPSTREAM_INVALID_JSON", detail: `response body: ${decoded.message}` };
  if (!byValue && json.byteTransform !== null) {
    // One pass over the bytes; anything it does not do (and every error) goes the tree path below.
    const bytes = json.byteTransform(decoded.bytes, json.limits);
    if (bytes !== null) {
      if (encoding !== null) removeField(parts.headers, "content-encoding");
      // The new length in place of the old (no splice of the header list on every answer).
      setField(parts.headers, "content-length", String(bytes.length));
      parts.body = bytes;
      parts.rewrittenBy = 1;
      return parts;
    }
  }
  const parsed = parseJsonBody(decoded.bytes, json.limits);
  if (!parsed.ok) {
    if (parsed.reason === "too-large") return { code: "KEEL_UPSTREAM_BODY_TOO_LARGE", detail: `response body: ${parsed.message}` };
    return { code: "KEEL_UPSTREAM_INVALID_JSON", detail: `response body: ${parsed.message}` };
  }
  const out = json.transform(parsed.value);
  if (!out.ok) return { code: "KEEL_UPSTREAM_JSON_RULE_FAILED", detail: `response body ${out.error.pointer || "/"}: ${out.error.message}`, fields: { pointer: out.error.pointer } };
  if (encoding !== null) removeField(parts.headers, "content-encoding");
  parts.json = out.value;
  parts.hasJson = true;
  parts.rewrittenBy = 2;
  parts.body = null;
  return parts;
}

/**
 * The parts as a Response body: a parsed body as JSON text (Bun encodes a string body natively and
 * sets Content-Length; no intermediate byte copy), Content-Length of the old body dropped.
 */
export function finalBody(parts: ResponseParts): string | Uint8Array | ReadableStream<Uint8Array> | null {
  if (!parts.hasJson) return parts.body;
  removeField(parts.headers, "content-length");
  return JSON.stringify(parts.json) ?? "null";
}
