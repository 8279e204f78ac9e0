// JSON value → UTF-8 bytes for the body sent on.

const encoder = new TextEncoder();

/** value → UTF-8 bytes, a fresh array the caller owns. `undefined` (nothing to send) becomes "null". Expects a JSON value, as parseJsonBody and the rules produce (JSON.stringify would throw on a cycle or a BigInt). */
export function serializeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value) ?? "null");
}
