// Default values for `defaults`. Each use gets its own deep copy, so a later rule or a consumer
// changing one body's default can never change the next body's. JSON values only: that is all a
// YAML config holds, and it keeps copying a plain walk (no structuredClone).

import { setOwn, type JsonObject } from "./own-property.ts";

/** Nesting beyond this is refused (a default that deep is a config mistake, and the copy recurses). */
const MAX_DEFAULT_DEPTH = 64;

/** A maker of fresh copies of `value`, or null when `value` is not a JSON value (or too deep). */
export function defaultMaker(value: unknown): (() => unknown) | null {
  if (!isJsonValue(value, 0, [])) return null;
  if (typeof value !== "object" || value === null) return () => value;
  const template = copyJson(value); // our own snapshot: the config object may change later
  return () => copyJson(template);
}

/** Strings, finite numbers, booleans, null, and arrays / plain objects of those (no cycles). */
export function isJsonValue(value: unknown, depth: number, open: object[]): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEFAULT_DEPTH || open.includes(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
  open.push(value);
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const item of items) if (!isJsonValue(item, depth + 1, open)) return false;
  open.pop();
  return true;
}

function copyJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i]);
    return out;
  }
  const out: JsonObject = {};
  const source = value as JsonObject;
  for (const key of Object.keys(source)) setOwn(out, key, copyJson(source[key]));
  return out;
}
