// Splits Bun's absolute req.url into path and query by slicing (no new URL() per request).
// Bun has already resolved "." and ".." segments; routing uses the path as given here.

export interface RequestTarget {
  readonly path: string;
  /** Including the leading "?", or "" when there is none. */
  readonly query: string;
}

export function splitTarget(url: string): RequestTarget | null {
  const scheme = url.indexOf("://");
  if (scheme === -1) return null;
  const p = url.indexOf("/", scheme + 3);
  if (p === -1) return null;
  const q = url.indexOf("?", p);
  if (q === -1) return { path: url.slice(p), query: "" };
  return { path: url.slice(p, q), query: url.slice(q) };
}

/** Host header → lower-case host name without port; IPv6 literals keep their brackets. */
export function hostName(hostHeader: string | null): string {
  if (hostHeader === null) return "";
  let end = hostHeader.length;
  if (hostHeader.charCodeAt(0) === 91 /* [ */) end = hostHeader.indexOf("]") + 1 || end;
  else {
    const colon = hostHeader.lastIndexOf(":");
    if (colon !== -1) end = colon;
  }
  return hostHeader.slice(0, end).toLowerCase();
}
