import { describe, expect, test } from "bun:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { decodeContent } from "../../src/pipeline/decode-body.ts";

const text = new TextEncoder().encode(JSON.stringify({ a: "x".repeat(200) }));

describe("decodeContent", () => {
  const decodes: [string | null, Uint8Array][] = [
    [null, text],
    ["identity", text],
    ["", text],
    ["gzip", gzipSync(text)],
    [" X-GZIP ", gzipSync(text)],
    ["deflate", deflateSync(text)],
    ["br", brotliCompressSync(text)],
  ];
  for (const [encoding, bytes] of decodes) {
    test(`${JSON.stringify(encoding)} decodes`, () => {
      const d = decodeContent(bytes, encoding, 1024);
      expect(d.ok && Array.from(d.bytes)).toEqual(Array.from(text));
    });
  }

  const refusals: [string, Uint8Array, number, "too-large" | "undecodable"][] = [
    ["gzip", gzipSync(text), 100, "too-large"],
    ["br", brotliCompressSync(text), 100, "too-large"],
    ["gzip", text, 1024, "undecodable"],
    ["compress", text, 1024, "undecodable"],
  ];
  for (const [encoding, bytes, cap, reason] of refusals) {
    test(`${encoding} (cap ${cap}) → ${reason}`, () => {
      const d = decodeContent(bytes, encoding, cap);
      expect(d.ok ? "ok" : d.reason).toBe(reason);
    });
  }
});
