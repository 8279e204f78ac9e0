import { describe, expect, test } from "bun:test";
import { InFlightCap } from "../../../src/resilience/breaker/in-flight-cap.ts";

describe("InFlightCap", () => {
  test("refuses past max, and frees a slot on finish", () => {
    const c = new InFlightCap(2);
    expect(c.tryStart()).toBe(true);
    expect(c.tryStart()).toBe(true);
    expect(c.tryStart()).toBe(false);
    expect([c.inFlight, c.refused, c.started]).toEqual([2, 1, 2]);
    c.finish();
    expect(c.tryStart()).toBe(true);
  });

  test("null: no cap, still counted", () => {
    const c = new InFlightCap(null);
    for (let i = 0; i < 1000; i++) expect(c.tryStart()).toBe(true);
    expect(c.inFlight).toBe(1000);
  });

  test("a finish with nothing in flight is counted, not negative", () => {
    const c = new InFlightCap(1);
    c.finish();
    expect([c.inFlight, c.finishUnderflow]).toEqual([0, 1]);
    expect(c.tryStart()).toBe(true);
    expect(c.tryStart()).toBe(false);
  });
});
