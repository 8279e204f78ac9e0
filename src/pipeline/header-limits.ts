// Keel's own request-header caps (server.maxHeaderCount / maxHeaderBytes), below Bun's hard ones.
// Only configured caps cost anything: the walk over the fields runs only when one is set.

/** null when within the caps; otherwise what was exceeded, for the 431 detail. */
export function headerLimitExceeded(headers: Headers, maxCount: number | null, maxBytes: number | null): string | null {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count++;
    bytes += name.length + value.length;
  }
  if (maxCount !== null && count > maxCount) return `${count} header fields; server.maxHeaderCount is ${maxCount}`;
  if (maxBytes !== null && bytes > maxBytes) return `${bytes} bytes of header names and values; server.maxHeaderBytes is ${maxBytes}`;
  return null;
}
