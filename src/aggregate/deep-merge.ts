// Deep merge of JSON values for merge: deep. Objects merge key by key; anything else (arrays,
// scalars, null) is replaced by the later value. Inputs are never mutated.

// Past this depth the later value wins whole: bounds recursion on hostile or cyclic input.
const MAX_DEPTH = 200;

export function deepMerge(a: unknown, b: unknown): unknown {
  return merge(a, b, 0);
}

function merge(a: unknown, b: unknown, depth: number): unknown {
  if (!isPlainObject(a) || !isPlainObject(b) || depth >= MAX_DEPTH) return b;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a)) setOwn(out, k, a[k]);
  for (const k of Object.keys(b)) setOwn(out, k, Object.hasOwn(a, k) ? merge(a[k], b[k], depth + 1) : b[k]);
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON.parse makes "__proto__" an own key; a plain assignment of it would instead replace the
 * prototype. defineProperty keeps it an ordinary own key.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
