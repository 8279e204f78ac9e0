// The query-string normaliser, compiled once per option set. Parameter text is kept byte for byte
// (values are never re-encoded: the backend decodes them as it always did); only which parameters
// remain, and their order, change. Steps: refuse malformed escapes, drop empty pieces, apply
// drop/allow, then the repeated-name policy, then sort.
//
// With no option active the query is only scanned, and a clean one is returned as the same string.

import type { QueryOptions } from "./query-options.ts";
import { QueryRejection } from "./query-rejection.ts";
import { hasEmptyPiece, joinQueryParams, parseQueryParams, type QueryParam } from "./query-params.ts";
import { badEscapeDetail, findBadEscape } from "../path/percent-escape.ts";

/** In and out with the leading "?", or ""; a query left without parameters becomes "". */
export type QueryNormalizer = (query: string) => string | QueryRejection;

export function compileQueryNormalizer(opts: QueryOptions): QueryNormalizer {
  const drop: ReadonlySet<string> = new Set(opts.drop);
  const allow: ReadonlySet<string> | null = opts.allow === null ? null : new Set(opts.allow);
  const filters = drop.size > 0 || allow !== null;
  const sort = opts.sort;
  const repeated = opts.repeated;
  const reshapes = filters || sort || repeated !== "keep";

  return (query) => {
    if (query === "") return "";
    const bad = findBadEscape(query, 0, query.length);
    if (bad !== -1) return new QueryRejection("bad-percent-encoding", badEscapeDetail(query, bad));
    // A query always comes with its "?"; one without is given one (and so counts as changed).
    const emptyPieces = hasEmptyPiece(query) || query.charCodeAt(0) !== 63;
    if (!reshapes) return emptyPieces ? joinQueryParams(parseQueryParams(query)) : query;

    let params = parseQueryParams(query);
    let changed = emptyPieces;
    if (filters) {
      const kept = params.filter((p) => !drop.has(p.name) && (allow === null || allow.has(p.name)));
      changed ||= kept.length !== params.length;
      params = kept;
    }
    if (repeated === "reject") {
      const name = firstRepeatedName(params);
      if (name !== null) return new QueryRejection("repeated-parameter", `parameter ${JSON.stringify(name)} appears more than once`);
    } else if (repeated !== "keep") {
      const kept = repeated === "first" ? keepFirstOfEachName(params) : keepLastOfEachName(params);
      changed ||= kept.length !== params.length;
      params = kept;
    }
    if (sort && !isSortedByName(params)) {
      params.sort(byName); // Array.prototype.sort is stable: equal names keep their order
      changed = true;
    }
    return changed ? joinQueryParams(params) : query;
  };
}

function firstRepeatedName(params: readonly QueryParam[]): string | null {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) return p.name;
    seen.add(p.name);
  }
  return null;
}

function keepFirstOfEachName(params: readonly QueryParam[]): QueryParam[] {
  const seen = new Set<string>();
  const kept: QueryParam[] = [];
  for (const p of params) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    kept.push(p);
  }
  return kept;
}

function keepLastOfEachName(params: readonly QueryParam[]): QueryParam[] {
  const seen = new Set<string>();
  const kept: QueryParam[] = [];
  for (let i = params.length - 1; i >= 0; i--) {
    const p = params[i]!;
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    kept.push(p);
  }
  return kept.reverse();
}

function isSortedByName(params: readonly QueryParam[]): boolean {
  for (let i = 1; i < params.length; i++) if (params[i - 1]!.name > params[i]!.name) return false;
  return true;
}

/** Code-unit order of decoded names: the same on every machine, unlike localeCompare. */
function byName(a: QueryParam, b: QueryParam): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
