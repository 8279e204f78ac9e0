import { describe, expect, test } from "bun:test";
import { compilePattern, hasPathPrefix, isPattern, matchPattern } from "../../src/router/path-pattern.ts";

describe("path patterns", () => {
  test("isPattern spots :param segments only", () => {
    expect(isPattern("/users/:id")).toBe(true);
    expect(isPattern("/users/id")).toBe(false);
    expect(isPattern("/users/a:b")).toBe(false);
  });

  test("compile and match", () => {
    const p = compilePattern("/a/:x/b/:y");
    expect(p.paramNames).toEqual(["x", "y"]);
    expect(matchPattern(p, "/a/1/b/2")).toEqual(["1", "2"]);
    expect(matchPattern(p, "/a/1/c/2")).toBeNull();
    expect(matchPattern(p, "/a/1/b")).toBeNull();
    expect(matchPattern(p, "/a/1/b/2/3")).toBeNull();
    expect(matchPattern(compilePattern("/:only"), "/")).toBeNull();
    expect(matchPattern(compilePattern("/:only"), "/v")).toEqual(["v"]);
  });

  test("segment-aware prefixes", () => {
    expect(hasPathPrefix("/anything", "/")).toBe(true);
    expect(hasPathPrefix("/api", "/api")).toBe(true);
    expect(hasPathPrefix("/api/v1", "/api")).toBe(true);
    expect(hasPathPrefix("/apiv1", "/api")).toBe(false);
    expect(hasPathPrefix("/api/v1", "/api/")).toBe(true);
  });
});
