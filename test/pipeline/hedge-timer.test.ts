import { expect, test } from "bun:test";
import { HedgeEntry, HedgeTimer } from "../../src/pipeline/hedge-timer.ts";

class Probe extends HedgeEntry {
  constructor(
    readonly name: string,
    readonly fired: string[],
  ) {
    super();
  }
  fire(): void {
    this.fired.push(this.name);
  }
}

test("entries fire in due order, each once; cancelled ones never", () => {
  let now = 0;
  const t = new HedgeTimer(() => now);
  const fired: string[] = [];
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => new Probe(n, fired)) as [Probe, Probe, Probe, Probe];
  t.schedule(a, 10);
  t.schedule(b, 30);
  t.schedule(c, 20); // out of order: goes between a and b
  t.schedule(d, 25);
  t.cancel(d);
  expect(t.size).toBe(3);
  now = 15;
  t.run();
  expect(fired).toEqual(["a"]);
  now = 100;
  t.run();
  expect(fired).toEqual(["a", "c", "b"]);
  expect(t.size).toBe(0);
  t.run();
  expect(fired).toEqual(["a", "c", "b"]);
  t.stop();
});

test("the real timer fires a due entry", async () => {
  const t = new HedgeTimer();
  const fired: string[] = [];
  t.schedule(new Probe("x", fired), performance.now() + 5);
  const y = new Probe("y", fired);
  t.schedule(y, performance.now() + 1);
  t.cancel(y);
  await Bun.sleep(30);
  expect(fired).toEqual(["x"]);
  t.stop();
});
