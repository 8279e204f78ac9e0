// A response body in a Content-Encoding, decoded so its JSON can be read. Keel asks backends of
// body-rewriting routes for identity encoding, so this runs only for a backend that ignores that.
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

export type Decoded =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: "too-large" | "undecodable"; readonly message: string };

/** `encoding` as in the header (null/identity = none); output capped at maxBytes. Never throws. */
export function decodeContent(bytes: Uint8Array, encoding: string | null, maxBytes: number): Decoded {
  const e = encoding === null ? "identity" : encoding.trim().toLowerCase();
  const opts = { maxOutputLength: maxBytes };
  try {
    switch (e) {
      case "identity":
      case "":
        return { ok: true, bytes };
      case "gzip":
      case "x-gzip":
        return { ok: true, bytes: gunzipSync(bytes, opts) };
      case "deflate":
        return { ok: true, bytes: inflateSync(bytes, opts) };
      case "br":
        return { ok: true, bytes: brotliDecompressSync(bytes, opts) };
      default:
        return { ok: false, reason: "undecodable", message: `Content-Encoding ${JSON.stringify(encoding)} cannot be decoded` };
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_BUFFER_TOO_LARGE") return { ok: false, reason: "too-large", message: `body decodes to more than ${maxBytes} bytes` };
    return { ok: false, reason: "undecodable", message: `Content-Encoding ${e}: ${(err as Error).message}` };
  }
}
