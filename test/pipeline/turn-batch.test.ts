import { expect, test } from "bun:test";
import { BUSY_STREAK, BUSY_TURN, inTurnBatch, isBatching } from "../../src/pipeline/turn-batch.ts";

const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
/** The turn right after this one (a loaded gateway has work in every turn). */
const followingTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `count` pieces of work in this turn, then goes on in the turn right after it. */
async function busyTurn(count: number): Promise<void> {
  const all: unknown[] = [];
  for (let i = 0; i < count; i++) all.push(inTurnBatch(() => i));
  await Promise.all(all);
  await followingTurn();
}

/** BUSY_STREAK busy turns in a row: from the next turn on, work is batched. */
async function busyStreak(): Promise<void> {
  for (let t = 0; t < BUSY_STREAK; t++) await busyTurn(BUSY_TURN);
}

test("on a quiet gateway work runs at once and its result comes back as is", async () => {
  await nextTurn();
  expect(isBatching()).toBe(false);
  expect(inTurnBatch(() => 42)).toBe(42);
  expect(() =>
    inTurnBatch(() => {
      throw new Error("sync boom");
    }),
  ).toThrow("sync boom");
  await nextTurn();
});

test(`after ${BUSY_STREAK} turns of ${BUSY_TURN} pieces of work, the next turn's are batched: in order, each continuing once all have run`, async () => {
  await busyStreak();
  expect(isBatching()).toBe(true);
  const order: string[] = [];
  const all = [1, 2, 3].map((n) => {
    const r = inTurnBatch(() => {
      order.push(`work ${n}`);
      return n * 10;
    });
    expect(r).toBeInstanceOf(Promise);
    return (r as Promise<number>).then((v: number) => order.push(`then ${v}`));
  });
  order.push("caller");
  await Promise.all(all);
  expect(order).toEqual(["caller", "work 1", "work 2", "work 3", "then 10", "then 20", "then 30"]);
});

test("batched: a throw rejects its own promise only; the rest of the batch runs and resolves", async () => {
  await busyStreak();
  const a = inTurnBatch(() => {
    throw new Error("boom");
  });
  const b = inTurnBatch(() => "fine");
  await expect(a as Promise<never>).rejects.toThrow("boom");
  expect(await b).toBe("fine");
});

test(`after a turn of fewer than ${BUSY_TURN}, work runs at once again`, async () => {
  await busyStreak();
  expect(isBatching()).toBe(true);
  await busyTurn(1);
  expect(isBatching()).toBe(false);
  expect(inTurnBatch(() => "now")).toBe("now");
  await nextTurn();
});

test(`fewer than ${BUSY_STREAK} busy turns in a row (a backlog after a stall) do not start batching`, async () => {
  for (let t = 0; t < BUSY_STREAK - 1; t++) await busyTurn(BUSY_TURN * 3);
  expect(isBatching()).toBe(false);
  expect(inTurnBatch(() => "now")).toBe("now");
  await nextTurn();
});

test("a turn with no work at all breaks the streak", async () => {
  for (let t = 0; t < BUSY_STREAK - 1; t++) await busyTurn(BUSY_TURN);
  await nextTurn(); // a turn in which nothing called inTurnBatch
  await nextTurn();
  await busyTurn(BUSY_TURN);
  expect(isBatching()).toBe(false);
  await busyTurn(1);
});
