// What the query normaliser does with the parameters of a query string.

export interface QueryOptions {
  /** Sort parameters by name (stable: equal names keep their order). */
  readonly sort: boolean;
  /** Names removed (exact, case-sensitive, compared after percent-decoding the name). */
  readonly drop: readonly string[];
  /** When non-null, only these names are kept. */
  readonly allow: readonly string[] | null;
  /** Several parameters with one name: keep all, keep the first, keep the last, or reject. */
  readonly repeated: "keep" | "first" | "last" | "reject";
}

/** Changes nothing but empty pieces ("a=1&&b=2" → "a=1&b=2"); malformed escapes are still refused. */
export const DEFAULT_QUERY_OPTIONS: QueryOptions = Object.freeze({
  sort: false,
  drop: Object.freeze([]),
  allow: null,
  repeated: "keep",
});
