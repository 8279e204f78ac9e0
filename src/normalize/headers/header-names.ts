// Which header names rules may touch, and which ones "removeServerHeaders" drops.

/**
 * Fields that frame the message or belong to one connection: Keel and the HTTP stack own them,
 * and a rule changing them could desynchronise the two ends (request smuggling, broken bodies).
 */
const FRAMING: ReadonlySet<string> = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
]);

/** Lower-case name → whether rules in this direction must not touch it. Host routes the request leg. */
export function isProtectedHeader(lowerName: string, direction: "request" | "response"): boolean {
  return FRAMING.has(lowerName) || (direction === "request" && lowerName === "host");
}

/**
 * Response fields that only advertise the backend's software and version, which helps an
 * attacker pick exploits and tells clients nothing they need.
 */
export const SERVER_HEADERS: readonly string[] = [
  "server",
  "x-powered-by",
  "x-aspnet-version",
  "x-aspnetmvc-version",
  "x-runtime",
  "x-generator",
];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A field name must be a token (RFC 9110 §5.1). */
export function isValidHeaderName(name: string): boolean {
  return TOKEN.test(name);
}

const UNSAFE_VALUE = /[\r\n\0]/;

/** CR and LF would end the field (response splitting); NUL is rejected by every HTTP stack. */
export function isUnsafeHeaderValue(value: string): boolean {
  return UNSAFE_VALUE.test(value);
}
