// application/x-www-form-urlencoded decoding of one name or value, as URLSearchParams does it
// (WHATWG URL §5.1): "+" is a space, "%XX" a byte, a malformed escape stays as written, and the
// bytes are read as UTF-8 with invalid sequences turned into U+FFFD (never an exception).

import { escapedByte, pushUtf8 } from "../path/percent-escape.ts";

// ignoreBOM: keep a leading U+FEFF as data, as URLSearchParams does, instead of swallowing it.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

const PLUS = 43;
const PERCENT = 37;

/** Decodes s[start, end). Text without "+", "%" or surrogates is returned as a plain slice. */
export function formDecode(s: string, start: number, end: number): string {
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    // Surrogates go the long way too, so a lone one becomes U+FFFD as in URLSearchParams.
    if (c === PLUS || c === PERCENT || (c & 0xf800) === 0xd800) break;
    i++;
  }
  if (i === end) return s.slice(start, end);

  const bytes: number[] = [];
  for (let k = start; k < end; k++) {
    const c = s.charCodeAt(k);
    if (c === PLUS) bytes.push(0x20);
    else if (c === PERCENT) {
      const b = k + 2 < end ? escapedByte(s, k) : -1;
      if (b < 0) bytes.push(PERCENT);
      else {
        bytes.push(b);
        k += 2;
      }
    } else if (c < 0x80) bytes.push(c);
    else k += pushUtf8(s, k, bytes) - 1;
  }
  return UTF8.decode(new Uint8Array(bytes));
}
