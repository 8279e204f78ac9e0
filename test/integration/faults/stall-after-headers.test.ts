// Fault: the backend sends its response head, then stalls (no body byte, no close).
// - Plain route: the route timeout runs from accept until the response *head* (docs/limits.md), so
//   it does not apply any more; Keel has passed the 200 on and streams whatever comes. The body
//   waits for as long as the client does (Bun's idleTimeout does not close a connection with a
//   response in progress). When the client leaves, the backend sees its connection close and nothing
//   stays in flight.
// - A head that never completes is still under the route timeout: 504 KEEL_UPSTREAM_TIMEOUT.
// - JSON-rule route (the body is buffered before anything is sent): the body read stops at the
//   route's deadline, so the client gets a 504 KEEL_UPSTREAM_TIMEOUT problem and the backend's
//   connection is closed.
// A backend slower than the timeout before its head is ../resilience/misbehaving-backends.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { requestComplete, startBackend, startRawBackend, type Backend, type RawBackend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight } from "../resilience/helpers.ts";

const TIMEOUT_MS = 150;
const PARTIAL = '{"a_b":';

let raw: RawBackend;
let good: Backend;
let gw: TestGateway;

beforeAll(() => {
  raw = startRawBackend({
    onData(sofar, s) {
      if (!requestComplete(sofar)) return;
      // Then nothing: the socket stays open until someone closes it.
      if (sofar.includes("/half-head")) s.write("HTTP/1.1 200 OK\r\nContent-Type: appl");
      else s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n${PARTIAL}`);
    },
  });
  good = startBackend(() => Response.json({ still_here: true }));
  gw = startKeel(`
upstreams:
  stall: { endpoints: ["http://${raw.authority}"] }
  good: { endpoints: ["http://${good.authority}"] }
routes:
  - { name: plain, match: { pathPrefix: /plain }, upstream: stall, timeout: ${TIMEOUT_MS}ms }
  - { name: json, match: { pathPrefix: /json }, upstream: stall, timeout: ${TIMEOUT_MS}ms, normalize: { response: { json: { keys: camelCase } } } }
  - { name: good, match: { pathPrefix: /good }, upstream: good }
`);
});

afterAll(async () => {
  await gw?.stop();
  raw?.stop();
  good?.stop();
});

async function servesNext(): Promise<void> {
  const res = await fetch(gw.url + "/good/after");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ still_here: true });
}

describe("a backend that stalls after its response head", () => {
  test("plain route: the 200 and the first bytes pass, the body waits past the route timeout; the client leaving closes the backend's connection", async () => {
    const closedBefore = raw.closedCount;
    const ac = new AbortController();
    const res = await fetch(gw.url + "/plain/stall", { signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = "";
    while (text.length < PARTIAL.length) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toBe(PARTIAL);
    // Well past the route timeout the body is neither finished nor cut: the timeout ended at the head.
    const next = await Promise.race([reader.read().then(() => "moved"), Bun.sleep(TIMEOUT_MS * 3).then(() => "waiting")]);
    expect(next).toBe("waiting");
    ac.abort();
    await reader.cancel().catch(() => {});
    await waitFor(() => raw.closedCount > closedBefore, 4000, "the backend to see its connection close");
    await expectNothingInFlight(gw);
    await servesNext();
  });

  test("plain route: a head that never completes → 504 KEEL_UPSTREAM_TIMEOUT, the backend's connection closed", async () => {
    const closedBefore = raw.closedCount;
    const res = await fetch(gw.url + "/plain/half-head");
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "KEEL_UPSTREAM_TIMEOUT", route: "plain", upstream: "stall", phase: "upstream" });
    await waitFor(() => raw.closedCount > closedBefore, 4000, "the backend to see its connection close");
    await expectNothingInFlight(gw);
    await servesNext();
  });

  test("JSON-rule route: a head that never completes → 504 KEEL_UPSTREAM_TIMEOUT", async () => {
    const res = await fetch(gw.url + "/json/half-head");
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({ code: "KEEL_UPSTREAM_TIMEOUT", route: "json", phase: "upstream" });
    await expectNothingInFlight(gw);
    await servesNext();
  });

  // The exchange leaves the timeout watch at the response head; a JSON-rule route reads the body
  // under its own stop (src/pipeline/read-stop.ts): the route's deadline or the client leaving.
  test("JSON-rule route: head then stall → 504 KEEL_UPSTREAM_TIMEOUT problem, the backend's connection closed", async () => {
    const closedBefore = raw.closedCount;
    const res = await Promise.race([fetch(gw.url + "/json/stall"), Bun.sleep(2000).then(() => null)]);
    expect(res).not.toBeNull();
    expect(res!.status).toBe(504);
    expect(await res!.json()).toMatchObject({ code: "KEEL_UPSTREAM_TIMEOUT", route: "json" });
    await waitFor(() => raw.closedCount > closedBefore, 4000, "the backend to see its connection close");
    await expectNothingInFlight(gw);
    await servesNext();
  });
});
