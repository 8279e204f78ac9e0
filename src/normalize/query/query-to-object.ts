// A query string as a plain object for request validation: names and values form-decoded,
// a name given more than once becomes an array of its values in order.

import { formDecode } from "./form-decode.ts";
import { forEachPiece } from "./query-params.ts";

export function queryToObject(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  forEachPiece(query, (start, eq, end) => add(out, formDecode(query, start, eq), eq < end ? formDecode(query, eq + 1, end) : ""));
  return out;
}

function add(out: Record<string, string | string[]>, name: string, value: string): void {
  if (!Object.hasOwn(out, name)) {
    // defineProperty, not assignment: a parameter named "__proto__" must be data, not a prototype swap.
    Object.defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
    return;
  }
  const prev = out[name]!;
  if (typeof prev === "string") out[name] = [prev, value];
  else prev.push(value);
}
