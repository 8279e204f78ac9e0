// Keel's header fields as one flat array, [name, value, name, value, ...] with lower-case names:
// the few edits every part of the request path makes to it (the hooks' FlatHeaders, the respond
// phase), in one place.

/** The value of the first `name` field, or null. */
export function firstField(flat: readonly string[], name: string): string | null {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return flat[i + 1]!;
  return null;
}

/** `value` in the first `name` field (added at the end when there is none); later ones dropped. */
export function setField(flat: string[], name: string, value: string): void {
  let found = false;
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] !== name) continue;
    if (!found) {
      flat[i + 1] = value;
      found = true;
    } else {
      flat.splice(i, 2);
      i -= 2;
    }
  }
  if (!found) flat.push(name, value);
}

/** Drops every `name` field. */
export function removeField(flat: string[], name: string): void {
  for (let i = flat.length - 2; i >= 0; i -= 2) if (flat[i] === name) flat.splice(i, 2);
}
