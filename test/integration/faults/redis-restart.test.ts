// Fault: the Redis behind shared rate limits goes away under load — killed and restarted, or hung
// (SIGSTOP) and resumed. A `failureMode: open` policy keeps deciding locally (not one non-2xx), a
// `failureMode: closed` one answers 503 KEEL_RATE_LIMIT_STORE_DOWN with Retry-After, and both are
// back on Redis by themselves once it answers again. Afterwards nothing is in flight and the gateway
// serves. The accuracy of the shared quota and the outage across three processes are
// ../limits/shared-limits.test.ts; the store's reconnect logic is test/limits/shared/.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { startRedis, type TestRedis } from "../../support/redis.ts";
import { expectNothingInFlight, series } from "../resilience/helpers.ts";

let redis: TestRedis;
let backend: Backend;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  backend = startBackend(() => new Response("ok"));
  // Quotas far above the offered load: any refusal would be the outage's doing.
  gw = startKeel(`
redis: { url: "${redis.url}" }
rateLimits:
  open: { rate: 100000/s, key: header:x-tenant, shared: { failureMode: open } }
  closed: { rate: 100000/s, key: header:x-tenant, shared: { failureMode: closed } }
upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - { name: open, match: { pathPrefix: /open }, upstream: backend, rateLimit: open }
  - { name: closed, match: { pathPrefix: /closed }, upstream: backend, rateLimit: closed }
`);
  await gw.ready;
}, 10_000);

afterAll(async () => {
  await gw?.stop();
  backend?.stop();
  await redis?.stop();
});

/** Statuses (and problem codes of 5xx) per route while the load runs. */
interface Tally {
  open: Map<string, number>;
  closed: Map<string, number>;
}

/** Four closed-loop clients alternating between the two routes until stop() is called. */
function load(): { tally: Tally; stop(): Promise<void> } {
  const tally: Tally = { open: new Map(), closed: new Map() };
  let running = true;
  const one = async (route: "open" | "closed") => {
    const res = await fetch(`${gw.url}/${route}/x`, { headers: { "x-tenant": "acme" } });
    const body = await res.text();
    const key = res.status >= 500 ? `${res.status} ${(JSON.parse(body) as { code: string }).code} retry-after=${res.headers.get("retry-after")}` : String(res.status);
    tally[route].set(key, (tally[route].get(key) ?? 0) + 1);
  };
  const clients = [0, 1, 2, 3].map(async () => {
    while (running) {
      await one("open");
      await one("closed");
    }
  });
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

const redisUp = () => series(gw, "keel_ratelimit_redis_up");
const admitted = (source: string) => series(gw, `keel_ratelimit_shared_admitted_total{policy="open",source="${source}"}`);
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const STORE_DOWN = "503 KEEL_RATE_LIMIT_STORE_DOWN retry-after=1";

async function outage(begin: () => Promise<void> | void, end: () => Promise<void> | void): Promise<Tally> {
  const l = load();
  try {
    await waitFor(() => total(l.tally.open) >= 50, 4000, "load on the shared policies");
    await begin();
    await waitFor(async () => (await redisUp()) === 0, 3000, "the failure mode");
    const during = await admitted("outage");
    await waitFor(async () => (await admitted("outage")) > during + 20, 4000, "local decisions under load");
    await end();
    await waitFor(async () => (await redisUp()) === 1, 5000, "Redis up again");
    const leases = await admitted("lease");
    await waitFor(async () => (await admitted("lease")) > leases, 4000, "leases again under load");
  } finally {
    await l.stop();
  }
  return l.tally;
}

async function expectRecovered(what: string, t: Tally): Promise<void> {
  const show = (m: Map<string, number>) => [...m].map(([k, n]) => `${n}× ${k}`).join(", ");
  console.log(`Redis ${what}: open ${show(t.open)}; closed ${show(t.closed)}`);
  // open: every request served; closed: served, or refused with the documented problem.
  expect([...t.open.keys()]).toEqual(["200"]);
  expect([...t.closed.keys()].filter((k) => k !== "200" && k !== STORE_DOWN)).toEqual([]);
  expect(t.closed.get(STORE_DOWN) ?? 0).toBeGreaterThan(0);
  await expectNothingInFlight(gw);
  for (const route of ["open", "closed"]) expect((await fetch(`${gw.url}/${route}/after`, { headers: { "x-tenant": "acme" } })).status).toBe(200);
}

describe("Redis under load", () => {
  test("killed and restarted: open keeps serving, closed answers 503 KEEL_RATE_LIMIT_STORE_DOWN, both back on Redis", async () => {
    const t = await outage(
      () => redis.stop(),
      () => redis.restart(),
    );
    await expectRecovered("killed and restarted", t);
  }, 20_000);

  test("hung (SIGSTOP) and resumed: the same", async () => {
    const t = await outage(
      () => redis.pause(),
      () => redis.resume(),
    );
    await expectRecovered("hung and resumed", t);
  }, 20_000);
});
