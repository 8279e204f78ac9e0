import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { SlidingWindow } from "../../../src/resilience/retry/sliding-window.ts";

describe("SlidingWindow", () => {
  test("sums what was added within the window, and forgets it a slice at a time", () => {
    const w = new SlidingWindow(1000); // 10 slices of 100 ms
    w.add(0, 5);
    w.add(150, 3);
    expect(w.sum(999)).toBe(8);
    expect(w.sum(1000)).toBe(3); // slice [0, 100) left the window
    expect(w.sum(1099)).toBe(3);
    expect(w.sum(1100)).toBe(0);
  });

  test("a gap longer than the window clears everything", () => {
    const w = new SlidingWindow(1000);
    w.add(10, 7);
    expect(w.sum(50_000)).toBe(0);
    w.add(50_001, 1);
    expect(w.sum(50_002)).toBe(1);
  });

  test("lanes share slices but not sums", () => {
    const w = new SlidingWindow(1000, 2);
    w.add(0, 1, 0);
    w.add(0, 2, 1);
    w.add(500, 4, 1);
    expect([w.sum(600, 0), w.sum(600, 1)]).toEqual([1, 6]);
    expect([w.sum(1000, 0), w.sum(1000, 1)]).toEqual([0, 4]);
  });

  test("time going back counts into the current slice", () => {
    const w = new SlidingWindow(1000);
    w.add(500, 1);
    w.add(100, 1);
    expect(w.sum(500)).toBe(2);
    expect(w.sum(1499)).toBe(2);
    expect(w.sum(1500)).toBe(0);
  });

  test("property: the sum is that of the adds in the last 10 slices, current included", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: -5, max: 5 })), { maxLength: 200 }), (steps) => {
        const w = new SlidingWindow(1000);
        const log: [number, number][] = [];
        let t = 0;
        for (const [dt, v] of steps) {
          t += dt;
          w.add(t, v);
          log.push([t, v]);
          const slice = Math.floor(t / 100);
          const expected = log.filter(([at]) => Math.floor(at / 100) > slice - 10).reduce((a, [, x]) => a + x, 0);
          expect(w.sum(t)).toBe(expected);
        }
      }),
    );
  });
});
