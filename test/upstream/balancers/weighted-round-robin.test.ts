import { describe, expect, test } from "bun:test";
import { createBalancer } from "../../../src/upstream/balancer.ts";

const eps = (...weights: number[]) => weights.map((weight, i) => ({ url: `http://h${i}:80`, weight }));
const names = (picks: number[]) => picks.map((i) => "abcdefgh"[i]).join(" ");

describe("smooth weighted round robin", () => {
  test("weights 5,1,1 give nginx's sequence a a b a c a a, then repeat", () => {
    const b = createBalancer({ kind: "weighted" }, eps(5, 1, 1), new Uint8Array(3).fill(1));
    const seq = Array.from({ length: 14 }, () => b.pick());
    expect(names(seq)).toBe("a a b a c a a a a b a c a a");
  });

  test("each endpoint gets exactly its weight's share of every cycle", () => {
    const weights = [3, 1, 4, 2];
    const b = createBalancer({ kind: "weighted" }, eps(...weights), new Uint8Array(4).fill(1));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 10 * 100; i++) counts[b.pick()]!++;
    expect(counts).toEqual(weights.map((w) => w * 100));
  });

  test("an unavailable endpoint sits out; the others keep their relative sequence", () => {
    // a and c alone at 5:1 would run a a a c a a | a a a c a a ...; b being down must not change that.
    const av = new Uint8Array(3).fill(1);
    const b = createBalancer({ kind: "weighted" }, eps(5, 1, 1), av);
    const ref = createBalancer({ kind: "weighted" }, eps(5, 1), new Uint8Array(2).fill(1));
    av[1] = 0;
    const got = Array.from({ length: 12 }, () => b.pick());
    const want = Array.from({ length: 12 }, () => ref.pick()).map((i) => (i === 1 ? 2 : i));
    expect(got).toEqual(want);
    // Back up: b gets its share again (1 in 7 over whole cycles).
    av[1] = 1;
    const counts = [0, 0, 0];
    for (let i = 0; i < 700; i++) counts[b.pick()]!++;
    expect(counts[1]).toBeGreaterThanOrEqual(99);
    expect(counts[1]).toBeLessThanOrEqual(101);
  });

  test("avoid takes the next best for this pick only", () => {
    const b = createBalancer({ kind: "weighted" }, eps(5, 1, 1), new Uint8Array(3).fill(1));
    expect(b.pick("", 0)).not.toBe(0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 7 * 50; i++) counts[b.pick()]!++;
    // Shares stay 5:1:1 give or take the one avoided pick.
    expect(Math.abs(counts[0]! - 250)).toBeLessThanOrEqual(2);
  });
});
