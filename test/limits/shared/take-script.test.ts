// The take script on a real redis-server: grants exactly min(want, available), charges debt
// without condition, refills at the rate (on Redis's clock), and lets idle keys expire.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { parseTakeReply, TAKE_SCRIPT, TAKE_SHA, type TakeReply } from "../../../src/limits/shared/take-script.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";

let redis: TestRedis;
let client: RedisClient;
let n = 0;

beforeAll(async () => {
  redis = await startRedis();
  client = new RedisClient(redis.url, { autoReconnect: false, enableOfflineQueue: false });
  await client.connect();
});

afterAll(async () => {
  client.close();
  await redis.stop();
});

/** A fresh key per test. */
const freshKey = () => `test:take:${++n}`;

async function take(key: string, debt: number, want: number, intervalMs: number, burst: number): Promise<TakeReply> {
  const raw = await client.send("EVAL", [TAKE_SCRIPT, "1", key, String(debt), String(want), String(intervalMs * 1000), String(burst)]);
  const reply = parseTakeReply(raw);
  if (reply === null) throw new Error(`bad reply ${JSON.stringify(raw)}`);
  return reply;
}

// 1 token per 100 s: nothing refills during a test.
const SLOW_MS = 100_000;

describe("take script", () => {
  test("SCRIPT LOAD gives the SHA the store sends with EVALSHA", async () => {
    expect(await client.send("SCRIPT", ["LOAD", TAKE_SCRIPT])).toBe(TAKE_SHA);
  });

  test("grants exactly min(want, available), down to nothing", async () => {
    const key = freshKey();
    const burst = 10;
    expect(await take(key, 0, 3, SLOW_MS, burst)).toMatchObject({ granted: 3, left: 7 });
    expect(await take(key, 0, 5, SLOW_MS, burst)).toMatchObject({ granted: 5, left: 2 });
    expect(await take(key, 0, 5, SLOW_MS, burst)).toMatchObject({ granted: 2, left: 0 });
    const empty = await take(key, 0, 1, SLOW_MS, burst);
    expect(empty).toMatchObject({ granted: 0, left: 0 });
    // The next token is one interval after the last grant; full after `burst` intervals.
    expect(empty.msUntilNext).toBeGreaterThan(SLOW_MS - 1000);
    expect(empty.msUntilNext).toBeLessThanOrEqual(SLOW_MS);
    expect(empty.msUntilFull).toBeGreaterThan(burst * SLOW_MS - 1000);
  });

  test("a fresh key holds the whole burst; want 0 is a read", async () => {
    const key = freshKey();
    expect(await take(key, 0, 0, SLOW_MS, 7)).toMatchObject({ granted: 0, left: 7, msUntilNext: 0, msUntilFull: 0 });
    expect(await client.exists(key)).toBe(false);
    expect(await take(key, 0, 100, SLOW_MS, 7)).toMatchObject({ granted: 7, left: 0 });
  });

  test("debt is charged without condition and delays the next grants", async () => {
    const key = freshKey();
    expect(await take(key, 4, 3, SLOW_MS, 10)).toMatchObject({ granted: 3, left: 3 });
    // 8 more owed with 3 left: the bucket goes 5 below empty, so nothing is granted.
    const over = await take(key, 8, 1, SLOW_MS, 10);
    expect(over).toMatchObject({ granted: 0, left: 0 });
    // Next token: 5 intervals of debt + 1.
    expect(Math.round(over.msUntilNext / SLOW_MS)).toBe(6);
  });

  test("refills at the rate, up to the burst", async () => {
    const key = freshKey();
    const intervalMs = 10; // 100/s
    expect((await take(key, 0, 20, intervalMs, 20)).granted).toBe(20);
    const t0 = performance.now();
    await Bun.sleep(150);
    const r = await take(key, 0, 100, intervalMs, 20);
    const elapsed = performance.now() - t0;
    // Tokens that accrued between the two takes (Redis's clock; allow one token either side).
    expect(r.granted).toBeGreaterThanOrEqual(Math.floor(150 / intervalMs) - 1);
    expect(r.granted).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 1);
    await Bun.sleep(400);
    expect((await take(key, 0, 100, intervalMs, 20)).granted).toBe(20); // capped at the burst
  });

  test("the key expires when its bucket would be full again", async () => {
    const key = freshKey();
    await take(key, 0, 2, 50, 5); // full again in 100 ms
    const pttl = await client.send("PTTL", [key]);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(102);
    await Bun.sleep(150);
    expect(await client.exists(key)).toBe(false);
  });

  test("parseTakeReply refuses anything but four counts", () => {
    expect(parseTakeReply([1, 2, 3, 4])).toEqual({ granted: 1, left: 2, msUntilNext: 3, msUntilFull: 4 });
    expect(parseTakeReply([1, 2, 3])).toBeNull();
    expect(parseTakeReply("OK")).toBeNull();
    expect(parseTakeReply([1, -2, 3, 4])).toBeNull();
    expect(parseTakeReply(null)).toBeNull();
  });
});
