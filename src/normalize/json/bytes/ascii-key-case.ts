// `keys: camelCase | snake_case` on a key already written as ASCII bytes, in place: the same
// conversion as toCamelCase / toSnakeCase (key-case.ts) restricted to ASCII, where upper and
// lower case are A–Z and a–z. Keys with other characters go through those functions instead.

const UNDERSCORE = 0x5f;
const DASH = 0x2d;

function isSeparator(c: number): boolean {
  return c === UNDERSCORE || c === DASH;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

function isLower(c: number): boolean {
  return c >= 0x61 && c <= 0x7a;
}

/** camelCase of buf[start, end); returns the new end (the key only shrinks). */
export function camelCaseAscii(buf: Uint8Array, start: number, end: number): number {
  let s = start;
  let e = end;
  while (s < e && isSeparator(buf[s]!)) s++;
  while (e > s && isSeparator(buf[e - 1]!)) e--;
  let w = s;
  while (w < e && !isSeparator(buf[w]!)) w++;
  if (w === e) return end;
  let upperNext = false;
  for (let r = w; r < e; r++) {
    const c = buf[r]!;
    if (isSeparator(c)) upperNext = true;
    else {
      buf[w++] = upperNext && isLower(c) ? c - 32 : c;
      upperNext = false;
    }
  }
  for (let r = e; r < end; r++) buf[w++] = buf[r]!;
  return w;
}

let scratch = new Uint8Array(256);

/** snake_case of buf[start, end), written back from start; returns the new end. buf must have room for twice the key. */
export function snakeCaseAscii(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (scratch.length < len) scratch = new Uint8Array(len * 2);
  const key = scratch;
  for (let r = 0; r < len; r++) key[r] = buf[start + r]!;
  let s = 0;
  let e = len;
  while (s < e && isSeparator(key[s]!)) s++;
  while (e > s && isSeparator(key[e - 1]!)) e--;
  let r = s;
  while (r < e && key[r] !== DASH && !isUpper(key[r]!)) r++;
  if (r === e) return end;
  let w = start + r;
  for (; r < e; r++) {
    const c = key[r]!;
    if (c === DASH) buf[w++] = UNDERSCORE;
    else if (isUpper(c)) {
      if (r > s && startsWord(key, r, e)) buf[w++] = UNDERSCORE;
      buf[w++] = c + 32;
    } else buf[w++] = c;
  }
  for (r = e; r < len; r++) buf[w++] = key[r]!;
  return w;
}

/** An upper-case letter at r starts a word after a lower-case letter or digit, or ends an acronym. */
function startsWord(key: Uint8Array, r: number, end: number): boolean {
  const prev = key[r - 1]!;
  if (isSeparator(prev)) return false;
  if (!isUpper(prev)) return true;
  return r + 1 < end && isLower(key[r + 1]!);
}
