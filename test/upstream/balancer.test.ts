import { describe, expect, test } from "bun:test";
import { createBalancer } from "../../src/upstream/balancer.ts";

/** A scripted random source: returns the given values in turn. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

describe("balancers", () => {
  test("round robin cycles through the endpoints", () => {
    const b = createBalancer("round-robin", 3);
    expect(Array.from({ length: 7 }, () => b.pick())).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  test("P2C picks the less loaded of its two candidates", () => {
    // Candidates: a = floor(0.0 * 3) = 0, b = floor(0.0 * 2) = 0, bumped past a → endpoints 0 and 1.
    const b = createBalancer("p2c", 3, scripted(0.0, 0.0));
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
    const b = createBalancer("p2c", 2, scripted(0.5, 0.99));
    b.start(1);
    expect(b.pick()).toBe(0);
    // With 2 endpoints and real randomness, a loaded endpoint is never chosen over an idle one.
    const r = createBalancer("p2c", 2);
    r.start(0);
    for (let i = 0; i < 100; i++) expect(r.pick()).toBe(1);
  });

  test("in-flight bookkeeping", () => {
    const b = createBalancer("p2c", 2);
    b.start(1);
    b.start(1);
    b.finish(1);
    expect(b.inFlight(0)).toBe(0);
    expect(b.inFlight(1)).toBe(1);
  });

  test("one endpoint: always 0", () => {
    const b = createBalancer("p2c", 1);
    expect([b.pick(), b.pick()]).toEqual([0, 0]);
  });
});
