// One spelling per media type (RFC 9110 §8.3.1), so backends and caches that compare
// Content-Type as a string see "application/json; charset=utf-8" however the sender wrote it.

/** tchar (RFC 9110 §5.6.2), indexed by char code below 128. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

const isTchar = (c: number): boolean => c < 128 && TCHAR[c] === 1;
const isOws = (c: number): boolean => c === 0x20 || c === 0x09;
/** qdtext and the octet after a backslash (RFC 9110 §5.6.4); code points past 0xFF are not octets. */
const isQuotable = (c: number): boolean => c === 0x09 || (c >= 0x20 && c !== 0x7f && c <= 0xff);

function isTokenString(s: string): boolean {
  if (s === "") return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

function skipOws(v: string, i: number): number {
  while (i < v.length && isOws(v.charCodeAt(i))) i++;
  return i;
}

function skipToken(v: string, i: number): number {
  while (i < v.length && isTchar(v.charCodeAt(i))) i++;
  return i;
}

// Backends send the same Content-Type on every response: remember the last answer.
let lastIn = "";
let lastOut = "";

/**
 * "Application/JSON;Charset=UTF-8" → "application/json; charset=utf-8": lower-case type, subtype,
 * parameter names and the charset value; "; " between parameters; a quoted value that is a plain
 * token loses its quotes; empty parameters are dropped. Malformed input comes back unchanged.
 */
export function canonicalContentType(value: string): string {
  if (value === lastIn) return lastOut;
  const out = canonicalize(value) ?? value;
  lastIn = value;
  lastOut = out;
  return out;
}

/** null = malformed. */
function canonicalize(v: string): string | null {
  let i = skipOws(v, 0);
  const typeEnd = skipToken(v, i);
  if (typeEnd === i || v.charCodeAt(typeEnd) !== 0x2f /* / */) return null;
  const subEnd = skipToken(v, typeEnd + 1);
  if (subEnd === typeEnd + 1) return null;
  let out = v.slice(i, subEnd).toLowerCase();
  i = skipOws(v, subEnd);
  while (i < v.length) {
    if (v.charCodeAt(i) !== 0x3b /* ; */) return null;
    i = skipOws(v, i + 1);
    if (i >= v.length || v.charCodeAt(i) === 0x3b) continue; // empty parameter
    const nameEnd = skipToken(v, i);
    if (nameEnd === i) return null;
    const name = v.slice(i, nameEnd).toLowerCase();
    // Whitespace around "=" is not in the grammar, but common enough to accept and drop.
    i = skipOws(v, nameEnd);
    if (v.charCodeAt(i) !== 0x3d /* = */) return null;
    i = skipOws(v, i + 1);
    let param: string;
    if (v.charCodeAt(i) === 0x22 /* " */) {
      const quoted = readQuoted(v, i);
      if (quoted === null) return null;
      param = isTokenString(quoted.text) ? quoted.text : quoted.text === "" ? "" : v.slice(i, quoted.end);
      i = quoted.end;
    } else {
      const valueEnd = skipToken(v, i);
      param = v.slice(i, valueEnd);
      i = valueEnd;
    }
    i = skipOws(v, i);
    if (param === "") continue; // "charset=" or charset="" says nothing
    out += `; ${name}=${name === "charset" ? param.toLowerCase() : param}`;
  }
  return out;
}

/** A quoted-string starting at `start` (the opening quote): its unescaped text and the index after it. */
function readQuoted(v: string, start: number): { text: string; end: number } | null {
  let text = "";
  for (let j = start + 1; j < v.length; j++) {
    const c = v.charCodeAt(j);
    if (c === 0x22) return { text, end: j + 1 };
    if (c === 0x5c /* \ */) {
      j++;
      if (j >= v.length || !isQuotable(v.charCodeAt(j))) return null;
      text += v[j];
    } else if (isQuotable(c)) {
      text += v[j];
    } else {
      return null;
    }
  }
  return null; // no closing quote
}
