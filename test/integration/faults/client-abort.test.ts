// Fault: the client leaves mid-upload or mid-download, on routes with JSON rules (plain routes, both
// upstream clients, are ../cancel.test.ts; concurrency slots after a client leaves are
// ../limits/concurrency-budget.test.ts). Each case: the backend sees the cancel (or is never
// bothered), KEEL_CLIENT_CLOSED is counted, nothing stays in flight, the next request is served.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { startBackend, startRawBackend, type Backend, type RawBackend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight, series } from "../resilience/helpers.ts";

let echo: Backend;
let sink: RawBackend;
let slow: Server<undefined>;
/** Bytes the slow backend has sent, and whether its stream was cancelled. */
const slowState = { sent: 0, cancelled: false };
let gw: TestGateway;

beforeAll(() => {
  echo = startBackend();
  sink = startRawBackend({ onData() {} }); // reads an upload, never answers
  // A JSON array that never ends, 16 KiB every 5 ms: only a cancel stops it.
  const piece = new TextEncoder().encode(JSON.stringify("x".repeat(16 * 1024)) + ",");
  slow = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      let first = true;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          await Bun.sleep(5);
          if (first) c.enqueue(new TextEncoder().encode("["));
          first = false;
          c.enqueue(piece);
          slowState.sent += piece.length;
        },
        cancel() {
          slowState.cancelled = true;
        },
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    },
  });
  gw = startKeel(`
upstreams:
  echo: { endpoints: ["http://${echo.authority}"] }
  sink: { endpoints: ["http://${sink.authority}"] }
  slow: { endpoints: ["http://127.0.0.1:${slow.port}"] }
routes:
  - { name: req-json, match: { pathPrefix: /req-json }, upstream: echo, normalize: { request: { json: { keys: snake_case } } } }
  - { name: res-json-upload, match: { pathPrefix: /res-json-upload }, upstream: sink, normalize: { response: { json: { keys: camelCase } } } }
  - { name: res-json-download, match: { pathPrefix: /res-json-download }, upstream: slow, normalize: { response: { json: { keys: camelCase, maxBytes: 100mb } } } }
  - { name: good, match: { pathPrefix: /good }, upstream: echo, normalize: { request: { json: { keys: snake_case } } } }
`);
});

afterAll(async () => {
  await gw?.stop();
  echo?.stop();
  sink?.stop();
  slow?.stop(true);
});

/** Opens a chunked JSON upload on a raw socket, sends 16 KiB of an unfinished array, returns the socket. */
async function startUpload(path: string): Promise<Awaited<ReturnType<typeof Bun.connect>>> {
  const sock = await Bun.connect({ hostname: "127.0.0.1", port: gw.port, socket: { data() {} } });
  sock.write(`POST ${path} HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
  sock.write(`4000\r\n[${"1,".repeat(0x4000 / 2 - 1)}1\r\n`);
  return sock;
}

const clientClosed = async (route: string) => (await series(gw, `keel_problems_total{route="${route}",code="KEEL_CLIENT_CLOSED"}`)) || 0;

async function servesNext(): Promise<void> {
  const res = await fetch(gw.url + "/good/after", { method: "POST", body: '{"aB":1}', headers: { "content-type": "application/json" } });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { body: string }).body).toBe('{"a_b":1}');
}

describe("a client that leaves", () => {
  test("mid-upload on a route with request JSON rules: the body was being buffered, the backend is never called", async () => {
    const before = await clientClosed("req-json");
    const seen = echo.requests.length;
    const sock = await startUpload("/req-json/upload");
    await waitFor(() => gw.metrics.inFlight === 1, 4000, "the upload in flight");
    sock.terminate();
    await waitFor(async () => (await clientClosed("req-json")) === before + 1, 4000, "KEEL_CLIENT_CLOSED counted");
    expect(echo.requests.length).toBe(seen);
    await expectNothingInFlight(gw);
    await servesNext();
  });

  test("mid-upload on a route with response JSON rules: the upload streams, the backend's connection closes", async () => {
    const before = await clientClosed("res-json-upload");
    const closedBefore = sink.closedCount;
    const conns = sink.connections;
    const sock = await startUpload("/res-json-upload/upload");
    await waitFor(() => sink.connections > conns && (sink.received[conns] ?? "").includes("1,1,1"), 4000, "upload bytes at the backend");
    sock.terminate();
    await waitFor(() => sink.closedCount > closedBefore, 4000, "the backend to see its connection close");
    await waitFor(async () => (await clientClosed("res-json-upload")) === before + 1, 4000, "KEEL_CLIENT_CLOSED counted");
    await expectNothingInFlight(gw);
    await servesNext();
  });

  // While a JSON-rule route buffers the response body, the client leaving stops the read
  // (src/pipeline/read-stop.ts) and the backend's stream is cancelled.
  test("mid-download on a route with response JSON rules: the backend's stream is cancelled", async () => {
    const ac = new AbortController();
    const pending = fetch(gw.url + "/res-json-download/x", { signal: ac.signal }).catch((e: unknown) => e);
    await waitFor(() => slowState.sent > 100_000, 4000, "the body on its way");
    ac.abort();
    await pending;
    await waitFor(() => slowState.cancelled, 2000, "the backend's stream cancelled");
    await expectNothingInFlight(gw);
    await servesNext();
  });
});
