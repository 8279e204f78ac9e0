// Load shedding on event-loop lag: a stalled event loop trips it, new requests get a fast 503
// KEEL_OVERLOADED (before any upstream work), /metrics shows the state, and it clears by itself
// once the loop keeps time again. The gateway runs in this process, so the test stalls the loop.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { oneRoute, startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";

let backend: Backend;
let gw: TestGateway;

beforeAll(() => {
  backend = startBackend();
  gw = startKeel("server: { drainTimeout: 200ms, shedding: { maxEventLoopLag: 150ms } }\n" + oneRoute([backend.authority]));
});

afterAll(async () => {
  await gw?.stop();
  backend?.stop();
});

const shedding = async () => /\nkeel_shedding 1\n/.test(await (await fetch(gw.adminUrl + "/metrics")).text());

test("a lagging event loop sheds new requests until it keeps time again", async () => {
  expect((await fetch(gw.url + "/before")).status).toBe(200);
  const stallUntil = performance.now() + 400;
  while (performance.now() < stallUntil) {} // the loop is stuck: the detector's tick comes ~400 ms late
  await waitFor(shedding, 2000, "keel_shedding 1");
  const sent = backend.requests.length;
  const res = await fetch(gw.url + "/during");
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("1");
  expect(await res.json()).toMatchObject({ code: "KEEL_OVERLOADED" });
  expect(backend.requests.length).toBe(sent);
  await waitFor(async () => !(await shedding()), 3000, "shedding to clear");
  expect((await fetch(gw.url + "/after")).status).toBe(200);
});
