// How backends really behave, end to end for both clients: chunked and close-delimited bodies,
// Connection: close, idle keep-alive sockets closed by the backend, 1xx before the final answer,
// extra or missing bytes, garbage. Each case ends with a normal request on the same gateway.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { requestComplete, startBackend, startRawBackend, type Backend, type RawBackend, type RawConn } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { startKeel, type TestGateway } from "../support/gateway.ts";

/** A raw backend answering each complete request with `answer` (then maybe more). */
function answering(answer: (s: Socket<RawConn>, requestNo: number) => void): RawBackend {
  let served = 0;
  const perConn = new Map<number, number>();
  return startRawBackend({
    onData(sofar, s) {
      // Count complete requests on this connection; answer each once.
      const heads = sofar.split("\r\n\r\n").length - 1;
      const done = perConn.get(s.data.index) ?? 0;
      if (heads > done && requestComplete(sofar)) {
        perConn.set(s.data.index, heads);
        answer(s, served++);
      }
    },
  });
}

interface Case {
  readonly name: string;
  readonly backend: () => RawBackend;
  readonly status: number;
  readonly body?: string;
  /** Code in the problem body, for failures. */
  readonly code?: string;
  /** Send this many requests in a row (each must get the same answer). */
  readonly times?: number;
  /** Request method (default GET). */
  readonly method?: string;
  /** Instead of status/body: any answer this accepts. */
  readonly accept?: (status: number, body: string) => boolean;
}

const CASES: readonly Case[] = [
  {
    name: "chunked response body",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")),
    status: 200,
    body: "hello world",
    times: 3,
  },
  {
    name: "chunked with extensions and trailers",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nx-trailer: t\r\n\r\n")),
    status: 200,
    body: "hello",
    times: 2,
  },
  {
    name: "Connection: close after each response",
    backend: () =>
      answering((s) => {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nclose");
        s.end();
      }),
    status: 200,
    body: "close",
    times: 3,
  },
  {
    name: "close-delimited body (no length, then close)",
    backend: () =>
      answering((s) => {
        s.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
        setTimeout(() => s.end(), 10);
      }),
    status: 200,
    body: "until the end",
    times: 2,
  },
  {
    name: "keep-alive answer, then the backend closes the idle socket",
    backend: () =>
      answering((s) => {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nidle");
        setTimeout(() => s.end(), 30);
      }),
    status: 200,
    body: "idle",
    times: 3,
  },
  {
    // The keep-alive race: the backend drops an idle socket just as Keel reuses it. A request without
    // a body never reached the backend's application, so one retry on a fresh connection is safe.
    name: "a reused connection closed before any answer: GET is retried on a fresh one",
    backend: () => {
      const perConn = new Map<number, number>();
      return startRawBackend({
        onData(sofar, s) {
          const heads = sofar.split("\r\n\r\n").length - 1;
          if (heads <= (perConn.get(s.data.index) ?? 0)) return;
          perConn.set(s.data.index, heads);
          if (heads === 1) s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
          else s.terminate(); // second request on this connection: gone without a word
        },
      });
    },
    status: 200,
    body: "fresh",
    times: 4,
  },
  {
    name: "100 Continue and 103 Early Hints before the final answer",
    backend: () =>
      answering((s) => s.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")),
    status: 200,
    body: "final",
    times: 2,
  },
  {
    name: "HEAD: a Content-Length with no body follows",
    method: "HEAD",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/plain\r\n\r\n")),
    status: 200,
    body: "",
    times: 3,
  },
  {
    name: "HEAD: Transfer-Encoding chunked with no body follows",
    method: "HEAD",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")),
    status: 200,
    body: "",
    times: 3,
  },
  {
    name: "204 with no body (and a stray Content-Length: 0)",
    backend: () => answering((s) => s.write("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")),
    status: 204,
    body: "",
    times: 3,
  },
  {
    name: "304 Not Modified: a Content-Length describing the cached body, no body follows",
    backend: () => answering((s) => s.write("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 99\r\n\r\n")),
    status: 304,
    body: "",
    times: 3,
  },
  {
    name: "a second, unrequested response after the first",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirstHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")),
    status: 200,
    body: "first",
    times: 3,
  },
  {
    name: "more bytes than Content-Length",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nexactEXTRA")),
    status: 200,
    body: "exact",
    times: 3,
  },
  {
    name: "a response that is not HTTP",
    backend: () => answering((s) => s.write("SSH-2.0-OpenSSH_9.2\r\n\r\n")),
    status: 502,
    times: 2,
  },
  {
    name: "Content-Length and Transfer-Encoding together (smuggling shape)",
    backend: () => answering((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")),
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length (the message "ought to be handled as
    // an error", which is also fine). Never the Content-Length framing ("hel").
    status: 200,
    accept: (status, body) => (status === 200 && body === "hello") || status === 502,
    times: 2,
  },
];

for (const client of CLIENTS) {
  describe(`backend behaviour via ${client.name}`, () => {
    let good: Backend;
    const backends: RawBackend[] = [];
    let gw: TestGateway;

    beforeAll(() => {
      good = startBackend();
      for (const c of CASES) backends.push(c.backend());
      const ups = backends.map((b, i) => `  b${i}: { endpoints: ["http://${b.authority}"] }`).join("\n");
      const routes = backends.map((_, i) => `  - { name: r${i}, match: { pathPrefix: /c${i} }, upstream: b${i}, timeout: 2s }`).join("\n");
      gw = startKeel(`upstreams:\n  good: { endpoints: ["http://${good.authority}"] }\n${ups}\nroutes:\n  - { name: good, match: { pathPrefix: /good }, upstream: good }\n${routes}\n`, {
        client: client.make(),
      });
    });

    afterAll(async () => {
      await gw?.stop();
      good?.stop();
      for (const b of backends) b.stop();
    });

    CASES.forEach((c, i) => {
      test(c.name, async () => {
        for (let n = 0; n < (c.times ?? 1); n++) {
          const res = await fetch(`${gw.url}/c${i}/req${n}`, { method: c.method ?? "GET" });
          const text = await res.text();
          if (c.accept !== undefined) {
            expect({ n, status: res.status, text, accepted: c.accept(res.status, text) }).toMatchObject({ accepted: true });
            continue;
          }
          expect({ n, status: res.status }).toEqual({ n, status: c.status });
          if (c.body !== undefined) expect({ n, body: text }).toEqual({ n, body: c.body });
          if (c.status >= 500) expect(res.headers.get("content-type")).toBe("application/problem+json");
        }
        const after = await fetch(`${gw.url}/good/after`);
        expect(after.status).toBe(200);
        await after.text();
        expect(gw.metrics.inFlight).toBe(0);
      });
    });
  });
}
