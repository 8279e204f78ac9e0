import { describe, expect, test } from "bun:test";
import { createBalancer } from "../../../src/upstream/balancer.ts";
import { mulberry32 } from "../../../bench/lib/mulberry32.ts"; // seeded: the bounds below are checked on the same draws every run


const eps = (n: number) => Array.from({ length: n }, (_, i) => ({ url: `http://h${i}:80`, weight: 1 }));

function chiSquare(counts: readonly number[], expected: readonly number[]): number {
  return counts.reduce((s, c, i) => s + (c - expected[i]!) ** 2 / expected[i]!, 0);
}

describe("P2C", () => {
  test("idle endpoints get even shares", () => {
    const b = createBalancer({ kind: "p2c" }, eps(4), new Uint8Array(4).fill(1), mulberry32(1));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[b.pick()]!++;
    // df = 3: 16.3 is p ≈ 0.001.
    expect(chiSquare(counts, [10_000, 10_000, 10_000, 10_000])).toBeLessThan(16.3);
  });

  test("least-loaded bias: the busiest is never taken, the idlest whenever it is a candidate", () => {
    const b = createBalancer({ kind: "p2c" }, eps(3), new Uint8Array(3).fill(1), mulberry32(2));
    for (let k = 0; k < 5; k++) b.start(1);
    for (let k = 0; k < 10; k++) b.start(2);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[b.pick()]!++;
    expect(counts[2]).toBe(0);
    // Endpoint 0 is in 2 of the 3 candidate pairs.
    expect(counts[0]! / 30_000).toBeGreaterThan(0.65);
    expect(counts[0]! / 30_000).toBeLessThan(0.68);
  });

  test("with endpoints down, the rest share evenly and the bias holds among them", () => {
    const av = new Uint8Array(5).fill(1);
    av[1] = 0;
    av[3] = 0;
    const b = createBalancer({ kind: "p2c" }, eps(5), av, mulberry32(3));
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[b.pick()]!++;
    expect([counts[1], counts[3]]).toEqual([0, 0]);
    expect(chiSquare([counts[0]!, counts[2]!, counts[4]!], [10_000, 10_000, 10_000])).toBeLessThan(13.8);
    b.start(4);
    counts.fill(0);
    for (let i = 0; i < 30_000; i++) counts[b.pick()]!++;
    expect(counts[4]).toBe(0);
  });

  test("keeps load level when requests finish at different speeds", () => {
    // Endpoint 0 is slow: its requests last 10 rounds, the others' 1. P2C sends it far less.
    const b = createBalancer({ kind: "p2c" }, eps(3), new Uint8Array(3).fill(1), mulberry32(4));
    const ends: number[][] = Array.from({ length: 12 }, () => []);
    const counts = [0, 0, 0];
    for (let t = 0; t < 3000; t++) {
      for (const i of ends[t % 12]!) b.finish(i);
      ends[t % 12] = [];
      for (let r = 0; r < 4; r++) {
        const i = b.pick();
        b.start(i);
        counts[i]!++;
        ends[(t + (i === 0 ? 10 : 1)) % 12]!.push(i);
      }
    }
    expect(counts[0]!).toBeLessThan(counts[1]! / 2);
    expect(b.inFlight(0)).toBeLessThanOrEqual(8);
  });
});
