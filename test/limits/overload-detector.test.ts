// The shedding detector on a fake clock: one late tick over the limit trips it at once; it clears
// at the first window boundary where the loop keeps time again; off when maxEventLoopLag is 0.
import { expect, test } from "bun:test";
import { OverloadDetector } from "../../src/limits/overload-detector.ts";

function detector(maxEventLoopLagMs: number) {
  let now = 0;
  const d = new OverloadDetector({ maxInFlight: 0, maxEventLoopLagMs }, () => now, 20, 500);
  d.stop(); // the test drives tick() itself
  return {
    d,
    /** Advance by `ms` and tick (a tick `ms` after the last one: lag = ms - 20). */
    tickAfter(ms: number) {
      now += ms;
      d.tick();
    },
  };
}

test("on-time ticks never trip it", () => {
  const { d, tickAfter } = detector(100);
  for (let i = 0; i < 100; i++) tickAfter(20);
  expect(d.lagging).toBe(false);
  expect(d.lastWindowMaxLagMs).toBe(0);
});

test("one tick later than the limit trips it at once; the next window of on-time ticks clears it", () => {
  const { d, tickAfter } = detector(100);
  tickAfter(20);
  tickAfter(20 + 150); // 150 ms late
  expect(d.lagging).toBe(true);
  // Still the same window: stays on until a window boundary.
  tickAfter(20);
  expect(d.lagging).toBe(true);
  for (let i = 0; i < 30 && d.lagging; i++) tickAfter(20);
  expect(d.lagging).toBe(false);
  expect(d.laggingWindows).toBe(1);
});

test("a late tick under the limit does not trip it, and the window's max is reported", () => {
  const { d, tickAfter } = detector(100);
  tickAfter(20 + 80);
  expect(d.lagging).toBe(false);
  for (let i = 0; i < 30; i++) tickAfter(20);
  expect(d.lastWindowMaxLagMs).toBe(80); // the window with the late tick has ended
  for (let i = 0; i < 30; i++) tickAfter(20);
  expect(d.lastWindowMaxLagMs).toBe(0); // and the next one was on time
});

test("maxEventLoopLag 0 = off: no interval, never lagging", () => {
  const d = new OverloadDetector({ maxInFlight: 0, maxEventLoopLagMs: 0 });
  expect(d.lagging).toBe(false);
  d.stop();
});
