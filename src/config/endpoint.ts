// Endpoint URLs: "http://host:port" only (no path, query, credentials; https not yet supported).

export interface ParsedEndpoint {
  /** Host without IPv6 brackets, for connecting. */
  readonly host: string;
  readonly port: number;
  /** "host:port" as written (the Host header value); no port written = default 80, not added. */
  readonly authority: string;
}

const EXAMPLE = 'expected a URL like "http://127.0.0.1:9001"';

export function parseEndpoint(url: string): ParsedEndpoint | { readonly error: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return { error: `${EXAMPLE}, got ${JSON.stringify(url)}` };
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  if (scheme.toLowerCase() === "https") return { error: `https endpoints are not supported yet; use http:// (got ${JSON.stringify(url)})` };
  if (scheme.toLowerCase() !== "http") return { error: `${EXAMPLE}; scheme "${scheme}" is not supported` };
  // A lone trailing "/" is the empty path; anything else would be silently dropped, so refuse it.
  if (rest !== "" && rest !== "/") return { error: `an endpoint is host:port only, without path, query or fragment (got ${JSON.stringify(url)})` };
  if (authority.includes("@")) return { error: `an endpoint must not contain credentials (got ${JSON.stringify(url)})` };
  const hp = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]+)(?::(\d*))?$/.exec(authority);
  if (!hp) return { error: `bad host in endpoint ${JSON.stringify(url)}; ${EXAMPLE}` };
  const port = hp[2] === undefined ? 80 : Number(hp[2]);
  if (hp[2] === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return { error: `endpoint port must be from 1 to 65535 (got ${JSON.stringify(url)})` };
  }
  return { host: hp[1]!.replace(/^\[(.*)\]$/, "$1"), port, authority };
}
