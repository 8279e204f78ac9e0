// Proxying end to end on real sockets, one table of cases run for both upstream clients: methods,
// bodies, query strings, stripPrefix, header hygiene on both legs, request ids, no decompression,
// no redirect following.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { acceptableRequestId } from "../../src/pipeline/request-id.ts";
import { requestComplete, startBackend, startRawBackend, type Backend, type RawBackend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { startKeel, type TestGateway } from "../support/gateway.ts";
import { parseResponse, rawRequest, responseComplete } from "../support/raw-client.ts";

const GZIPPED = Bun.gzipSync(Buffer.from("hello, compressed world ".repeat(100)));
const BIG = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + 7) & 0xff);

/** The backend: echoes by default; a few paths answer specially. */
function backendHandler(req: Request, rec: { method: string; target: string; body: string }): Response {
  const path = rec.target.split("?")[0]!;
  const status = /^\/status\/(\d{3})$/.exec(path)?.[1];
  if (status !== undefined) {
    const s = Number(status);
    return new Response(s === 204 || s === 304 ? null : `status ${s}`, { status: s, headers: { "x-echo-method": rec.method } });
  }
  if (path === "/gzip") return new Response(GZIPPED, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } });
  if (path === "/redirect") return new Response(null, { status: 302, headers: { location: "http://elsewhere.example/landing" } });
  if (path === "/cookies") {
    const h = new Headers();
    h.append("set-cookie", "a=1; Path=/");
    h.append("set-cookie", "b=2; Path=/");
    return new Response("ok", { headers: h });
  }
  if (path === "/big") return new Response(BIG, { headers: { "content-type": "application/octet-stream" } });
  return Response.json(
    { method: rec.method, target: rec.target, body: rec.body },
    { status: 200, headers: { "x-echo-method": rec.method, "x-custom": "kept" } },
  );
}

/** What the raw backend answers: every hop-by-hop field a backend could send, plus one named in Connection. */
const HOP_RESPONSE =
  "HTTP/1.1 200 OK\r\n" +
  "Content-Length: 2\r\n" +
  "Connection: x-backend-secret, keep-alive\r\n" +
  "X-Backend-Secret: do-not-forward\r\n" +
  "Keep-Alive: timeout=5, max=100\r\n" +
  "Proxy-Authenticate: Basic realm=x\r\n" +
  "Proxy-Connection: keep-alive\r\n" +
  "Trailer: x-checksum\r\n" +
  "Upgrade: h2c\r\n" +
  "X-Kept: yes\r\n" +
  "\r\nok";

interface MethodCase {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly body?: () => string | ReadableStream<Uint8Array>;
  readonly sentBody?: string;
  readonly status: number;
  /** Expected response body; undefined = the echo JSON. */
  readonly responseBody?: string;
  /** Target the backend must see; defaults to path. */
  readonly backendTarget?: string;
}

const METHOD_CASES: readonly MethodCase[] = [
  { name: "GET with a query string", method: "GET", path: "/echo?b=2&a=1&sp=%20x%2Fy&empty=&flag", status: 200 },
  { name: "POST with a JSON body", method: "POST", path: "/items", body: () => '{"a":1,"ü":"✓"}', sentBody: '{"a":1,"ü":"✓"}', status: 200 },
  {
    name: "POST with a streamed body of unknown length (chunked)",
    method: "POST",
    path: "/stream",
    body: () =>
      new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode("part1-"));
          c.enqueue(new TextEncoder().encode("part2"));
          c.close();
        },
      }),
    sentBody: "part1-part2",
    status: 200,
  },
  { name: "PUT with a body", method: "PUT", path: "/items/7", body: () => "replacement", sentBody: "replacement", status: 200 },
  { name: "PATCH with a body", method: "PATCH", path: "/items/7", body: () => "patch", sentBody: "patch", status: 200 },
  { name: "DELETE", method: "DELETE", path: "/items/7", status: 200 },
  { name: "HEAD (headers, no body)", method: "HEAD", path: "/items/7", status: 200, responseBody: "" },
  { name: "backend 201 passes through", method: "POST", path: "/status/201", body: () => "x", sentBody: "x", status: 201, responseBody: "status 201" },
  { name: "backend 204 passes through", method: "DELETE", path: "/status/204", status: 204, responseBody: "" },
  { name: "backend 404 is the backend's, not a Keel problem", method: "GET", path: "/status/404", status: 404, responseBody: "status 404" },
  { name: "backend 503 passes through", method: "GET", path: "/status/503", status: 503, responseBody: "status 503" },
  { name: "stripPrefix removes the route prefix, keeps the query", method: "GET", path: "/strip/inner/path?q=1", status: 200, backendTarget: "/inner/path?q=1" },
  { name: "stripPrefix of the prefix alone forwards /", method: "GET", path: "/strip", status: 200, backendTarget: "/" },
];

for (const client of CLIENTS) {
  describe(`proxying via ${client.name}`, () => {
    let be: Backend;
    let raw: RawBackend;
    let gw: TestGateway;
    let trusting: TestGateway;

    beforeAll(() => {
      be = startBackend(backendHandler);
      raw = startRawBackend({ onData: (sofar, s) => void (requestComplete(sofar) && s.write(HOP_RESPONSE)) });
      const yaml = (extra: string) => `${extra}upstreams:
  main: { endpoints: ["http://${be.authority}"] }
  hop: { endpoints: ["http://${raw.authority}"] }
routes:
  - { name: stripped, match: { pathPrefix: /strip }, upstream: main, stripPrefix: true }
  - { name: hop, match: { pathPrefix: /hop }, upstream: hop }
  - { name: main, match: { pathPrefix: / }, upstream: main }
`;
      gw = startKeel(yaml(""), { client: client.make() });
      trusting = startKeel(yaml("requestId: { trustIncoming: true }\n"), { client: client.make() });
    });

    afterAll(async () => {
      await gw?.stop();
      await trusting?.stop();
      be?.stop();
      raw?.stop();
    });

    const lastSeen = () => be.requests[be.requests.length - 1]!;

    for (const c of METHOD_CASES) {
      test(c.name, async () => {
        const before = be.requests.length;
        const res = await fetch(gw.url + c.path, { method: c.method, body: c.body?.() });
        const text = await res.text();
        expect(res.status).toBe(c.status);
        expect(be.requests.length).toBe(before + 1);
        const seen = lastSeen();
        expect(seen.method).toBe(c.method);
        expect(seen.target).toBe(c.backendTarget ?? c.path);
        expect(seen.body).toBe(c.sentBody ?? "");
        expect(res.headers.get("x-echo-method")).toBe(c.method);
        if (c.responseBody !== undefined) expect(text).toBe(c.responseBody);
        else expect(JSON.parse(text)).toEqual({ method: c.method, target: c.backendTarget ?? c.path, body: c.sentBody ?? "" });
        if (c.responseBody === undefined) expect(res.headers.get("x-custom")).toBe("kept");
        expect(gw.metrics.inFlight).toBe(0);
      });
    }

    test("a 1 MiB response arrives byte for byte", async () => {
      const res = await fetch(gw.url + "/big");
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(BIG);
    });

    test("a 1 MiB request body arrives byte for byte", async () => {
      const body = "0123456789abcdef".repeat(64 * 1024);
      const res = await fetch(gw.url + "/upload", { method: "POST", body });
      expect(res.status).toBe(200);
      expect(lastSeen().body.length).toBe(body.length);
      expect(lastSeen().body === body).toBe(true);
    });

    test("request leg: hop-by-hop fields never reach the backend; forwarding fields are Keel's", async () => {
      const before = be.requests.length;
      const r = await rawRequest(
        gw.port,
        "GET /hygiene?x=1 HTTP/1.1\r\n" +
          "Host: front.example\r\n" +
          "Connection: X-Drop-Me, keep-alive\r\n" +
          "X-Drop-Me: secret\r\n" +
          "Keep-Alive: timeout=5\r\n" +
          "TE: trailers\r\n" +
          "Trailer: x-checksum\r\n" +
          "Upgrade: websocket\r\n" +
          "Proxy-Connection: keep-alive\r\n" +
          "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n" +
          "X-Forwarded-For: 6.6.6.6\r\n" +
          "X-Forwarded-Host: spoofed.example\r\n" +
          "X-Forwarded-Proto: https\r\n" +
          "Forwarded: for=6.6.6.6;host=spoofed.example\r\n" +
          "X-Request-Id: client-chosen-id\r\n" +
          "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
          "tracestate: congo=t61rcWkgMzE\r\n" +
          "Accept: application/json\r\n" +
          "\r\n",
        { until: responseComplete },
      );
      const res = parseResponse(r.text);
      expect(res.status).toBe(200);
      expect(be.requests.length).toBe(before + 1);
      const h = lastSeen().headers;
      for (const gone of ["keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authorization", "x-drop-me"]) {
        expect({ gone, value: h.get(gone) }).toEqual({ gone, value: null });
      }
      // The client's Connection header never travels; Bun's fetch announces its own keep-alive upstream.
      const conn = h.get("connection");
      expect(conn === null || conn.toLowerCase() === "keep-alive").toBe(true);
      expect(h.get("host")).toBe(be.authority);
      expect(h.get("x-forwarded-for")).toBe("127.0.0.1");
      expect(h.get("x-forwarded-proto")).toBe("http");
      expect(h.get("x-forwarded-host")).toBe("front.example");
      expect(h.get("forwarded")).toBe("for=127.0.0.1;proto=http;host=front.example");
      expect(h.get("traceparent")).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
      expect(h.get("tracestate")).toBe("congo=t61rcWkgMzE");
      expect(h.get("accept")).toBe("application/json");
      // trustIncoming is false by default: the client's id is replaced, and the one the backend saw comes back.
      const id = h.get("x-request-id");
      expect(id).not.toBe("client-chosen-id");
      expect(acceptableRequestId(id)).toBe(true);
      expect(res.get("x-request-id")).toBe(id);
    });

    test("response leg: the backend's hop-by-hop fields and the ones its Connection names never reach the client", async () => {
      const r = await rawRequest(gw.port, "GET /hop HTTP/1.1\r\nHost: front.example\r\n\r\n", { until: responseComplete });
      const res = parseResponse(r.text);
      expect(res.status).toBe(200);
      expect(res.body).toBe("ok");
      expect(res.get("x-kept")).toBe("yes");
      for (const gone of ["x-backend-secret", "keep-alive", "proxy-authenticate", "proxy-connection", "trailer", "upgrade"]) {
        expect({ gone, value: res.get(gone) }).toEqual({ gone, value: null });
      }
      // Keel's own listener may speak for its own connection, never with the backend's words.
      for (const v of res.all("connection")) expect(v.toLowerCase()).not.toContain("x-backend-secret");
      expect(acceptableRequestId(res.get("x-request-id"))).toBe(true);
      expect(raw.received.at(-1)).toContain("x-request-id: " + res.get("x-request-id"));
    });

    const isFetch = client.name === "fetch";

    // Known gap, fetch client: Bun's fetch adds "User-Agent: Bun/1.4.5" and "Accept: */*" to a
    // request that has none (seen on the wire), so the backend sees fields the client never sent.
    (isFetch ? test.todo : test)("the backend sees no field the client did not send, besides Keel's own", async () => {
      const before = be.requests.length;
      const r = await rawRequest(gw.port, "GET /minimal HTTP/1.1\r\nHost: front.example\r\nX-Only: this\r\n\r\n", { until: responseComplete });
      expect(parseResponse(r.text).status).toBe(200);
      expect(be.requests.length).toBe(before + 1);
      expect([...lastSeen().headers.keys()].sort()).toEqual(
        ["forwarded", "host", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-only", "x-request-id"].sort(),
      );
    });

    // Known gap, fetch client: Bun.serve labels a body that came from fetch "application/octet-stream"
    // when the response has no Content-Type (Bun behaviour; seen with a bare fetch → Response proxy).
    (isFetch ? test.todo : test)("a response without Content-Type gets none added", async () => {
      const r = await rawRequest(gw.port, "GET /hop HTTP/1.1\r\nHost: front.example\r\n\r\n", { until: responseComplete });
      const res = parseResponse(r.text);
      expect(res.status).toBe(200);
      expect(res.get("content-type")).toBeNull();
    });

    // Known gap, both clients: Bun.serve drops a Content-Length header given with a body that is
    // still streaming and sends it chunked (seen with a bare Bun.serve and a slow stream), so a
    // large response reaches the client without its length. The bytes are intact.
    test.todo("a streamed response keeps the backend's Content-Length", async () => {
      const r = await rawRequest(gw.port, "GET /big HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(parseResponse(r.text).get("content-length")).toBe(String(BIG.byteLength));
    });

    test("x-request-id comes back equal to the one the backend saw, distinct per request", async () => {
      const a = await fetch(gw.url + "/a");
      const b = await fetch(gw.url + "/b");
      await a.text();
      await b.text();
      const seen = be.requests.slice(-2).map((r) => r.headers.get("x-request-id"));
      expect([a.headers.get("x-request-id"), b.headers.get("x-request-id")]).toEqual(seen);
      expect(seen[0]).not.toBe(seen[1]);
    });

    test("requestId.trustIncoming: true keeps an acceptable client id, replaces an unacceptable one", async () => {
      const kept = await fetch(trusting.url + "/id", { headers: { "x-request-id": "client-chosen-id" } });
      await kept.text();
      expect(kept.headers.get("x-request-id")).toBe("client-chosen-id");
      expect(lastSeen().headers.get("x-request-id")).toBe("client-chosen-id");
      const long = "x".repeat(200);
      const replaced = await fetch(trusting.url + "/id", { headers: { "x-request-id": long } });
      await replaced.text();
      expect(replaced.headers.get("x-request-id")).not.toBe(long);
      expect(lastSeen().headers.get("x-request-id")).toBe(replaced.headers.get("x-request-id"));
    });

    test("requestId.trustIncoming: false replaces a client id", async () => {
      const res = await fetch(gw.url + "/id", { headers: { "x-request-id": "client-chosen-id" } });
      await res.text();
      expect(res.headers.get("x-request-id")).not.toBe("client-chosen-id");
      expect(lastSeen().headers.get("x-request-id")).toBe(res.headers.get("x-request-id"));
    });

    test("no decompression: gzip bytes and Content-Encoding arrive as the backend sent them", async () => {
      const res = await fetch(gw.url + "/gzip", { decompress: false } as RequestInit);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-encoding")).toBe("gzip");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(GZIPPED));
    });

    test("no redirect following: a 302 passes through with its Location", async () => {
      const before = be.requests.length;
      const res = await fetch(gw.url + "/redirect", { redirect: "manual" });
      await res.text();
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("http://elsewhere.example/landing");
      expect(be.requests.length).toBe(before + 1);
    });

    test("repeated Set-Cookie fields stay separate", async () => {
      const res = await fetch(gw.url + "/cookies");
      await res.text();
      expect(res.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; Path=/"]);
    });

    test("many sequential and concurrent requests all succeed (keep-alive reuse)", async () => {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`${gw.url}/seq/${i}`);
        expect(((await res.json()) as { target: string }).target).toBe(`/seq/${i}`);
      }
      const all = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${gw.url}/par/${i}`).then((r) => r.json() as Promise<{ target: string }>)));
      expect(all.map((j) => j.target)).toEqual(Array.from({ length: 50 }, (_, i) => `/par/${i}`));
      expect(gw.metrics.inFlight).toBe(0);
    });
  });
}
