import { describe, expect, test } from "bun:test";
import { hostName, splitTarget } from "../../src/pipeline/request-target.ts";

describe("splitTarget", () => {
  test("splits Bun's absolute req.url into path and query", () => {
    expect(splitTarget("http://h:8080/a/b?x=1&y=2")).toEqual({ path: "/a/b", query: "?x=1&y=2" });
    expect(splitTarget("http://h/a")).toEqual({ path: "/a", query: "" });
    expect(splitTarget("http://h/")).toEqual({ path: "/", query: "" });
    expect(splitTarget("http://h/?")).toEqual({ path: "/", query: "?" });
    expect(splitTarget("http://[::1]:80/x?q")).toEqual({ path: "/x", query: "?q" });
  });

  test("keeps a second '?' and a '//' path as they are", () => {
    expect(splitTarget("http://h/x?a=1?b")).toEqual({ path: "/x", query: "?a=1?b" });
    expect(splitTarget("http://h//evil.example/x")).toEqual({ path: "//evil.example/x", query: "" });
  });

  test("refuses what is not an absolute URL with a path (Bun gives '/x' when Host is invalid)", () => {
    expect(splitTarget("/x")).toBeNull();
    expect(splitTarget("http://h")).toBeNull();
    expect(splitTarget("")).toBeNull();
  });
});

describe("hostName", () => {
  test("lower-cases and drops the port; IPv6 literals keep their brackets", () => {
    expect(hostName("API.Example.com:8443")).toBe("api.example.com");
    expect(hostName("api.example.com")).toBe("api.example.com");
    expect(hostName("[::1]:80")).toBe("[::1]");
    expect(hostName("[::1]")).toBe("[::1]");
    expect(hostName("127.0.0.1:9")).toBe("127.0.0.1");
    expect(hostName(null)).toBe("");
  });
});
