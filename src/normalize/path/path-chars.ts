// Character classes of RFC 3986 that the path normaliser needs, as lookup tables indexed by char code.

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

const ALPHA_DIGIT = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** unreserved (§2.3): an escape of one of these is decoded, since both spellings mean the same. */
export const UNRESERVED = table(ALPHA_DIGIT + "-._~");

/** Characters that stand unescaped in a normalised path: unreserved, sub-delims, ":", "@" (pchar, §3.3) and "/".
 * Anything else ("%", "\", space, controls, non-ASCII…) sends the path down the slow path. */
export const PATH_PLAIN = table(ALPHA_DIGIT + "-._~" + "!$&'()*+,;=" + ":@" + "/");
