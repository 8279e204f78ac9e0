// Request smuggling and malformed framing, field names and values, over-long request lines and
// heads: each is refused by the layer that must (Bun's parser closes the connection; Keel answers a
// problem), or — where HTTP calls it valid — forwarded once, re-framed by Keel, within its route.
// The evil backend receives nothing and a normal request is served after every case.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLIENTS } from "../../support/clients.ts";
import { rawRequest, responseComplete } from "../../support/raw-client.ts";
import { waitFor } from "../../support/gateway.ts";
import { expectServing, inFlight, runRow, startHostileStage, type HostileStage, type Row } from "./hostile-gateway.ts";

const HOST = "Host: front.example\r\n";
const post = (fields: string, body: string) => `POST /public/a HTTP/1.1\r\n${HOST}${fields}\r\n${body}`;
const get = (fields: string) => `GET /public/a HTTP/1.1\r\n${HOST}${fields}\r\n`;
const bun400 = { by: "bun", status: 400 } as const;
/** Forwarded once with this body (Keel sets its own framing upstream). */
const forwardedBody = (body: string) => ({ by: "backend", seen: (r: { body: string }) => expect(r.body).toBe(body) }) as const;

const SMUGGLING: Row[] = [
  { name: "Content-Length and Transfer-Encoding both", bytes: () => post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: "Transfer-Encoding before Content-Length", bytes: () => post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: "TE: chunked folded onto the next line (obs-fold)", bytes: () => post("Transfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: 'TE: "chunked, identity"', bytes: () => post("Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: 'TE: "identity, chunked"', bytes: () => post("Transfer-Encoding: identity, chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: 'TE: "gzip, chunked"', bytes: () => post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: 'TE: "xchunked"', bytes: () => post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: "TE: chunked given twice", bytes: () => post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: 'TE with a space before the colon ("Transfer-Encoding :")', bytes: () => post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), expect: bun400 },
  { name: "TE: chunked on HTTP/1.0", bytes: () => `POST /public/a HTTP/1.0\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, expect: bun400 },
  { name: 'TE: " chunked" (extra whitespace is valid OWS)', bytes: () => post("Transfer-Encoding:   chunked\r\n", "3\r\nabc\r\n0\r\n\r\n"), expect: forwardedBody("abc") },
  { name: "TE: CHUNKED (coding names are case-insensitive)", bytes: () => post("Transfer-Encoding: CHUNKED\r\n", "3\r\nabc\r\n0\r\n\r\n"), expect: forwardedBody("abc") },
  { name: "two Content-Length values that differ", bytes: () => post("Content-Length: 3\r\nContent-Length: 5\r\n", "abcde"), expect: bun400 },
  { name: 'two Content-Length values "3" and "03"', bytes: () => post("Content-Length: 3\r\nContent-Length: 03\r\n", "abc"), expect: bun400 },
  { name: 'Content-Length "3, 3" on one line', bytes: () => post("Content-Length: 3, 3\r\n", "abc"), expect: bun400 },
  // RFC 9110 §8.6: identical repeats may be collapsed to one value (Keel did 500 here before).
  { name: "two identical Content-Length lines", bytes: () => post("Content-Length: 3\r\nContent-Length: 3\r\n", "abc"), expect: forwardedBody("abc") },
  { name: 'Content-Length "+3"', bytes: () => post("Content-Length: +3\r\n", "abc"), expect: bun400 },
  { name: 'Content-Length "-3"', bytes: () => post("Content-Length: -3\r\n", "abc"), expect: bun400 },
  { name: 'Content-Length "3 4"', bytes: () => post("Content-Length: 3 4\r\n", "abc"), expect: bun400 },
  { name: 'Content-Length "0x3"', bytes: () => post("Content-Length: 0x3\r\n", "abc"), expect: bun400 },
  { name: "Content-Length past 2^64", bytes: () => post("Content-Length: 99999999999999999999999\r\n", "abc"), expect: bun400 },
  { name: 'Content-Length "  3  " (OWS is trimmed)', bytes: () => post("Content-Length:   3  \r\n", "abc"), expect: forwardedBody("abc") },
  { name: "chunk size past 2^64", bytes: () => post("Transfer-Encoding: chunked\r\n", "FFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n"), expect: bun400 },
  { name: "chunk size 2^64 - 1", bytes: () => post("Transfer-Encoding: chunked\r\n", "FFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"), expect: bun400 },
  { name: 'chunk size "-1"', bytes: () => post("Transfer-Encoding: chunked\r\n", "-1\r\nabc\r\n0\r\n\r\n"), expect: bun400 },
  { name: 'chunk size "0x3"', bytes: () => post("Transfer-Encoding: chunked\r\n", "0x3\r\nabc\r\n0\r\n\r\n"), expect: bun400 },
  { name: "chunk data longer than its size", bytes: () => post("Transfer-Encoding: chunked\r\n", "3\r\nabcdef\r\n0\r\n\r\n"), expect: bun400 },
  { name: "chunk lines ending in bare LF", bytes: () => post("Transfer-Encoding: chunked\r\n", "3\nabc\n0\n\n"), expect: bun400 },
  { name: "chunk extension (valid)", bytes: () => post("Transfer-Encoding: chunked\r\n", "3;x=y\r\nabc\r\n0\r\n\r\n"), expect: forwardedBody("abc") },
  { name: "request line and fields ending in bare LF", bytes: () => `GET /public/a HTTP/1.1\n${HOST.replace("\r\n", "\n")}\n`, expect: { by: "bun", status: 505 } },
  { name: "one field line ending in bare LF", bytes: () => `GET /public/a HTTP/1.1\r\nHost: front.example\nX-A: b\r\n\r\n`, expect: bun400 },
  { name: "a bare CR inside the head", bytes: () => `GET /public/a HTTP/1.1\r\nHost: front.example\rX-A: b\r\n\r\n`, expect: bun400 },
];

const FIELDS: Row[] = [
  { name: "space before the colon", bytes: () => get("X-Foo : bar\r\n"), expect: bun400 },
  { name: "name with a non-token character ( )", bytes: () => get("X(Foo): bar\r\n"), expect: bun400 },
  { name: "name with @", bytes: () => get("X@Foo: bar\r\n"), expect: bun400 },
  { name: "empty name", bytes: () => get(": bar\r\n"), expect: bun400 },
  { name: "NUL in a name", bytes: () => get("X-F\0oo: bar\r\n"), expect: bun400 },
  { name: "DEL in a name", bytes: () => get("X-F\x7foo: bar\r\n"), expect: bun400 },
  { name: "non-ASCII byte in a name", bytes: () => get("X-F\xe9oo: bar\r\n"), expect: bun400 },
  { name: "line without a colon", bytes: () => get("X-Foo bar\r\n"), expect: bun400 },
  { name: "first field line starting with whitespace", bytes: () => `GET /public/a HTTP/1.1\r\n ${HOST}\r\n`, expect: bun400 },
  { name: "CR inside a value", bytes: () => get("X-Foo: a\rb\r\n"), expect: bun400 },
  { name: "LF inside a value", bytes: () => get("X-Foo: a\nb\r\n"), expect: bun400 },
  { name: "NUL inside a value", bytes: () => get("X-Foo: a\0b\r\n"), expect: bun400 },
  { name: "other control (0x01) inside a value", bytes: () => get("X-Foo: a\x01b\r\n"), expect: bun400 },
  { name: "value continued on the next line (obs-fold)", bytes: () => get("X-Foo: a\r\n b\r\n"), expect: bun400 },
  // RFC 9110 §5.5 lets a recipient keep CTLs other than CR, LF, NUL "within a safe context": a DEL
  // cannot end a line or a message, and Keel's own upstream framing does not depend on it.
  {
    name: "DEL inside a value (valid enough: forwarded as is)",
    bytes: () => get("X-Foo: a\x7fb\r\n"),
    expect: { by: "backend", seen: (r) => expect(r.headers.get("x-foo")).toBe("a\x7fb") },
  },
];

const SIZES: Row[] = [
  { name: "request target over server.maxUrlLength (8kb)", bytes: () => `GET /public/${"a".repeat(9000)} HTTP/1.1\r\n${HOST}\r\n`, expect: { by: "keel", status: 414, code: "KEEL_URI_TOO_LONG" } },
  { name: "request line over Bun's 16 KiB head", bytes: () => `GET /public/${"a".repeat(20000)} HTTP/1.1\r\n${HOST}\r\n`, expect: { by: "bun", status: 431 } },
  { name: "one field over server.maxHeaderBytes (8kb)", bytes: () => get(`X-Big: ${"a".repeat(10000)}\r\n`), expect: { by: "keel", status: 431, code: "KEEL_REQUEST_HEADERS_TOO_LARGE" } },
  { name: "one field over Bun's 16 KiB head", bytes: () => get(`X-Big: ${"a".repeat(20000)}\r\n`), expect: { by: "bun", status: 431 } },
  { name: "more fields than server.maxHeaderCount (100)", bytes: () => get(fieldLines(120)), expect: { by: "keel", status: 431, code: "KEEL_REQUEST_HEADERS_TOO_LARGE" } },
  { name: "more fields than Bun takes (~190)", bytes: () => get(fieldLines(300)), expect: { by: "bun", status: 431 } },
];

function fieldLines(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `X-H${i}: v\r\n`;
  return s;
}

for (const client of CLIENTS) {
  describe(`framing and fields via ${client.name}`, () => {
    let stage: HostileStage;
    beforeAll(() => {
      stage = startHostileStage(client.make());
    });
    afterAll(() => stage?.stop());

    for (const [group, rows] of [["smuggling", SMUGGLING], ["field names and values", FIELDS], ["sizes", SIZES]] as const) {
      describe(group, () => {
        for (const row of rows) {
          test(row.name, async () => {
            await runRow(stage, row);
            await expectServing(stage);
          });
        }
      });
    }

    // A body on a GET cannot hide a second request: Bun consumes it by its framing and Keel drops
    // it (GET content has no meaning: RFC 9110 §9.3.1); the backend sees one GET, no "smuggled".
    const hidden = `GET /public/smuggled HTTP/1.1\r\nHost: ${"front.example"}\r\n\r\n`;
    const bodies: [string, string][] = [
      ["Content-Length", `Content-Length: ${hidden.length}\r\n\r\n${hidden}`],
      ["chunked", `Transfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`],
    ];
    for (const [framing, rest] of bodies) {
      test(`GET with a ${framing} body that looks like a request`, async () => {
        const { good, evil, gw } = stage;
        const before = good.requests.length;
        const raw = await rawRequest(gw.port, `GET /public/a HTTP/1.1\r\n${HOST}${rest}`, { until: responseComplete });
        expect(raw.text.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(["HTTP/1.1 200"]);
        expect(good.requests.slice(before).map((r) => [r.method, r.target, r.body])).toEqual([["GET", "/public/a", ""]]);
        expect(evil.requests.length).toBe(0);
        await expectServing(stage);
      });
    }

    // Bun 1.4.5's listener (uWS) closes a connection on which a request arrives while an async
    // answer is pending ("denying async pipelining"; oven-sh/bun PR #38128): no answer at all, and
    // the first request may already have gone upstream. Clients retry (RFC 9112 §9.3.2). Either
    // way nothing reaches a place no route names; if Bun starts answering both, in order, fine.
    test("two pipelined requests: Bun closes without an answer (or answers both in order)", async () => {
      const { good, evil, gw } = stage;
      const before = good.requests.length;
      const two = `GET /public/first HTTP/1.1\r\n${HOST}\r\nGET /public/second HTTP/1.1\r\nHost: ${stage.evilAuthority}\r\nConnection: close\r\n\r\n`;
      const raw = await rawRequest(gw.port, two);
      expect(raw.closedByPeer).toBe(true);
      // The first request may still be on its way upstream: let it finish before counting.
      await waitFor(async () => (await inFlight(stage)) === 0, 4000, "no request in flight");
      const statuses = raw.text.match(/^HTTP\/1\.1 \d{3}/gm) ?? [];
      const seen = good.requests.slice(before).map((r) => r.target);
      if (statuses.length === 0) expect(["/public/first"]).toEqual(expect.arrayContaining(seen));
      else {
        expect(statuses).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
        expect(seen).toEqual(["/public/first", "/public/second"]);
      }
      expect(evil.requests.length).toBe(0);
      await expectServing(stage);
    });
  });
}
