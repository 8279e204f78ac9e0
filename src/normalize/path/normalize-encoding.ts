// Step (b) of path normalisation (RFC 3986 §6.2.2.1–2): every byte ends up in exactly one spelling.
// An escaped unreserved character is decoded ("%7e" → "~", "%2E" → "."); every other escape stays
// encoded with upper-case hex; %2F, %5C, %00 and a raw "\" follow their policies; characters that
// may not stand raw in a path (space, non-ASCII…) are percent-encoded (non-ASCII as UTF-8).

import type { PathOptions } from "./path-options.ts";
import { PathRejection } from "./path-rejection.ts";
import { PATH_PLAIN, UNRESERVED } from "./path-chars.ts";
import { PERCENT_TEXT, badEscapeDetail, escapedByte, pushUtf8, utf8Offset } from "./percent-escape.ts";

const PERCENT = 37;
const BACKSLASH = 92;
const SLASH = 47;

export function normalizeEncoding(path: string, opts: PathOptions): string | PathRejection {
  let out = "";
  let copyFrom = 0; // start of the run of plain characters not yet copied to out
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 128 && PATH_PLAIN[c] === 1) continue;
    out += path.slice(copyFrom, i);
    if (c === PERCENT) {
      const b = escapedByte(path, i);
      if (b < 0) return new PathRejection("bad-percent-encoding", badEscapeDetail(path, i));
      const text = escapeText(b, path, i, opts);
      if (text instanceof PathRejection) return text;
      out += text;
      i += 2;
    } else if (c === BACKSLASH) {
      if (opts.backslash === "reject") return new PathRejection("backslash", `backslash "\\" at byte ${utf8Offset(path, i)}`);
      out += PERCENT_TEXT[BACKSLASH];
    } else if (c < 128) {
      out += PERCENT_TEXT[c];
    } else {
      const bytes: number[] = [];
      i += pushUtf8(path, i, bytes) - 1;
      for (const b of bytes) out += PERCENT_TEXT[b];
    }
    copyFrom = i + 1;
  }
  return copyFrom === 0 ? path : out + path.slice(copyFrom);
}

/** The normal spelling of the escape at path[i] that writes byte b, or the policy's rejection. */
function escapeText(b: number, path: string, i: number, opts: PathOptions): string | PathRejection {
  if (b < 128 && UNRESERVED[b] === 1) return String.fromCharCode(b);
  const written = JSON.stringify(path.slice(i, i + 3));
  if (b === SLASH && opts.encodedSlash === "reject") {
    return new PathRejection("encoded-slash", `encoded slash ${written} at byte ${utf8Offset(path, i)}`);
  }
  if (b === BACKSLASH && opts.backslash === "reject") {
    return new PathRejection("backslash", `encoded backslash ${written} at byte ${utf8Offset(path, i)}`);
  }
  if (b === 0 && opts.nul === "reject") {
    return new PathRejection("nul", `encoded NUL ${written} at byte ${utf8Offset(path, i)}`);
  }
  if (((b > 0 && b < 0x20) || b === 0x7f) && opts.encodedControl === "reject") {
    return new PathRejection("encoded-control", `encoded control character ${written} at byte ${utf8Offset(path, i)}`);
  }
  return PERCENT_TEXT[b]!;
}
