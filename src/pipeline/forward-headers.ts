// The request leg's header hygiene: copy the client's fields minus hop-by-hop ones (RFC 9110
// §7.6.1) and the ones Keel owns, then add Host, X-Forwarded-*, Forwarded (RFC 7239) and the id.

import { connectionTokens, isHopByHop } from "../normalize/hop-by-hop.ts";

/** Fields Keel sets itself, so a client's copy is dropped rather than passed through or duplicated. */
const OWNED: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
]);

export interface ForwardFacts {
  readonly authority: string;
  readonly clientIp: string;
  readonly proto: "http" | "https";
  /** The client's Host header as received ("" when absent). */
  readonly originalHost: string;
  readonly requestIdHeader: string;
  readonly requestId: string;
}

export function forwardHeaders(incoming: Headers, f: ForwardFacts): string[] {
  const out: string[] = ["host", f.authority];
  const named = connectionTokens(incoming.get("connection"));
  for (const [name, value] of incoming) {
    if (OWNED.has(name) || isHopByHop(name) || name === f.requestIdHeader) continue;
    if (named.length > 0 && named.includes(name)) continue;
    out.push(name, value);
  }
  out.push(
    "x-forwarded-for", f.clientIp,
    "x-forwarded-proto", f.proto,
    "forwarded", forwardedValue(f),
    f.requestIdHeader, f.requestId,
  );
  if (f.originalHost !== "") out.push("x-forwarded-host", f.originalHost);
  return out;
}

/** RFC 7239 §4: IPv6 addresses are bracketed and quoted; host is quoted when not a plain token. */
function forwardedValue(f: ForwardFacts): string {
  const forNode = f.clientIp.includes(":") ? `"[${f.clientIp}]"` : f.clientIp;
  let v = `for=${forNode};proto=${f.proto}`;
  if (f.originalHost !== "") v += `;host=${quoteIfNeeded(f.originalHost)}`;
  return v;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function quoteIfNeeded(s: string): string {
  return TOKEN.test(s) ? s : `"${s.replace(/["\\]/g, "\\$&")}"`;
}

/** IPv4-mapped IPv6 ("::ffff:127.0.0.1") is reported as the IPv4 address. */
export function plainIp(address: string | undefined): string {
  if (address === undefined) return "unknown";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
