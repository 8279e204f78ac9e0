// Shared rate limits across three Keel processes through a real redis-server:
// - accuracy: one 300/s quota (burst 30), 900/s offered in total for 20 s → admitted within ±5% of
//   300 × 20 + 30, and not one 5xx;
// - an outage: redis-server killed mid-run → every instance is in its failure mode (open: local
//   decisions) within 1 s, and back on leases once it is restarted — without a single 5xx;
// - failureMode closed: 503 KEEL_RATE_LIMIT_STORE_DOWN while Redis is out, served again after.
// These tests take ~30 s: the 20 s accuracy run is part of them.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { spawnKeel, type KeelChild } from "../../support/child.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";

let redis: TestRedis;
let backend: Backend;
let keels: KeelChild[] = [];

const config = (redisUrl: string, backendAuthority: string) => `
server: { drainTimeout: 200ms }
redis: { url: "${redisUrl}" }
rateLimits:
  accuracy: { rate: 300/s, burst: 30, key: header:x-tenant, shared: { failureMode: open, localShare: 0.34 } }
  outage: { rate: 300/s, burst: 30, key: header:x-tenant, shared: { failureMode: open, localShare: 0.34 } }
upstreams:
  backend: { endpoints: ["http://${backendAuthority}"] }
routes:
  - { name: accuracy, match: { pathPrefix: /accuracy }, upstream: backend, rateLimit: accuracy }
  - { name: outage, match: { pathPrefix: /outage }, upstream: backend, rateLimit: outage }
`;

beforeAll(async () => {
  redis = await startRedis();
  backend = startBackend(() => new Response("ok"));
  keels = await Promise.all([0, 1, 2].map(() => spawnKeel(config(redis.url, backend.authority))));
}, 20_000);

afterAll(async () => {
  await Promise.all(keels.map((k) => k.stop()));
  backend?.stop();
  await redis?.stop();
});

interface Tally {
  ok: number;
  limited: number;
  fivexx: number;
  other: number;
}

/** `perInstance` requests per second to each instance for `seconds`, paced in 10 ms steps. */
async function offer(path: string, perInstance: number, seconds: number, during: (elapsedMs: number) => void = () => {}): Promise<Tally> {
  const tally: Tally = { ok: 0, limited: 0, fivexx: 0, other: 0 };
  const pending: Promise<void>[] = [];
  const perStep = perInstance / 100;
  const start = performance.now();
  let owed = 0;
  for (let step = 0; step < seconds * 100; step++) {
    const due = start + step * 10;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    during(performance.now() - start);
    owed += perStep;
    const n = Math.floor(owed);
    owed -= n;
    for (const k of keels) {
      for (let i = 0; i < n; i++) {
        pending.push(
          fetch(k.url + path, { headers: { "x-tenant": "acme" } }).then(async (r) => {
            await r.arrayBuffer();
            if (r.status === 200) tally.ok++;
            else if (r.status === 429) tally.limited++;
            else if (r.status >= 500) tally.fivexx++;
            else tally.other++;
          }),
        );
      }
    }
  }
  await Promise.all(pending);
  return tally;
}

async function metric(k: KeelChild, series: string): Promise<number> {
  const text = await (await fetch(k.adminUrl + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

describe("shared rate limits through Redis", () => {
  test(
    "3 instances, one 300/s quota, 900/s offered for 20 s: admitted within ±5% of 300×20 + 30",
    async () => {
      const t = await offer("/accuracy", 300, 20);
      const expected = 300 * 20 + 30;
      console.log(`shared accuracy: admitted ${t.ok}, limited ${t.limited}, 5xx ${t.fivexx}, other ${t.other}; expected ${expected}`);
      expect(t.fivexx).toBe(0);
      expect(t.other).toBe(0);
      expect(t.ok + t.limited).toBeGreaterThan(17_000); // the load was really offered
      expect(Math.abs(t.ok - expected) / expected).toBeLessThanOrEqual(0.05);
      for (const k of keels) expect(await metric(k, 'keel_ratelimit_shared_admitted_total{policy="accuracy",source="lease"}')).toBeGreaterThan(0);
    },
    40_000,
  );

  test(
    "redis-server killed mid-run: failure mode within 1 s, shared again after a restart, no 5xx",
    async () => {
      let killedAt = -1;
      let restartAt = -1;
      const outageBefore = await Promise.all(keels.map((k) => metric(k, 'keel_ratelimit_shared_admitted_total{policy="outage",source="outage"}')));
      let switchedMs = -1;
      const watcher = (async () => {
        while (killedAt < 0) await Bun.sleep(5);
        // Poll every instance's Redis gauge until all say "down".
        for (;;) {
          const up = await Promise.all(keels.map((k) => metric(k, "keel_ratelimit_redis_up")));
          if (up.every((u) => u === 0)) {
            switchedMs = performance.now() - killedAt;
            return;
          }
          await Bun.sleep(20);
        }
      })();
      const t = await offer("/outage", 300, 8, (elapsed) => {
        if (killedAt < 0 && elapsed >= 2000) {
          killedAt = performance.now();
          void redis.stop();
        }
        if (restartAt < 0 && elapsed >= 5000) {
          restartAt = performance.now();
          void redis.restart();
        }
      });
      await watcher;
      console.log(`outage: admitted ${t.ok}, limited ${t.limited}, 5xx ${t.fivexx}; all instances in failure mode ${switchedMs.toFixed(0)} ms after the kill`);
      expect(t.fivexx).toBe(0);
      expect(t.other).toBe(0);
      expect(switchedMs).toBeGreaterThanOrEqual(0);
      expect(switchedMs).toBeLessThan(1000);
      // Decisions were taken locally during the outage ...
      const outageAfter = await Promise.all(keels.map((k) => metric(k, 'keel_ratelimit_shared_admitted_total{policy="outage",source="outage"}')));
      outageAfter.forEach((n, i) => expect(n).toBeGreaterThan(outageBefore[i]!));
      // ... and once Redis is back, every instance returns to leases by itself.
      await waitFor(async () => (await Promise.all(keels.map((k) => metric(k, "keel_ratelimit_redis_up")))).every((u) => u === 1), 5000, "Redis up again everywhere");
      const leaseBefore = await Promise.all(keels.map((k) => metric(k, 'keel_ratelimit_shared_admitted_total{policy="outage",source="lease"}')));
      const after = await offer("/outage", 100, 2);
      expect(after.fivexx).toBe(0);
      const leaseAfter = await Promise.all(keels.map((k) => metric(k, 'keel_ratelimit_shared_admitted_total{policy="outage",source="lease"}')));
      leaseAfter.forEach((n, i) => expect(n).toBeGreaterThan(leaseBefore[i]!));
    },
    40_000,
  );
});

describe("failureMode closed", () => {
  let gw: TestGateway;
  beforeAll(() => {
    gw = startKeel(`
redis: { url: "${redis.url}" }
rateLimits:
  strict: { rate: 1000/s, shared: { failureMode: closed } }
upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - { name: strict, match: { pathPrefix: / }, upstream: backend, rateLimit: strict }
`);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test("Redis out → 503 KEEL_RATE_LIMIT_STORE_DOWN with Retry-After; back → served", async () => {
    await gw.ready;
    expect((await fetch(gw.url + "/a")).status).toBe(200);
    await redis.stop();
    await waitFor(async () => (await fetch(gw.url + "/a")).status === 503, 2000, "503 while Redis is out");
    const res = await fetch(gw.url + "/a");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await res.json()).toMatchObject({ code: "KEEL_RATE_LIMIT_STORE_DOWN", route: "strict" });
    await redis.restart();
    await waitFor(async () => (await fetch(gw.url + "/a")).status === 200, 5000, "served again after Redis is back");
  });
});
