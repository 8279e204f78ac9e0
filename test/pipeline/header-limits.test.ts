import { expect, test } from "bun:test";
import { headerLimitExceeded } from "../../src/pipeline/header-limits.ts";

const headers = (n: number, value = "v") => new Headers(Array.from({ length: n }, (_, i) => [`x-h${i}`, value] as [string, string]));

test("within both caps → null", () => {
  expect(headerLimitExceeded(headers(5), 5, 100)).toBeNull();
  expect(headerLimitExceeded(headers(5), null, null)).toBeNull();
});

test("more fields than maxCount, or more bytes than maxBytes, says which and by how much", () => {
  expect(headerLimitExceeded(headers(6), 5, null)).toBe("6 header fields; server.maxHeaderCount is 5");
  // 3 × ("x-hN" 4 bytes + 10 bytes of value) = 42 bytes
  expect(headerLimitExceeded(headers(3, "0123456789"), null, 41)).toBe("42 bytes of header names and values; server.maxHeaderBytes is 41");
  expect(headerLimitExceeded(headers(3, "0123456789"), null, 42)).toBeNull();
});
