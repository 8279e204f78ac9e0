// Concurrency limits and latency budgets through the running gateway, with a backend that holds
// requests until the test lets them go: 503 problem+json with Retry-After when full or queued too
// long, FIFO hand-over, budget → 504 with no upstream work after the deadline, the remaining
// budget in x-keel-budget-ms, and every slot back (gauges at 0) after each case.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { deadPort, startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";

let backend: Backend;
let gw: TestGateway;
/** Requests the backend holds; release() answers them all. */
let held: (() => void)[] = [];
const releaseAll = () => {
  const h = held;
  held = [];
  for (const r of h) r();
};

beforeAll(() => {
  backend = startBackend(async (req, rec) => {
    if (rec.target.includes("hold")) await new Promise<void>((r) => held.push(r));
    if (rec.target.includes("slow")) await Bun.sleep(300);
    return Response.json({ budget: req.headers.get("x-keel-budget-ms") });
  });
  gw = startKeel(`
upstreams:
  backend:
    endpoints: ["http://${backend.authority}"]
  capped:
    endpoints: ["http://${backend.authority}"]
    concurrency: { max: 1, queue: 0 }
  narrow:
    endpoints: ["http://${backend.authority}"]
    concurrency: { max: 1, queue: 5, queueTimeout: 5s }
  down:
    endpoints: ["http://127.0.0.1:${deadPort()}"]
    concurrency: { max: 1 }
routes:
  - name: no-queue
    match: { pathPrefix: /nq }
    upstream: backend
    concurrency: { max: 1, queue: 0 }
  - name: queued
    match: { pathPrefix: /q }
    upstream: backend
    concurrency: { max: 1, queue: 2, queueTimeout: 150ms }
  - name: upstream-capped
    match: { pathPrefix: /up }
    upstream: capped
  - name: budgeted
    match: { pathPrefix: /b }
    upstream: backend
    budget: 100ms
  - name: to-down
    match: { pathPrefix: /down }
    upstream: down
    concurrency: { max: 1 }
  - name: narrow-holder
    match: { pathPrefix: /nh }
    upstream: narrow
  - name: budget-queued
    match: { pathPrefix: /bq }
    upstream: narrow
    budget: 80ms
`);
});

afterAll(async () => {
  releaseAll();
  await gw?.stop();
  backend?.stop();
});

const get = (path: string) => fetch(gw.url + path);
async function gauge(name: string, labels: string): Promise<number> {
  const text = await (await fetch(gw.adminUrl + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
}
const heldCount = (n: number) => waitFor(() => held.length >= n, 4000, `${n} held requests`);

describe("concurrency", () => {
  test("full with no queue → 503 KEEL_CONCURRENCY_LIMITED with Retry-After; the slot comes back", async () => {
    const first = get("/nq/hold");
    await heldCount(1);
    const second = await get("/nq/x");
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(await second.json()).toMatchObject({ code: "KEEL_CONCURRENCY_LIMITED", route: "no-queue", phase: "admit" });
    releaseAll();
    expect((await first).status).toBe(200);
    expect((await get("/nq/x")).status).toBe(200);
    expect(await gauge("keel_concurrency_in_flight", 'scope="route",name="no-queue"')).toBe(0);
  });

  test("queued requests are served in order when a slot frees; past the queue timeout → KEEL_QUEUE_TIMEOUT", async () => {
    const first = get("/q/hold-1");
    await heldCount(1);
    const second = get("/q/hold-2"); // queued, then handed the slot
    await waitFor(async () => (await gauge("keel_concurrency_queued", 'scope="route",name="queued"')) === 1, 4000, "one queued");
    releaseAll();
    expect((await first).status).toBe(200);
    await heldCount(1); // the second now holds the slot
    const third = await get("/q/x"); // waits 150 ms behind it, then gives up
    expect(third.status).toBe(503);
    expect(await third.json()).toMatchObject({ code: "KEEL_QUEUE_TIMEOUT", route: "queued" });
    releaseAll();
    expect((await second).status).toBe(200);
    await waitFor(async () => (await gauge("keel_concurrency_in_flight", 'scope="route",name="queued"')) === 0, 4000, "slots back");
    expect(await gauge("keel_concurrency_queued", 'scope="route",name="queued"')).toBe(0);
  });

  test("a client that leaves while queued loses its place and leaks nothing", async () => {
    const first = get("/q/hold");
    await heldCount(1);
    const ac = new AbortController();
    const gone = fetch(gw.url + "/q/x", { signal: ac.signal }).catch(() => "aborted");
    await waitFor(async () => (await gauge("keel_concurrency_queued", 'scope="route",name="queued"')) === 1, 4000, "one queued");
    ac.abort();
    expect(await gone).toBe("aborted");
    await waitFor(async () => (await gauge("keel_concurrency_queued", 'scope="route",name="queued"')) === 0, 4000, "queue empty");
    releaseAll();
    expect((await first).status).toBe(200);
    await waitFor(async () => (await gauge("keel_concurrency_in_flight", 'scope="route",name="queued"')) === 0, 4000, "slots back");
  });

  test("slots come back after upstream errors and after a client leaves mid-exchange", async () => {
    for (let i = 0; i < 3; i++) expect((await get("/down/x")).status).toBe(502);
    expect(await gauge("keel_concurrency_in_flight", 'scope="route",name="to-down"')).toBe(0);
    expect(await gauge("keel_concurrency_in_flight", 'scope="upstream",name="down"')).toBe(0);
    const ac = new AbortController();
    const gone = fetch(gw.url + "/nq/hold", { signal: ac.signal }).catch(() => "aborted");
    await heldCount(1);
    ac.abort();
    expect(await gone).toBe("aborted");
    await waitFor(async () => (await gauge("keel_concurrency_in_flight", 'scope="route",name="no-queue"')) === 0, 4000, "the slot back after the client left");
    releaseAll();
    expect((await get("/nq/x")).status).toBe(200);
  });

  test("an upstream's limit holds over all its routes", async () => {
    const first = get("/up/hold");
    await heldCount(1);
    const second = await get("/up/x");
    expect(second.status).toBe(503);
    expect(((await second.json()) as { detail: string }).detail).toContain('upstream "capped"');
    releaseAll();
    expect((await first).status).toBe(200);
    expect(await gauge("keel_concurrency_in_flight", 'scope="upstream",name="capped"')).toBe(0);
  });
});

describe("latency budget", () => {
  test("the upstream gets the remaining budget in x-keel-budget-ms", async () => {
    const r = await get("/b/fast");
    expect(r.status).toBe(200);
    const left = Number(((await r.json()) as { budget: string }).budget);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(100);
  });

  test("a backend slower than the budget → 504 KEEL_BUDGET_EXHAUSTED, not the route timeout", async () => {
    const r = await get("/b/slow");
    expect(r.status).toBe(504);
    expect(await r.json()).toMatchObject({ code: "KEEL_BUDGET_EXHAUSTED", route: "budgeted", phase: "upstream" });
  });

  test("a budget spent in the queue → 504 and no upstream request is started", async () => {
    const first = get("/nh/hold"); // holds the upstream's only slot, with no budget of its own
    await heldCount(1);
    const sent = backend.requests.length;
    const second = await get("/bq/never");
    expect(second.status).toBe(504);
    expect(await second.json()).toMatchObject({ code: "KEEL_BUDGET_EXHAUSTED", route: "budget-queued" });
    releaseAll();
    await first;
    await Bun.sleep(20);
    expect(backend.requests.slice(sent).some((r) => r.target.includes("never"))).toBe(false);
    await waitFor(async () => (await gauge("keel_concurrency_in_flight", 'scope="upstream",name="narrow"')) === 0, 4000, "slots back");
    expect(await gauge("keel_concurrency_queued", 'scope="upstream",name="narrow"')).toBe(0);
  });

  test("in-flight returns to 0 after all of the above", async () => {
    const text = await (await fetch(gw.adminUrl + "/metrics")).text();
    expect(text).toContain("keel_requests_in_flight 0\n");
  });
});
