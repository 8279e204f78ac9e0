// The media type of a Content-Type value (RFC 9110 §8.3.1), and whether it is JSON: the request
// body check, the response JSON rules and the error envelope all ask the same question.

/** "application/json" from "Application/JSON; charset=utf-8"; "" when absent. */
export function mediaTypeOf(contentType: string | null): string {
  if (contentType === null) return "";
  const semi = contentType.indexOf(";");
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** application/json and any +json type (RFC 6839 §3.1); `mediaType` as mediaTypeOf gives it. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType.endsWith("+json");
}

/** True for application/json and any +json type, parameters ignored. */
export function isJsonType(contentType: string | null): boolean {
  if (contentType === null) return false;
  // The common spellings without building strings (this runs on every answer of a JSON route).
  if (contentType === "application/json" || contentType.startsWith("application/json;")) return true;
  return isJsonMediaType(mediaTypeOf(contentType));
}
