// Hop-by-hop header fields (RFC 9110 §7.6.1): meaningful for one connection only, so a proxy
// removes them, and every field the Connection header names, on both legs.

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/** Field names listed in a Connection header value, lower-cased ("close" and "keep-alive" included). */
export function connectionTokens(value: string | null): string[] {
  if (value === null || value === "") return [];
  const out: string[] = [];
  for (const raw of value.split(",")) {
    const t = raw.trim().toLowerCase();
    if (t !== "") out.push(t);
  }
  return out;
}
