import { describe, expect, test } from "bun:test";
import {
  compilePathNormalizer,
  DEFAULT_PATH_OPTIONS,
  PathRejection,
  type PathOptions,
  type PathRejectionReason,
} from "../../../src/normalize/path/normalize-path.ts";

const normalize = compilePathNormalizer(DEFAULT_PATH_OPTIONS);
const permissive: PathOptions = { mergeSlashes: false, encodedSlash: "keep", backslash: "keep", nul: "keep", encodedControl: "keep" };
const strict: PathOptions = { mergeSlashes: true, encodedSlash: "reject", backslash: "reject", nul: "reject", encodedControl: "reject" };

// RFC 3986 §5.4.1 and §5.4.2, base "http://a/b/c/d;p?q", reduced to paths: the reference, the path
// merged with the base path before dot removal (§5.2.3; query and fragment cut off), the result's path.
// Left out: "g:h" (path "h", not absolute) and "//g" (authority "g", empty path).
const RFC_EXAMPLES: readonly (readonly [reference: string, merged: string, expected: string])[] = [
  // §5.4.1 normal examples
  ["g", "/b/c/g", "/b/c/g"],
  ["./g", "/b/c/./g", "/b/c/g"],
  ["g/", "/b/c/g/", "/b/c/g/"],
  ["/g", "/g", "/g"],
  ["?y", "/b/c/d;p", "/b/c/d;p"],
  ["g?y", "/b/c/g", "/b/c/g"],
  ["#s", "/b/c/d;p", "/b/c/d;p"],
  ["g#s", "/b/c/g", "/b/c/g"],
  ["g?y#s", "/b/c/g", "/b/c/g"],
  [";x", "/b/c/;x", "/b/c/;x"],
  ["g;x", "/b/c/g;x", "/b/c/g;x"],
  ["g;x?y#s", "/b/c/g;x", "/b/c/g;x"],
  ["", "/b/c/d;p", "/b/c/d;p"],
  [".", "/b/c/.", "/b/c/"],
  ["./", "/b/c/./", "/b/c/"],
  ["..", "/b/c/..", "/b/"],
  ["../", "/b/c/../", "/b/"],
  ["../g", "/b/c/../g", "/b/g"],
  ["../..", "/b/c/../..", "/"],
  ["../../", "/b/c/../../", "/"],
  ["../../g", "/b/c/../../g", "/g"],
  // §5.4.2 abnormal examples
  ["../../../g", "/b/c/../../../g", "/g"],
  ["../../../../g", "/b/c/../../../../g", "/g"],
  ["/./g", "/./g", "/g"],
  ["/../g", "/../g", "/g"],
  ["g.", "/b/c/g.", "/b/c/g."],
  [".g", "/b/c/.g", "/b/c/.g"],
  ["g..", "/b/c/g..", "/b/c/g.."],
  ["..g", "/b/c/..g", "/b/c/..g"],
  ["./../g", "/b/c/./../g", "/b/g"],
  ["./g/.", "/b/c/./g/.", "/b/c/g/"],
  ["g/./h", "/b/c/g/./h", "/b/c/g/h"],
  ["g/../h", "/b/c/g/../h", "/b/c/h"],
  ["g;x=1/./y", "/b/c/g;x=1/./y", "/b/c/g;x=1/y"],
  ["g;x=1/../y", "/b/c/g;x=1/../y", "/b/c/y"],
  ["g?y/./x", "/b/c/g", "/b/c/g"],
  ["g?y/../x", "/b/c/g", "/b/c/g"],
  ["g#s/./x", "/b/c/g", "/b/c/g"],
  ["g#s/../x", "/b/c/g", "/b/c/g"],
  ["http:g", "/b/c/g", "/b/c/g"], // the backward-compatible reading; the strict one has path "g"
];

describe("RFC 3986 §5.4 reference resolution examples, path part", () => {
  test.each(RFC_EXAMPLES)("%p: %p → %p", (_reference, merged, expected) => {
    expect(normalize(merged)).toBe(expected);
    expect(compilePathNormalizer(strict)(merged)).toBe(expected);
  });
});

describe("percent-encoding", () => {
  test.each([
    ["/%7e", "/~"],
    ["/%7E%2d%2E%5F", "/~-._"],
    ["/%41%5a%61%7A%30%39", "/AZaz09"],
    ["/a/%2e%2E/b", "/b"], // traversal spelt with escapes is still traversal
    ["/a/b/%2e%2e/%2E%2e/c", "/c"],
    ["/a/%2e/b", "/a/b"],
    ["/a/.%2e/b", "/b"],
    ["/a/%2e%2e%2fb", "/a/..%2Fb"], // %2F is data: "..%2Fb" is one segment, not a dot segment
    ["/a%2Eb", "/a.b"],
    ["/%2f", "/%2F"],
    ["/a%2Fb", "/a%2Fb"],
    ["/%5c", "/%5C"],
    ["/a\\b", "/a%5Cb"],
    ["/%3a%40%21", "/%3A%40%21"], // reserved characters stay encoded, hex upper-cased
    ["/%ab%cd%ef", "/%AB%CD%EF"],
    ["/%25", "/%25"],
    ["/%2541", "/%2541"], // no double decoding
    ["/caf%c3%a9", "/caf%C3%A9"],
    ["/café", "/caf%C3%A9"],
    ["/%E2%82%AC/€", "/%E2%82%AC/%E2%82%AC"],
    ["/😀", "/%F0%9F%98%80"],
    ["/\ud800", "/%EF%BF%BD"], // a lone surrogate has no UTF-8 form
    ["/a b", "/a%20b"],
    ['/<>"{}|^`', "/%3C%3E%22%7B%7D%7C%5E%60"],
    ["/#x", "/%23x"],
    ["/!$&'()*+,;=:@", "/!$&'()*+,;=:@"],
  ])("%p → %p", (input, expected) => {
    expect(normalize(input)).toBe(expected);
  });

  test('"%00" is kept as "%00" under nul: keep', () => {
    expect(compilePathNormalizer(permissive)("/a%00b")).toBe("/a%00b");
  });
});

function rejection(result: string | PathRejection): { reason: PathRejectionReason; detail: string } | string {
  return result instanceof PathRejection ? { reason: result.reason, detail: result.detail } : result;
}

describe("rejections", () => {
  test.each<[string, PathOptions, PathRejectionReason, string]>([
    ["/%zz", DEFAULT_PATH_OPTIONS, "bad-percent-encoding", 'invalid percent-encoding "%zz" at byte 1'],
    ["/abcd%G1", DEFAULT_PATH_OPTIONS, "bad-percent-encoding", 'invalid percent-encoding "%G1" at byte 5'],
    ["/%4", DEFAULT_PATH_OPTIONS, "bad-percent-encoding", 'invalid percent-encoding "%4" at byte 1'],
    ["/a%", DEFAULT_PATH_OPTIONS, "bad-percent-encoding", 'invalid percent-encoding "%" at byte 2'],
    ["/é%x1", DEFAULT_PATH_OPTIONS, "bad-percent-encoding", 'invalid percent-encoding "%x1" at byte 3'], // UTF-8 offset
    ["/a%2fb", strict, "encoded-slash", 'encoded slash "%2f" at byte 2'],
    ["/a%5Cb", strict, "backslash", 'encoded backslash "%5C" at byte 2'],
    ["/a\\b", strict, "backslash", 'backslash "\\" at byte 2'],
    ["/a%00", DEFAULT_PATH_OPTIONS, "nul", 'encoded NUL "%00" at byte 2'],
    ["/a\nb", permissive, "control-character", "control character 0x0A at byte 2"],
    ["/\u0000", permissive, "control-character", "control character 0x00 at byte 1"],
    ["/a\u007f", permissive, "control-character", "control character 0x7F at byte 2"],
    ["/%zz\t", permissive, "control-character", "control character 0x09 at byte 4"], // step (a) before (b)
    ["a/b", DEFAULT_PATH_OPTIONS, "not-origin-form", 'the path must start with "/" but starts with "a/b"'],
    ["*", DEFAULT_PATH_OPTIONS, "not-origin-form", 'the path must start with "/" but starts with "*"'],
    ["", DEFAULT_PATH_OPTIONS, "not-origin-form", 'the path is empty; it must start with "/"'],
    ["%2F", DEFAULT_PATH_OPTIONS, "not-origin-form", 'the path must start with "/" but starts with "%2F"'],
  ])("%p → %p", (input, opts, reason, detail) => {
    expect(rejection(compilePathNormalizer(opts)(input))).toEqual({ reason, detail });
  });
});

describe("options", () => {
  const withOpts = (o: Partial<PathOptions>) => compilePathNormalizer({ ...DEFAULT_PATH_OPTIONS, ...o });
  test.each<[string, Partial<PathOptions>, string | PathRejectionReason]>([
    ["/a//b///c", { mergeSlashes: false }, "/a//b///c"],
    ["/a//b///c", { mergeSlashes: true }, "/a/b/c"],
    ["//", { mergeSlashes: true }, "/"],
    ["/a//", { mergeSlashes: true }, "/a/"],
    ["/a//../b", { mergeSlashes: false }, "/a/b"], // "//.." climbs out of the empty segment only
    ["/a//../b", { mergeSlashes: true }, "/b"], // merged first, then dot removal
    ["/a/%2F/b", { mergeSlashes: true }, "/a/%2F/b"], // %2F is not a separator, so never merged
    ["/a%2Fb", { encodedSlash: "keep" }, "/a%2Fb"],
    ["/a%2fb", { encodedSlash: "keep" }, "/a%2Fb"],
    ["/a%2fb", { encodedSlash: "reject" }, "encoded-slash"],
    ["/a%5cb", { backslash: "keep" }, "/a%5Cb"],
    ["/a\\b", { backslash: "keep" }, "/a%5Cb"],
    ["/a%5cb", { backslash: "reject" }, "backslash"],
    ["/a\\b", { backslash: "reject" }, "backslash"],
    ["/a%00b", { nul: "keep" }, "/a%00b"],
    ["/a%00b", { nul: "reject" }, "nul"],
    ["/a%0D%0Ab", { encodedControl: "keep" }, "/a%0D%0Ab"],
    ["/a%0d%0ab", { encodedControl: "keep" }, "/a%0D%0Ab"],
    ["/a%0d%0ab", { encodedControl: "reject" }, "encoded-control"],
    ["/a%01b", { encodedControl: "reject" }, "encoded-control"],
    ["/a%1Fb", { encodedControl: "reject" }, "encoded-control"],
    ["/a%7fb", { encodedControl: "reject" }, "encoded-control"],
    ["/a%20b%7E%80", { encodedControl: "reject" }, "/a%20b~%80"],
    ["/a%00b", { encodedControl: "reject", nul: "keep" }, "/a%00b"],
  ])("%p with %p → %p", (input, opts, expected) => {
    const out = withOpts(opts)(input);
    expect(out instanceof PathRejection ? out.reason : out).toBe(expected);
  });

  test("the defaults", () => {
    expect(DEFAULT_PATH_OPTIONS).toEqual({ mergeSlashes: false, encodedSlash: "keep", backslash: "keep", nul: "reject", encodedControl: "keep" });
  });

  test("a compiled normaliser keeps the options it was compiled with", () => {
    const opts = { ...DEFAULT_PATH_OPTIONS };
    const n = compilePathNormalizer(opts);
    opts.mergeSlashes = true as never;
    expect(n("/a//b")).toBe("/a//b");
  });
});

describe("clean paths come back unchanged", () => {
  test.each([
    "/",
    "/api/users/42",
    "/static/app.v2.js",
    "/a/.hidden/..x/x../.../b.",
    "/a//b", // "//" only matters when merging
    "/users/:id;v=1/@me/!$&'()*+,=",
    "/trailing/",
  ])("%p", (p) => {
    expect(normalize(p)).toBe(p);
  });
});
