import { expect, test } from "bun:test";
import { atTurnEnd } from "../../src/pipeline/turn-batch.ts";

test("deferred work does not run in the caller's turn; it runs before a timer set after it", async () => {
  const order: string[] = [];
  const done = atTurnEnd(() => order.push("work"));
  order.push("caller");
  await Promise.resolve();
  order.push("microtask");
  const timer = new Promise<void>((resolve) => setTimeout(() => (order.push("timer"), resolve()), 0));
  await Promise.all([done, timer]);
  expect(order).toEqual(["caller", "microtask", "work", "timer"]);
});

test("work deferred in one turn runs as one batch, in order, before any of it continues", async () => {
  const order: string[] = [];
  const all = [1, 2, 3].map((n) =>
    atTurnEnd(() => {
      order.push(`work ${n}`);
      return n * 10;
    }).then((v) => order.push(`then ${v}`)),
  );
  await Promise.all(all);
  expect(order).toEqual(["work 1", "work 2", "work 3", "then 10", "then 20", "then 30"]);
});

test("work deferred while a batch runs goes to the next one", async () => {
  const order: string[] = [];
  await atTurnEnd(() => {
    order.push("first");
    void atTurnEnd(() => order.push("second, next batch"));
    order.push("first ends");
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  expect(order).toEqual(["first", "first ends", "second, next batch"]);
});

test("a throw rejects its own promise only; the rest of the batch runs and resolves", async () => {
  const a = atTurnEnd(() => {
    throw new Error("boom");
  });
  const b = atTurnEnd(() => "fine");
  await expect(a).rejects.toThrow("boom");
  expect(await b).toBe("fine");
});
