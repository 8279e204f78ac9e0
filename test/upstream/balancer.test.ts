import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { BalancePlan } from "../../src/resilience/types.ts";
import { createBalancer, type BalancerEndpoint } from "../../src/upstream/balancer.ts";

const KINDS: readonly BalancePlan[] = [
  { kind: "p2c" },
  { kind: "round-robin" },
  { kind: "weighted" },
  { kind: "hash", key: { kind: "clientIp" } },
];

function eps(n: number, weight = (_i: number) => 1): BalancerEndpoint[] {
  return Array.from({ length: n }, (_, i) => ({ url: `http://10.0.0.${i + 1}:8080`, weight: weight(i) }));
}

const up = (n: number) => new Uint8Array(n).fill(1);

/** A scripted random source: returns the given values in turn. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("balancers", () => {
  test("round robin cycles through the endpoints; pick() with no arguments still works", () => {
    const b = createBalancer({ kind: "round-robin" }, eps(3), up(3));
    expect(Array.from({ length: 7 }, () => b.pick())).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  test("round robin steps over an unavailable endpoint and keeps the others' order", () => {
    const av = up(3);
    const b = createBalancer({ kind: "round-robin" }, eps(3), av);
    expect([b.pick(), b.pick()]).toEqual([0, 1]);
    av[0] = 0;
    expect([b.pick(), b.pick(), b.pick(), b.pick()]).toEqual([2, 1, 2, 1]);
    av[0] = 1;
    expect([b.pick(), b.pick(), b.pick()]).toEqual([2, 0, 1]);
  });

  test("P2C picks the less loaded of its two candidates", () => {
    // Candidates: a = floor(0.0 * 3) = 0, b = floor(0.0 * 2) = 0, bumped past a → endpoints 0 and 1.
    const b = createBalancer({ kind: "p2c" }, eps(3), up(3), scripted(0.0, 0.0));
    b.start(0);
    b.start(0);
    b.start(1);
    expect(b.pick()).toBe(1);
    b.finish(0);
    b.finish(0);
    expect(b.pick()).toBe(0);
  });

  test("P2C's two candidates are always distinct", () => {
    // a = floor(0.5 * 2) = 1, b = floor(0.99 * 1) = 0 → 0 and 1 (never 1 and 1).
    const b = createBalancer({ kind: "p2c" }, eps(2), up(2), scripted(0.5, 0.99));
    b.start(1);
    expect(b.pick()).toBe(0);
    // With 2 endpoints and real randomness, a loaded endpoint is never chosen over an idle one.
    const r = createBalancer({ kind: "p2c" }, eps(2), up(2));
    r.start(0);
    for (let i = 0; i < 100; i++) expect(r.pick()).toBe(1);
  });

  test("in-flight bookkeeping", () => {
    for (const plan of KINDS) {
      const b = createBalancer(plan, eps(2), up(2));
      b.start(1);
      b.start(1);
      b.finish(1);
      expect([b.inFlight(0), b.inFlight(1)]).toEqual([0, 1]);
    }
  });

  test("one endpoint: 0 while available, else -1, whatever the kind or avoid", () => {
    for (const plan of KINDS) {
      const av = up(1);
      const b = createBalancer(plan, eps(1), av);
      expect([b.pick(), b.pick("k", 0)]).toEqual([0, 0]);
      av[0] = 0;
      expect([b.pick(), b.pick("k", -1)]).toEqual([-1, -1]);
    }
  });

  test("every kind: -1 when none is available, and never an unavailable endpoint", () => {
    for (const plan of KINDS) {
      const av = up(4);
      const b = createBalancer(plan, eps(4), av);
      av.fill(0);
      expect(b.pick("k")).toBe(-1);
      expect(b.pick("k", 2)).toBe(-1);
      av[2] = 1;
      for (let i = 0; i < 50; i++) expect(b.pick(`k${i}`)).toBe(2);
      av[0] = 1;
      for (let i = 0; i < 200; i++) expect([0, 2]).toContain(b.pick(`k${i}`));
    }
  });

  test("every kind: avoid is honoured while another is available, ignored when it is the only one", () => {
    for (const plan of KINDS) {
      const av = up(3);
      const b = createBalancer(plan, eps(3), av);
      for (let i = 0; i < 300; i++) {
        const avoid = i % 3;
        const got = b.pick(`key-${i}`, avoid);
        expect(got).not.toBe(avoid);
        expect(got).toBeGreaterThanOrEqual(0);
      }
      av[0] = 0;
      av[2] = 0;
      expect(b.pick("x", 1)).toBe(1);
      av[1] = 0;
      expect(b.pick("x", 1)).toBe(-1);
    }
  });

  test("bad weights and a mismatched availability array are refused at build time", () => {
    expect(() => createBalancer({ kind: "weighted" }, eps(2, () => 1.5), up(2))).toThrow(/bad weight/);
    expect(() => createBalancer({ kind: "weighted" }, eps(2, () => 0), up(2))).toThrow(/bad weight/);
    expect(() => createBalancer({ kind: "hash", key: { kind: "route" } }, eps(2, () => -1), up(2))).toThrow(/bad weight/);
    expect(() => createBalancer({ kind: "p2c" }, eps(3), up(2))).toThrow(/availability/);
    // Non-integer weights are fine for hashing.
    expect(createBalancer({ kind: "hash", key: { kind: "route" } }, eps(2, () => 0.5), up(2)).pick("k")).toBeGreaterThanOrEqual(0);
  });

  test("property: pick() is an available index (not avoid while another is available) or -1 when none is", () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant("pick" as const), key: fc.oneof(fc.constant(""), fc.string({ maxLength: 12 })), avoid: fc.integer({ min: -1, max: 7 }) }),
      fc.record({ op: fc.constant("flip" as const), i: fc.nat(7) }),
      fc.record({ op: fc.constant("start" as const), i: fc.nat(7) }),
      fc.record({ op: fc.constant("finish" as const), i: fc.nat(7) }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...KINDS),
        fc.array(fc.record({ weight: fc.integer({ min: 1, max: 5 }), up: fc.boolean() }), { minLength: 1, maxLength: 8 }),
        fc.array(op, { maxLength: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (plan, spec, ops, r) => {
          const n = spec.length;
          const av = Uint8Array.from(spec, (s) => (s.up ? 1 : 0));
          let seed = Math.floor(r * 2 ** 32);
          const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
          const b = createBalancer(
            plan,
            spec.map((s, i) => ({ url: `http://h${i}:80`, weight: s.weight })),
            av,
            rand,
          );
          for (const o of ops) {
            if (o.op === "flip") av[o.i % n] ^= 1;
            else if (o.op === "start") b.start(o.i % n);
            else if (o.op === "finish") b.finish(o.i % n);
            else {
              const avoid = o.avoid >= n ? -1 : o.avoid;
              const got = b.pick(o.key, avoid);
              const anyUp = av.some((x) => x === 1);
              const otherUp = av.some((x, i) => x === 1 && i !== avoid);
              if (!anyUp) expect(got).toBe(-1);
              else {
                expect(got).toBeGreaterThanOrEqual(0);
                expect(got).toBeLessThan(n);
                expect(av[got]).toBe(1);
                if (otherUp) expect(got).not.toBe(avoid);
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
