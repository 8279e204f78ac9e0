// Safe property access on parsed JSON. JSON.parse makes "__proto__" an ordinary own key; a plain
// `obj[k] = v` with k = "__proto__" on an object lacking it would set the prototype instead, and
// `obj[k]` for k = "constructor" would read Object.prototype. Every key the rules touch goes here.

const hasOwnProperty = Object.prototype.hasOwnProperty;

export type JsonObject = Record<string, unknown>;

/** An object from JSON (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function hasOwn(obj: object, key: string): boolean {
  return hasOwnProperty.call(obj, key);
}

/** Creates or overwrites an own, enumerable data property, whatever the key. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
