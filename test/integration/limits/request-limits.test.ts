// Size and time limits on what a client sends, and load shedding, through the running gateway:
// each answers with its own problem+json code, and the gateway keeps serving afterwards.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { startKeel, waitFor, type TestGateway } from "../../support/gateway.ts";
import { parseResponse, rawRequest } from "../../support/raw-client.ts";

let backend: Backend;
let gw: TestGateway;
let held: (() => void)[] = [];

beforeAll(() => {
  backend = startBackend(async (_req, rec) => {
    if (rec.target.includes("hold")) await new Promise<void>((r) => held.push(r));
    return new Response("ok");
  });
  gw = startKeel(`
server:
  drainTimeout: 200ms
  maxUrlLength: 100b
  maxHeaderCount: 20
  maxHeaderBytes: 2kb
  requestTimeout: 300ms
  maxRequestBody: 1kb
  shedding: { maxInFlight: 3 }
upstreams:
  backend: { endpoints: ["http://${backend.authority}"] }
routes:
  - name: big-uploads
    match: { pathPrefix: /upload }
    upstream: backend
    maxRequestBody: 10kb
  - name: main
    match: { pathPrefix: / }
    upstream: backend
`);
});

afterAll(async () => {
  for (const r of held) r();
  await gw?.stop();
  backend?.stop();
});

async function problem(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as Record<string, unknown>;
}

describe("request limits", () => {
  test("a target over maxUrlLength → 414 KEEL_URI_TOO_LONG", async () => {
    const res = await fetch(`${gw.url}/${"a".repeat(120)}`);
    expect(res.status).toBe(414);
    expect(await problem(res)).toMatchObject({ code: "KEEL_URI_TOO_LONG", phase: "normalize" });
    expect((await fetch(`${gw.url}/${"a".repeat(50)}`)).status).toBe(200);
  });

  test("more header fields than maxHeaderCount → 431 KEEL_REQUEST_HEADERS_TOO_LARGE", async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 30; i++) headers[`x-h${i}`] = "v";
    const res = await fetch(gw.url + "/h", { headers });
    expect(res.status).toBe(431);
    expect(((await problem(res)).detail as string)).toContain("maxHeaderCount is 20");
  });

  test("more header bytes than maxHeaderBytes → 431", async () => {
    const res = await fetch(gw.url + "/h", { headers: { "x-big": "b".repeat(3000) } });
    expect(res.status).toBe(431);
    expect(((await problem(res)).detail as string)).toContain("maxHeaderBytes is 2048");
  });

  test("Content-Length over the route's maxRequestBody → 413 problem+json; a route may allow more", async () => {
    const res = await fetch(gw.url + "/post", { method: "POST", body: "x".repeat(2000) });
    expect(res.status).toBe(413);
    expect(await problem(res)).toMatchObject({ code: "KEEL_REQUEST_BODY_TOO_LARGE", route: "main", phase: "admit" });
    expect((await fetch(gw.url + "/upload", { method: "POST", body: "x".repeat(5000) })).status).toBe(200);
    expect((await fetch(gw.url + "/upload", { method: "POST", body: "x".repeat(11000) })).status).toBe(413);
  });

  test("an upload slower than requestTimeout → 408 KEEL_REQUEST_TIMEOUT", async () => {
    // 10 of the 100 declared bytes, then nothing: the upload stalls.
    const { text: answer } = await rawRequest(gw.port, "POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789", { until: (t) => t.includes("\r\n\r\n") });
    const res = parseResponse(answer);
    expect(res.status).toBe(408);
    expect(res.body).toContain("KEEL_REQUEST_TIMEOUT");
  });

  test("past shedding.maxInFlight (3) in flight → fast 503 KEEL_OVERLOADED with Retry-After; the admin port still answers", async () => {
    const holders = [0, 1, 2].map((i) => fetch(`${gw.url}/hold/${i}`));
    await waitFor(() => held.length === 3, 4000, "three held");
    const sent = backend.requests.length;
    const res = await fetch(gw.url + "/x");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(await problem(res)).toMatchObject({ code: "KEEL_OVERLOADED", route: null });
    expect(backend.requests.length).toBe(sent);
    expect((await fetch(gw.adminUrl + "/healthz")).status).toBe(200);
    const metrics = await (await fetch(gw.adminUrl + "/metrics")).text();
    expect(metrics).toMatch(/keel_problems_total\{route="\(none\)",code="KEEL_OVERLOADED"\} 1/);
    for (const r of held) r();
    held = [];
    for (const h of holders) expect((await h).status).toBe(200);
    expect((await fetch(gw.url + "/x")).status).toBe(200);
  });

  test("after every case the gateway serves and nothing is in flight", async () => {
    expect((await rawRequest(gw.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")).text).toStartWith("HTTP/1.1 200");
    const metrics = await (await fetch(gw.adminUrl + "/metrics")).text();
    expect(metrics).toContain("keel_requests_in_flight 0\n");
  });
});
