import { expect, test } from "bun:test";
import { fnv1a, murmur32 } from "../../../src/upstream/balancers/hash32.ts";

test("FNV-1a 32 matches the reference vectors", () => {
  expect(fnv1a("")).toBe(0x811c9dc5);
  expect(fnv1a("a")).toBe(0xe40c292c);
  expect(fnv1a("foobar")).toBe(0xbf9cf968);
});

test("murmur32 is murmur3_32 of one little-endian 4-byte block", () => {
  for (const [k, seed] of [[0, 0], [1, 0], [0x12345678, 42], [0xdeadbeef, 0x9747b28c], [0xffffffff, 0xffffffff]] as const) {
    const bytes = new Uint8Array(new Uint32Array([k]).buffer);
    expect(murmur32(k, seed)).toBe(Bun.hash.murmur32v3(bytes, seed));
  }
});
