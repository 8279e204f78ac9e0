// Request ids: a random per-process prefix plus a counter — unique across instances in practice,
// and far cheaper than a UUID per request. A client's id is kept only when the config trusts it.

const PREFIX = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("");
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return PREFIX + "-" + counter.toString(36);
}

/** An incoming id is acceptable when short and made of visible ASCII (it is echoed back in headers and logs). */
export function acceptableRequestId(value: string | null): value is string {
  if (value === null || value.length === 0 || value.length > 128) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
