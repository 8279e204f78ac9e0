// What a backend's error body says, read defensively: any bytes, any Content-Type, possibly cut
// short by the caller's cap. Nothing here throws.

import { isJsonMediaType, mediaTypeOf } from "../headers/media-type.ts";
import { textSnippet } from "./text-snippet.ts";

export interface ErrorBodyReading {
  /** The parsed body, when it is complete, valid UTF-8 JSON. */
  readonly json: { readonly value: unknown } | null;
  /** Declared application/problem+json and parsed to an object. */
  readonly problem: Readonly<Record<string, unknown>> | null;
  /** A message found in the body, or null (the caller falls back to the status). */
  readonly detail: string | null;
}

const NOTHING: ErrorBodyReading = { json: null, problem: null, detail: null };

// fatal: JSON in broken UTF-8 is not JSON; text is shown with replacement characters instead.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** Fields backends put their message in, most specific first. */
const DETAIL_FIELDS = ["detail", "message", "error_description", "error", "title"] as const;

export function readErrorBody(headers: readonly string[], body: Uint8Array, truncated: boolean): ErrorBodyReading {
  if (body.byteLength === 0) return NOTHING;
  const encoding = headerValue(headers, "content-encoding");
  // Compressed bytes are not decoded here: the caller's cap applies to them, not to what they inflate to.
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity" && encoding.trim() !== "") return NOTHING;

  const mediaType = mediaTypeOf(headerValue(headers, "content-type"));
  const declaredJson = isJsonMediaType(mediaType);
  // Without a Content-Type, a body that opens like JSON is given the chance to be JSON.
  const sniffJson = mediaType === "" && opensLikeJson(body);
  if (declaredJson || sniffJson) {
    const value = truncated ? undefined : parseJson(body);
    if (value === undefined) return NOTHING;
    const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
    const fields = isObject ? (value as Record<string, unknown>) : null;
    return {
      json: { value },
      problem: fields !== null && mediaType === "application/problem+json" ? fields : null,
      detail: fields !== null ? detailOf(fields) : null,
    };
  }
  if (mediaType.startsWith("text/")) {
    const snippet = textSnippet(lenientUtf8.decode(body), mediaType === "text/html");
    return { json: null, problem: null, detail: snippet === "" ? null : snippet };
  }
  return NOTHING;
}

function detailOf(fields: Record<string, unknown>): string | null {
  for (const key of DETAIL_FIELDS) {
    let v = fields[key];
    // {"error": {"code": 7, "message": "..."}} (Google-style APIs)
    if (key === "error" && typeof v === "object" && v !== null) v = (v as Record<string, unknown>)["message"];
    if (typeof v === "string" && v.trim() !== "") return v;
  }
  return null;
}

/** undefined = not JSON (broken UTF-8, syntax, or nesting too deep for the parser). */
function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(strictUtf8.decode(body));
  } catch {
    return undefined;
  }
}

function opensLikeJson(body: Uint8Array): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    return c === 0x7b /* { */ || c === 0x5b /* [ */;
  }
  return false;
}

/** The first value of a header; names compared case-insensitively (this is the error path, not the hot one). */
export function headerValue(headers: readonly string[], lowerName: string): string | null {
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]!.toLowerCase() === lowerName) return headers[i + 1]!;
  return null;
}
