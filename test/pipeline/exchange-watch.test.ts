import { describe, expect, test } from "bun:test";
import { ExchangeWatch, WatchedExchange } from "../../src/pipeline/exchange-watch.ts";

/** A watch on a hand-driven clock: tick() is called by the test, never by a timer that matters. */
function manual() {
  let t = 0;
  const watch = new ExchangeWatch(5, () => t);
  return { watch, advance: (ms: number) => void (t += ms), stop: () => watch.stop() };
}

function fakeReq(aborted: () => boolean): Request {
  return { signal: { get aborted() { return aborted(); } } } as unknown as Request;
}

describe("ExchangeWatch", () => {
  test("cancels an exchange past its deadline with KEEL_UPSTREAM_TIMEOUT, once", () => {
    const m = manual();
    const w = new WatchedExchange(null, 0, 20);
    const seen: string[] = [];
    w.listener = { onCancel: (c) => void seen.push(c) };
    m.watch.add(w);
    m.advance(19);
    m.watch.tick();
    expect(seen).toEqual([]);
    m.advance(1);
    m.watch.tick();
    m.watch.tick();
    expect(seen).toEqual(["KEEL_UPSTREAM_TIMEOUT"]);
    expect(w.reason).toBe("KEEL_UPSTREAM_TIMEOUT");
    expect(m.watch.size).toBe(0);
    m.stop();
  });

  test("cancels with KEEL_CLIENT_CLOSED when the client's signal is aborted, but only after a tick", () => {
    const m = manual();
    let gone = false;
    let reads = 0;
    const w = new WatchedExchange(fakeReq(() => (reads++, gone)), 0, 1000);
    m.watch.add(w);
    m.watch.tick();
    expect(reads).toBe(0); // younger than a tick: req.signal is not touched
    m.advance(5);
    m.watch.tick();
    expect(reads).toBe(1);
    expect(w.reason).toBeNull();
    gone = true;
    m.watch.tick();
    expect(w.reason).toBe("KEEL_CLIENT_CLOSED");
    m.stop();
  });

  test("removal from the middle, head and tail keeps the rest watched", () => {
    const m = manual();
    const ws = [10, 20, 30, 40].map((d) => new WatchedExchange(null, 0, d));
    for (const w of ws) m.watch.add(w);
    m.watch.remove(ws[1]!);
    m.watch.remove(ws[3]!);
    m.watch.remove(ws[3]!); // twice is harmless
    expect(m.watch.size).toBe(2);
    m.advance(100);
    m.watch.tick();
    expect(ws.map((w) => w.reason)).toEqual(["KEEL_UPSTREAM_TIMEOUT", null, "KEEL_UPSTREAM_TIMEOUT", null]);
    expect(m.watch.size).toBe(0);
    m.stop();
  });

  test("cancel() reaches a listener registered later as a reason already set", () => {
    const w = new WatchedExchange(null, 0, 1);
    w.cancel("KEEL_CLIENT_CLOSED");
    w.cancel("KEEL_UPSTREAM_TIMEOUT");
    expect(w.reason).toBe("KEEL_CLIENT_CLOSED");
  });
});
