// What the path normaliser does with the parts of a path that backends read in different ways.

export interface PathOptions {
  /** "//" runs become "/" (default false). */
  readonly mergeSlashes: boolean;
  /** %2F / %2f: "reject" → rejection, "keep" → kept encoded as "%2F" (never decoded: it is data, not a separator). */
  readonly encodedSlash: "reject" | "keep";
  /** A raw "\" or %5C: "reject" → rejection, "keep" → kept (raw "\" re-encoded as "%5C"). */
  readonly backslash: "reject" | "keep";
  /** %00: "reject" → rejection, "keep" → kept encoded as "%00". */
  readonly nul: "reject" | "keep";
  /**
   * %01–%1F and %7F (CR, LF, TAB, ...): "reject" → rejection, "keep" → kept encoded. A raw control
   * character is always refused; encoded, it frames nothing, but a backend that decodes paths may
   * write it into a log line or a header.
   */
  readonly encodedControl: "reject" | "keep";
}

export const DEFAULT_PATH_OPTIONS: PathOptions = Object.freeze({
  mergeSlashes: false,
  encodedSlash: "keep",
  backslash: "keep",
  nul: "reject",
  encodedControl: "keep",
});
