// A query string as a plain object for request validation: names and values form-decoded,
// a name given more than once becomes an array of its values in order.

import { formDecode } from "./form-decode.ts";

const QUESTION = 63;

export function queryToObject(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const n = query.length;
  let start = query.charCodeAt(0) === QUESTION ? 1 : 0;
  while (start < n) {
    let end = query.indexOf("&", start);
    if (end === -1) end = n;
    if (end > start) {
      let eq = query.indexOf("=", start);
      if (eq === -1 || eq > end) eq = end;
      const value = eq < end ? formDecode(query, eq + 1, end) : "";
      add(out, formDecode(query, start, eq), value);
    }
    start = end + 1;
  }
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
