// Route paths: "/users/:id/orders" → a matcher over '/'-separated segments that captures params.
// Compiled once at load; matching slices strings, builds no regex.

export interface PathPattern {
  /** Literal segments, or null where a ":param" stands. */
  readonly segments: readonly (string | null)[];
  readonly paramNames: readonly string[];
}

export function isPattern(path: string): boolean {
  return path.includes("/:");
}

export function compilePattern(path: string): PathPattern {
  const parts = path.split("/").slice(1);
  const segments: (string | null)[] = [];
  const paramNames: string[] = [];
  for (const part of parts) {
    if (part.startsWith(":")) {
      segments.push(null);
      paramNames.push(part.slice(1));
    } else segments.push(part);
  }
  return { segments, paramNames };
}

/** Returns captured param values in pattern order, or null when the path does not match. */
export function matchPattern(p: PathPattern, path: string): string[] | null {
  const segs = p.segments;
  let pos = 1; // path always starts with "/"
  const values: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    let end = path.indexOf("/", pos);
    const last = i === segs.length - 1;
    if (end === -1) end = path.length;
    else if (last) return null; // path has more segments than the pattern
    const seg = path.slice(pos, end);
    const lit = segs[i];
    if (lit === null) {
      if (seg.length === 0) return null; // a param never matches an empty segment
      values.push(seg);
    } else if (seg !== lit) return null;
    if (!last && end === path.length) return null; // path has fewer segments
    pos = end + 1;
  }
  return values;
}

/** Segment-aware prefix: "/api" matches "/api", "/api/x", not "/apix". "/" matches everything. */
export function hasPathPrefix(path: string, prefix: string): boolean {
  if (prefix === "/") return true;
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length) return true;
  return prefix.endsWith("/") || path.charCodeAt(prefix.length) === 47; // '/'
}
