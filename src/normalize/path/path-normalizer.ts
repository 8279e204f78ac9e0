// The request-path normaliser (RFC 3986 §6.2.2), compiled once per option set. Routing and
// forwarding use its result, so "/a/%2e%2E/admin", "/a/../admin" and "/admin" are one path.
//
// A clean path (only plain pchars, no "." / ".." segment, no "//" when merging) is returned as the
// same string after one scan of char codes; anything else takes the slow path, in RFC order:
// (a) controls and origin-form, (b) percent-encoding, (c) slash runs, (d) dot segments.

import type { PathOptions } from "./path-options.ts";
import { PathRejection } from "./path-rejection.ts";
import { PATH_PLAIN } from "./path-chars.ts";
import { normalizeEncoding } from "./normalize-encoding.ts";
import { mergeSlashes } from "./merge-slashes.ts";
import { removeDotSegments } from "./remove-dot-segments.ts";
import { utf8Offset } from "./percent-escape.ts";

export type PathNormalizer = (path: string) => string | PathRejection;

const SLASH = 47;
const DOT = 46;

export function compilePathNormalizer(opts: PathOptions): PathNormalizer {
  // Copied so a caller mutating its options object later cannot change a compiled normaliser.
  const options: PathOptions = Object.freeze({ ...opts });
  const merge = options.mergeSlashes;

  return (path) => {
    const n = path.length;
    if (n === 0 || path.charCodeAt(0) !== SLASH) return notOriginForm(path);
    for (let i = 0; i < n; i++) {
      const c = path.charCodeAt(i);
      if (c >= 128 || PATH_PLAIN[c] === 0) return slowPath(path, options);
      if (c === SLASH) {
        const next = path.charCodeAt(i + 1);
        if (next === SLASH && merge) return slowPath(path, options);
        if (next === DOT && isDotSegmentAfterDot(path, i + 1)) return slowPath(path, options);
      }
    }
    return path;
  };
}

/** Whether the "." at path[dot] (just after a "/") starts a "." or ".." segment. */
function isDotSegmentAfterDot(path: string, dot: number): boolean {
  const n = path.length;
  let end = dot + 1;
  if (end < n && path.charCodeAt(end) === DOT) end++;
  return end === n || path.charCodeAt(end) === SLASH;
}

function slowPath(path: string, opts: PathOptions): string | PathRejection {
  const control = findControl(path);
  if (control !== -1) {
    const hex = path.charCodeAt(control).toString(16).toUpperCase().padStart(2, "0");
    return new PathRejection("control-character", `control character 0x${hex} at byte ${utf8Offset(path, control)}`);
  }
  const encoded = normalizeEncoding(path, opts);
  if (encoded instanceof PathRejection) return encoded;
  return removeDotSegments(opts.mergeSlashes ? mergeSlashes(encoded) : encoded);
}

/** Index of the first raw control character (< 0x20 or DEL), or -1. */
function findControl(path: string): number {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return i;
  }
  return -1;
}

function notOriginForm(path: string): PathRejection {
  if (path === "") return new PathRejection("not-origin-form", "the path is empty; it must start with \"/\"");
  const start = JSON.stringify(path.slice(0, 16));
  return new PathRejection("not-origin-form", `the path must start with "/" but starts with ${start}`);
}
