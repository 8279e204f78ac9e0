// Field syntax checks shared by FlatHeaders and checkReply: a hook must not be able to smuggle a
// second header line (CR/LF) or an unparseable name onto the wire.

// RFC 9110 §5.6.2 tchar, as a lookup table built once.
const TCHAR: readonly boolean[] = (() => {
  const t = new Array<boolean>(128).fill(false);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") t[c.charCodeAt(0)] = true;
  return t;
})();

/** A non-empty RFC 9110 token. */
export function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || !TCHAR[c]) return false;
  }
  return true;
}

/** No CR, LF or NUL — the characters the Fetch standard forbids in a header value. */
export function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13 || c === 10 || c === 0) return false;
  }
  return true;
}
