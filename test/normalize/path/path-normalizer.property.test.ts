// Properties of the path normaliser over paths built from the characters that make normalisation
// hard ("/", ".", "%", hex digits, "2e", "2f", "\"), under random option sets.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compilePathNormalizer, PathRejection, type PathOptions } from "../../../src/normalize/path/normalize-path.ts";
import { rfcRemoveDotSegments } from "./rfc-remove-dot-segments.ts";

const options: fc.Arbitrary<PathOptions> = fc.record({
  mergeSlashes: fc.boolean(),
  encodedSlash: fc.constantFrom("reject", "keep"),
  backslash: fc.constantFrom("reject", "keep"),
  nul: fc.constantFrom("reject", "keep"),
  encodedControl: fc.constantFrom("reject", "keep"),
});

const tricky = fc.constantFrom(
  "/", "/", "/", ".", ".", "..", "%", "%", "2e", "2E", "2f", "2F", "5c", "5C", "00", "%2e", "%2E", "%2f",
  "%5c", "%00", "%41", "%7e", "%zz", "%4", "%0d", "%0A", "%7F", "\\", "a", "b", "Z", "0", "9", "f", "e", "~", "-", "_",
  ";", "=", "@", ":", " ", "é", "😀", "\n", "\u007f", "?", "#",
);
/** Mostly absolute paths; a few without the leading "/" to hit not-origin-form. */
const trickyPath = fc.tuple(fc.nat(9), fc.array(tricky, { maxLength: 24 })).map(([r, ps]) => (r === 0 ? "" : "/") + ps.join(""));

function hasDotSegment(path: string): boolean {
  return path.split("/").some((s) => s === "." || s === "..");
}

describe("path normaliser properties", () => {
  test("never throws; a result starts with \"/\", has no dot segment and normalises to itself", () => {
    fc.assert(
      fc.property(options, trickyPath, (opts, p) => {
        const normalize = compilePathNormalizer(opts);
        const once = normalize(p);
        if (once instanceof PathRejection) return;
        expect(once.startsWith("/")).toBe(true);
        expect(hasDotSegment(once)).toBe(false);
        expect(normalize(once)).toBe(once);
        if (opts.mergeSlashes) expect(once.includes("//")).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  test("a path of unreserved characters and single slashes, without dot segments, comes back as it is", () => {
    const unreserved = fc.constantFrom(..."abcXYZ019-._~");
    const segment = fc.array(unreserved, { minLength: 1, maxLength: 8 }).map((cs) => cs.join("")).filter((s) => s !== "." && s !== "..");
    const cleanPath = fc.tuple(fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([segs, slash]) => {
      const p = "/" + segs.join("/");
      return slash && segs.length > 0 ? p + "/" : p;
    });
    fc.assert(
      fc.property(options, cleanPath, (opts, p) => {
        expect(compilePathNormalizer(opts)(p)).toBe(p);
      }),
      { numRuns: 1000 },
    );
  });

  test("without escapes, the result is RFC 3986 remove_dot_segments of the (merged) path", () => {
    const piece = fc.constantFrom("/", "/", ".", "..", "a", "b.", ".c", "...");
    const plainPath = fc.array(piece, { maxLength: 20 }).map((ps) => "/" + ps.join(""));
    fc.assert(
      fc.property(options, plainPath, (opts, p) => {
        const merged = opts.mergeSlashes ? p.replace(/\/+/g, "/") : p;
        expect(compilePathNormalizer(opts)(p)).toBe(rfcRemoveDotSegments(merged));
      }),
      { numRuns: 1000 },
    );
  });

  test("escaping unreserved characters, in either case, never changes the result", () => {
    const piece = fc.constantFrom("/", "/", ".", "..", "a", "Z", "~", "-", "_", "9", "%2F", "%3A");
    const escapeIn = (ch: string, upper: boolean) => {
      const hex = ch.charCodeAt(0).toString(16);
      return "%" + (upper ? hex.toUpperCase() : hex);
    };
    // Each piece with a choice: as written, or each of its unreserved characters escaped.
    const pieces = fc.array(fc.tuple(piece, fc.constantFrom("as-is", "lower", "upper")), { maxLength: 16 });
    fc.assert(
      fc.property(options, pieces, (opts, ps) => {
        const plain = "/" + ps.map(([p]) => p).join("");
        const escaped =
          "/" + ps.map(([p, how]) => (how === "as-is" || p.startsWith("%") ? p : [...p].map((ch) => (ch === "/" ? ch : escapeIn(ch, how === "upper"))).join(""))).join("");
        const normalize = compilePathNormalizer(opts);
        // Rejections are compared by reason: their details name byte offsets, which escaping moves.
        const outcome = (p: string) => {
          const out = normalize(p);
          return out instanceof PathRejection ? out.reason : out;
        };
        expect(outcome(escaped)).toBe(outcome(plain));
      }),
      { numRuns: 1000 },
    );
  });
});
