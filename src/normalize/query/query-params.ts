// A query string cut into its parameters: the raw text of each (kept byte for byte in the output)
// and its decoded name (what drop, allow, repeated and sort compare).

import { formDecode } from "./form-decode.ts";

export interface QueryParam {
  /** The piece between "&"s exactly as written, e.g. "q=a%20b". */
  readonly text: string;
  /** The form-decoded name, e.g. "q". */
  readonly name: string;
}

const QUESTION = 63;

/**
 * Calls `each` with the bounds of every non-empty piece of a query ("?a=1&b" or "a=1&b"):
 * [start, eq) is the name, [eq + 1, end) the value (eq === end when there is no "=").
 */
export function forEachPiece(query: string, each: (start: number, eq: number, end: number) => void): void {
  const n = query.length;
  let start = query.charCodeAt(0) === QUESTION ? 1 : 0;
  while (start < n) {
    let end = query.indexOf("&", start);
    if (end === -1) end = n;
    if (end > start) {
      let eq = query.indexOf("=", start);
      if (eq === -1 || eq > end) eq = end;
      each(start, eq, end);
    }
    start = end + 1;
  }
}

/** Parameters of a query; empty pieces ("a=1&&b") are skipped. */
export function parseQueryParams(query: string): QueryParam[] {
  const params: QueryParam[] = [];
  forEachPiece(query, (start, eq, end) => params.push({ text: query.slice(start, end), name: formDecode(query, start, eq) }));
  return params;
}

/** Whether the query has an empty piece: "?&a", "?a&&b", "?a&", or a bare "?". */
export function hasEmptyPiece(query: string): boolean {
  const n = query.length;
  if (n === 0) return false;
  const first = query.charCodeAt(0) === QUESTION ? 1 : 0;
  if (n === first) return true;
  return query.charCodeAt(first) === 38 || query.charCodeAt(n - 1) === 38 || query.includes("&&", first);
}

export function joinQueryParams(params: readonly QueryParam[]): string {
  if (params.length === 0) return "";
  let out = "?" + params[0]!.text;
  for (let i = 1; i < params.length; i++) out += "&" + params[i]!.text;
  return out;
}
