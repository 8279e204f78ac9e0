import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { removeDotSegments } from "../../../src/normalize/path/remove-dot-segments.ts";
import { rfcRemoveDotSegments } from "./rfc-remove-dot-segments.ts";

describe("removeDotSegments", () => {
  test.each([
    ["/", "/"],
    ["/a/b/c/./../../g", "/a/g"], // RFC 3986 §5.2.4 example
    ["/.", "/"],
    ["/..", "/"],
    ["/../a", "/a"],
    ["/a/..", "/"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/a//..", "/a/"],
    ["/a/..//..", "/"],
    ["/.//a", "//a"],
    ["/a/.../b", "/a/.../b"],
    ["/a/.b/..c/", "/a/.b/..c/"],
  ])("%p → %p", (input, expected) => {
    expect(removeDotSegments(input)).toBe(expected);
    expect(rfcRemoveDotSegments(input)).toBe(expected);
  });

  test("agrees with the RFC's rule-by-rule algorithm on any absolute path", () => {
    const piece = fc.constantFrom("/", "/", ".", "..", "a", "b", "...", "./", "../", "/./", "/../");
    const path = fc.array(piece, { maxLength: 20 }).map((ps) => "/" + ps.join(""));
    fc.assert(
      fc.property(path, (p) => {
        expect(removeDotSegments(p)).toBe(rfcRemoveDotSegments(p));
      }),
      { numRuns: 2000 },
    );
  });
});
