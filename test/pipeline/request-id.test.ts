import { describe, expect, test } from "bun:test";
import { acceptableRequestId, newRequestId } from "../../src/pipeline/request-id.ts";

describe("request ids", () => {
  test("new ids are distinct", () => {
    const ids = new Set(Array.from({ length: 10_000 }, newRequestId));
    expect(ids.size).toBe(10_000);
  });

  test("new ids are acceptable ids themselves", () => {
    expect(acceptableRequestId(newRequestId())).toBe(true);
  });

  test("an incoming id must be short visible ASCII", () => {
    expect(acceptableRequestId("req-123_ABC.xyz")).toBe(true);
    expect(acceptableRequestId(null)).toBe(false);
    expect(acceptableRequestId("")).toBe(false);
    expect(acceptableRequestId("a".repeat(129))).toBe(false);
    expect(acceptableRequestId("a".repeat(128))).toBe(true);
    expect(acceptableRequestId("has space")).toBe(false);
    expect(acceptableRequestId("tab\there")).toBe(false);
    expect(acceptableRequestId("é")).toBe(false);
  });
});
