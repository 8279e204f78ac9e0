// A backend's error response rewritten into RFC 9457 problem+json, so clients see one error
// format whether Keel or the backend refused. The backend's status stays; what its body said
// travels in detail, upstreamBody and (for a problem+json backend) its own members.

import { ERRORS, type ErrorCode } from "../../errors.ts";
import { readErrorBody } from "./read-error-body.ts";
import { reasonPhrase } from "./reason-phrases.ts";

export interface EnvelopeContext {
  readonly route: string;
  readonly upstream: string;
  readonly requestId: string;
}

export interface Envelope {
  readonly status: number;
  /** Flat, including content-type: application/problem+json and content-length. */
  readonly headers: string[];
  readonly body: Uint8Array;
}

// The catalogue entry Keel's own problems use, so an envelope and a Keel problem read alike.
const UPSTREAM_ERROR_CODE: ErrorCode = "KEEL_UPSTREAM_ERROR_RESPONSE";
const UPSTREAM_ERROR_TITLE = ERRORS[UPSTREAM_ERROR_CODE].title;
/** A JSON body up to this size is passed along whole as upstreamBody. */
export const UPSTREAM_BODY_MAX_BYTES = 4096;

/**
 * Fields that described the backend's bytes, which the envelope replaces: the new body has its
 * own type and length, is not encoded, and no longer matches a digest or validator of the old one.
 */
const REPLACED: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "content-md5",
  "content-digest",
  "repr-digest",
  "digest",
  "etag",
]);

/** Members of a problem that the envelope writes itself (RFC 9457 §3.1 and Keel's own). */
const RESERVED: ReadonlySet<string> = new Set([
  "type", "title", "status", "detail", "instance",
  "code", "route", "upstream", "phase", "requestId", "upstreamStatus", "upstreamBody",
  "__proto__", // an own "__proto__" from JSON.parse would set the prototype when copied
]);

const utf8 = new TextEncoder();

/**
 * status: backend status (400-599); headers: backend headers (flat; kept except content-type/length/encoding, which are replaced);
 * body: the whole backend body (already read, capped by the caller; may be empty); truncated: the caller stopped reading at its cap. Never throws.
 */
export function envelopeError(status: number, headers: readonly string[], body: Uint8Array, truncated: boolean, ctx: EnvelopeContext): Envelope {
  const reading = readErrorBody(headers, body, truncated);
  const backend = reading.problem;
  const phrase = reasonPhrase(status);

  const problem: Record<string, unknown> = {
    type: stringMember(backend, "type") ?? `urn:keel:error:${UPSTREAM_ERROR_CODE}`,
    title: stringMember(backend, "title") ?? UPSTREAM_ERROR_TITLE,
    status,
    detail: reading.detail ?? `upstream answered ${status}${phrase === "" ? "" : ` ${phrase}`}`,
  };
  const instance = stringMember(backend, "instance");
  if (instance !== null) problem.instance = instance;
  if (backend !== null) for (const key of Object.keys(backend)) if (!RESERVED.has(key)) problem[key] = backend[key];
  problem.code = UPSTREAM_ERROR_CODE;
  problem.route = ctx.route;
  problem.upstream = ctx.upstream;
  problem.phase = "upstream";
  problem.requestId = ctx.requestId;
  problem.upstreamStatus = status;
  if (reading.json !== null && body.byteLength <= UPSTREAM_BODY_MAX_BYTES) problem.upstreamBody = reading.json.value;

  const bytes = utf8.encode(serialize(problem));
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (!REPLACED.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
  }
  out.push("content-type", "application/problem+json", "content-length", String(bytes.byteLength));
  return { status, headers: out, body: bytes };
}

function stringMember(fields: Readonly<Record<string, unknown>> | null, key: string): string | null {
  const v = fields?.[key];
  return typeof v === "string" ? v : null;
}

/** A parsed backend value deep enough to overflow stringify costs it upstreamBody and extensions, not the envelope. */
function serialize(problem: Record<string, unknown>): string {
  try {
    return JSON.stringify(problem);
  } catch {
    const plain: Record<string, unknown> = {};
    for (const key of ["type", "title", "status", "detail", "instance", "code", "route", "upstream", "phase", "requestId", "upstreamStatus"]) {
      if (key in problem) plain[key] = problem[key];
    }
    return JSON.stringify(plain);
  }
}
