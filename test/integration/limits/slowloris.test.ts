// A slowloris client (one header byte per second) is cut off by the listener's header-read
// timeout while normal clients are served. Bun's HTTP server (uWebSockets) gives a request about
// 10 s to complete its head, counted from the first byte and not reset by each byte; it is not
// configurable (docs/limits.md). This test therefore takes ~12 s.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type Backend } from "../../support/backend.ts";
import { oneRoute, startKeel, type TestGateway } from "../../support/gateway.ts";

let backend: Backend;
let gw: TestGateway;

beforeAll(() => {
  backend = startBackend();
  gw = startKeel("server: { drainTimeout: 200ms, idleTimeout: 60s }\n" + oneRoute([backend.authority]));
});

afterAll(async () => {
  await gw?.stop();
  backend?.stop();
});

test(
  "one byte per second: the connection is closed by the header timeout; other clients are served meanwhile",
  async () => {
    let closed = false;
    let answered = "";
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: gw.port,
      socket: {
        data: (_s, d) => void (answered += Buffer.from(d).toString("latin1")),
        close: () => void (closed = true),
        error: () => void (closed = true),
      },
    });
    const head = "GET /slow HTTP/1.1\r\nHost: a\r\nX-Padding: " + "p".repeat(40) + "\r\n\r\n";
    let sentBytes = 0;
    let served = 0;
    const start = performance.now();
    // Correctness bound, not a timing assertion: the head would take ~60 s at this pace.
    while (!closed && performance.now() - start < 25_000 && sentBytes < head.length - 2) {
      sock.write(head[sentBytes++]!);
      const res = await fetch(gw.url + "/normal");
      if (res.status === 200) served++;
      await res.arrayBuffer();
      await Bun.sleep(1000);
    }
    sock.end();
    expect(closed).toBe(true);
    expect(sentBytes).toBeLessThan(head.length - 2); // cut off before the head was complete
    expect(answered).toBe(""); // no request was ever handed to Keel's handler
    expect(served).toBe(sentBytes); // every normal request in between succeeded
    expect(backend.requests.some((r) => r.target === "/slow")).toBe(false);
  },
  30_000,
);
