// server.maxRequestBody holds whatever the framing: a declared Content-Length over the limit and a
// chunked body that grows past it are both refused with 413, and the backend never receives a
// complete over-limit request (a streamed one is cut off and its upstream connection closed).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { requestComplete, startRawBackend, type RawBackend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { oneRoute, startKeel, waitFor, type TestGateway } from "../support/gateway.ts";
import { rawRequest } from "../support/raw-client.ts";

const KB = "a".repeat(1000);

for (const client of CLIENTS) {
  describe(`maxRequestBody via ${client.name}`, () => {
    let raw: RawBackend;
    let gw: TestGateway;
    /** The backend saw the /chunked request through to its last chunk. */
    const chunkedCompleted = () => raw.received.some((r) => r.includes("POST /chunked") && r.slice(r.indexOf("POST /chunked")).includes("\r\n0\r\n\r\n"));

    beforeAll(() => {
      raw = startRawBackend({
        onData(sofar, s) {
          if (requestComplete(sofar) && (sofar.endsWith("0\r\n\r\n") || !/transfer-encoding/i.test(sofar))) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        },
      });
      gw = startKeel("server: { drainTimeout: 200ms, maxRequestBody: 4kb }\n" + oneRoute([raw.authority]), { client: client.make() });
    });

    afterAll(async () => {
      await gw?.stop();
      raw?.stop();
    });

    test("under the limit passes", async () => {
      const res = await fetch(gw.url + "/small", { method: "POST", body: KB });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("ok");
    });

    test("a declared Content-Length over the limit → 413 before anything is forwarded", async () => {
      const before = raw.connections;
      const r = await rawRequest(gw.port, `POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n${"a".repeat(5000)}`);
      expect(r.text.startsWith("HTTP/1.1 413")).toBe(true);
      expect(r.text).toContain('"code":"KEEL_REQUEST_BODY_TOO_LARGE"');
      expect(raw.connections).toBe(before);
    });

    test("a chunked body growing past the limit → 413; the backend never gets the whole request", async () => {
      const closedBefore = raw.closedCount;
      let answer = "";
      const sock = await Bun.connect({
        hostname: "127.0.0.1",
        port: gw.port,
        socket: { data: (_s, d) => void (answer += Buffer.from(d).toString("latin1")) },
      });
      try {
        sock.write("POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        // One chunk at a time, so Keel has started forwarding before the limit is crossed.
        for (let i = 0; i < 6 && answer === ""; i++) {
          sock.write(`3e8\r\n${KB}\r\n`);
          await Bun.sleep(20);
        }
        sock.write("0\r\n\r\n");
        await waitFor(() => answer !== "", 4000, "an answer");
      } finally {
        sock.end();
      }
      expect(answer.startsWith("HTTP/1.1 413")).toBe(true);
      expect(answer).toContain("application/problem+json");
      expect(answer).toContain('"code":"KEEL_REQUEST_BODY_TOO_LARGE"');
      expect(chunkedCompleted()).toBe(false);
      // Whatever was forwarded, that upstream exchange was abandoned: the backend's connection closes.
      if (raw.received.some((r) => r.includes("POST /chunked"))) {
        await waitFor(() => raw.closedCount > closedBefore, 4000, "the upstream connection to close");
      }
    });
  });
}
