// The Redis lease store's health on a real redis-server: up after connecting, down within 1 s of a
// killed or a hung server, up again by itself when the server is back; takes pipelined through
// EVALSHA, with EVAL when the server lost its script cache; nothing left running after close().
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import type { BucketArgs, LeaseJob } from "../../../src/limits/shared/lease-store.ts";
import { RedisLeaseStore } from "../../../src/limits/shared/redis-lease-store.ts";
import type { TakeReply } from "../../../src/limits/shared/take-script.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

const SLOW: BucketArgs = { intervalUs: String(100_000_000), burst: "10" }; // 1 token per 100 s

/** A take that records its outcome. */
class Job implements LeaseJob {
  chargeNow = 0;
  want = 0;
  readonly refresh = false;
  readonly outcomes: Array<TakeReply | null> = [];
  private wake: (() => void) | null = null;
  constructor(
    readonly redisKey: string,
    private readonly asked: number,
    private readonly debt = 0,
    readonly bucket: BucketArgs = SLOW,
  ) {}
  prepare(): void {
    this.want = this.asked;
    this.chargeNow = this.debt;
  }
  settle(reply: TakeReply | null): void {
    this.outcomes.push(reply);
    this.wake?.();
  }
  settledOnce(): Promise<TakeReply | null> {
    if (this.outcomes.length > 0) return Promise.resolve(this.outcomes[0]!);
    return new Promise((resolve) => (this.wake = () => resolve(this.outcomes[0]!)));
  }
}

/** Polls `cond` every 5 ms; returns the ms it took, or throws after timeoutMs. */
async function within(timeoutMs: number, cond: () => boolean): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
  return performance.now() - t0;
}

let n = 0;
const freshKey = () => `test:store:${++n}`;

describe("RedisLeaseStore", () => {
  test("connects, and takes queued in one tick are answered", async () => {
    const store = new RedisLeaseStore(redis.url);
    try {
      expect(store.up).toBe(false);
      expect(await store.ready(2000)).toBe(true);
      expect(store.modeSwitches).toBe(1);
      const a = new Job(freshKey(), 4);
      const b = new Job(freshKey(), 20, 3);
      expect(store.request(a)).toBe(true);
      expect(store.request(b)).toBe(true);
      expect(await a.settledOnce()).toMatchObject({ granted: 4, left: 6 });
      expect(await b.settledOnce()).toMatchObject({ granted: 7, left: 0 });
      expect(store.leaseRequests).toBe(2);
      expect(store.tokensGranted).toBe(11);
      expect(store.redisErrors).toBe(0);
    } finally {
      store.close();
    }
  });

  test("after SCRIPT FLUSH a take still succeeds (EVAL fallback), without an error", async () => {
    const store = new RedisLeaseStore(redis.url);
    const admin = new RedisClient(redis.url, { autoReconnect: false, enableOfflineQueue: false });
    try {
      await store.ready(2000);
      await admin.connect();
      await admin.send("SCRIPT", ["FLUSH"]);
      const job = new Job(freshKey(), 2);
      store.request(job);
      expect(await job.settledOnce()).toMatchObject({ granted: 2 });
      expect(store.redisErrors).toBe(0);
      expect(store.up).toBe(true);
    } finally {
      admin.close();
      store.close();
    }
  });

  test("killed server: down within 1 s, takes refused while down, up again after restart", async () => {
    const store = new RedisLeaseStore(redis.url);
    try {
      await store.ready(2000);
      await redis.stop();
      const downMs = await within(1000, () => !store.up);
      console.log(`killed redis: store down after ${downMs.toFixed(0)} ms (${store.lastDownReason})`);
      expect(store.request(new Job(freshKey(), 1))).toBe(false);
      await Bun.sleep(600); // a few failed reconnects
      expect(store.probeFailures).toBeGreaterThan(0);
      await redis.restart();
      const upMs = await within(2000, () => store.up);
      console.log(`restarted redis: store up after ${upMs.toFixed(0)} ms`);
      expect(store.modeSwitches).toBe(3);
      const job = new Job(freshKey(), 3);
      store.request(job);
      expect(await job.settledOnce()).toMatchObject({ granted: 3 });
    } finally {
      store.close();
      if (!redis.running) await redis.restart();
    }
  });

  test("hung server (SIGSTOP): down within 1 s, pending takes fail, up again after SIGCONT", async () => {
    const store = new RedisLeaseStore(redis.url);
    try {
      await store.ready(2000);
      redis.pause();
      const job = new Job(freshKey(), 1);
      store.request(job);
      const downMs = await within(1000, () => !store.up);
      console.log(`hung redis: store down after ${downMs.toFixed(0)} ms (${store.lastDownReason})`);
      expect(store.lastDownReason).toBe("timeout");
      expect(await job.settledOnce()).toBeNull();
      redis.resume();
      const upMs = await within(3000, () => store.up);
      console.log(`resumed redis: store up after ${upMs.toFixed(0)} ms`);
    } finally {
      redis.resume();
      store.close();
    }
  });

  test("a quiet store notices a hung server by its heartbeat", async () => {
    const store = new RedisLeaseStore(redis.url);
    try {
      await store.ready(2000);
      await Bun.sleep(300); // idle: only heartbeats
      redis.pause();
      const downMs = await within(1200, () => !store.up);
      console.log(`hung redis, no traffic: store down after ${downMs.toFixed(0)} ms`);
    } finally {
      redis.resume();
      store.close();
    }
  });

  test("close() settles queued takes as failed and refuses new ones", async () => {
    const store = new RedisLeaseStore(redis.url);
    await store.ready(2000);
    const job = new Job(freshKey(), 1);
    store.request(job);
    store.close(); // before the microtask that would send it
    expect(await job.settledOnce()).toBeNull();
    expect(store.up).toBe(false);
    expect(store.request(new Job(freshKey(), 1))).toBe(false);
  });

  test("an unreachable Redis: ready() says false, nothing throws", async () => {
    const store = new RedisLeaseStore("redis://127.0.0.1:1");
    try {
      expect(await store.ready(300)).toBe(false);
      expect(store.up).toBe(false);
      expect(store.request(new Job(freshKey(), 1))).toBe(false);
    } finally {
      store.close();
    }
  });

  test("a process that closes its store exits on its own (no handle left)", async () => {
    const storeModule = new URL("../../../src/limits/shared/redis-lease-store.ts", import.meta.url).pathname;
    const code = `
      import { RedisLeaseStore } from ${JSON.stringify(storeModule)};
      const s = new RedisLeaseStore(${JSON.stringify(redis.url)});
      if (!(await s.ready(2000))) process.exit(3);
      await Bun.sleep(300);
      s.close();
      console.log("closed");
    `;
    const proc = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe" });
    const killer = setTimeout(() => proc.kill("SIGKILL"), 4000);
    const exit = await proc.exited;
    clearTimeout(killer);
    expect(await new Response(proc.stdout).text()).toContain("closed");
    expect(exit).toBe(0);
  });
});
