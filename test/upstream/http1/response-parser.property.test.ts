// Property tests: any well-formed response, cut into any chunks, parses to the same status, headers
// and body; any prefix of it never completes; arbitrary bytes never throw.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { FEED_DONE, FEED_ERROR, FEED_MORE, ResponseParser } from "../../../src/upstream/http1/response-parser.ts";
import { Collector } from "./helpers.ts";


const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((n) => !["content-length", "transfer-encoding", "connection", "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "proxy-authenticate", "proxy-authorization"].includes(n));
const fieldValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const bodyBytes = fc.uint8Array({ maxLength: 300 });

interface Msg {
  wire: Uint8Array;
  status: number;
  headers: string[];
  body: Uint8Array;
}

const message = fc
  .record({
    status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
    interim: fc.array(fc.constantFrom(100, 102, 103), { maxLength: 2 }),
    fields: fc.array(fc.tuple(token, fieldValue), { maxLength: 6 }),
    upperCase: fc.boolean(),
    body: bodyBytes,
    chunked: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
    ext: fc.boolean(),
    trailers: fc.array(fc.tuple(token, fieldValue), { maxLength: 2 }),
  })
  .map((m): Msg => {
    let head = "";
    for (const code of m.interim) head += `HTTP/1.1 ${code} Info\r\n\r\n`;
    head += `HTTP/1.1 ${m.status} Whatever\r\n`;
    const headers: string[] = [];
    for (const [n, v] of m.fields) {
      head += `${m.upperCase ? n.toUpperCase() : n}: ${v}\r\n`;
      headers.push(n, v);
    }
    const parts: Uint8Array[] = [];
    if (m.chunked) {
      head += "Transfer-Encoding: chunked\r\n\r\n";
      parts.push(Buffer.from(head, "latin1"));
      let off = 0;
      let i = 0;
      while (off < m.body.length) {
        const n = Math.min(m.chunkSizes[i++ % m.chunkSizes.length]!, m.body.length - off);
        parts.push(Buffer.from(`${n.toString(16)}${m.ext ? ";a=b" : ""}\r\n`, "latin1"), m.body.subarray(off, off + n), Buffer.from("\r\n"));
        off += n;
      }
      let end = "0\r\n";
      for (const [n, v] of m.trailers) end += `${n}: ${v}\r\n`;
      parts.push(Buffer.from(`${end}\r\n`, "latin1"));
    } else {
      head += `Content-Length: ${m.body.length}\r\n\r\n`;
      headers.push("content-length", String(m.body.length));
      parts.push(Buffer.from(head, "latin1"), m.body);
    }
    return { wire: new Uint8Array(Buffer.concat(parts)), status: m.status, headers, body: m.body };
  });

function parse(wire: Uint8Array, cuts: number[]): { rc: number; sink: Collector; p: ResponseParser } {
  const sink = new Collector();
  const p = new ResponseParser(sink);
  p.reset(false);
  const bounds = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < wire.length).sort((a, b) => a - b), wire.length];
  let rc: number = FEED_MORE;
  for (let i = 0; i + 1 < bounds.length && rc === FEED_MORE; i++) rc = p.feed(wire.slice(bounds[i], bounds[i + 1]));
  return { rc, sink, p };
}

describe("ResponseParser properties", () => {
  test("well-formed responses parse the same however they are cut", () => {
    fc.assert(
      fc.property(message, fc.array(fc.nat(), { maxLength: 12 }), (m, rawCuts) => {
        const cuts = rawCuts.map((c) => c % (m.wire.length + 1));
        const { rc, sink, p } = parse(m.wire, cuts);
        expect(rc).toBe(FEED_DONE);
        expect(p.consumed).toBeGreaterThan(0);
        expect(sink.heads).toBe(1);
        expect(p.status).toBe(m.status);
        expect(p.headers).toEqual(m.headers);
        expect(Buffer.concat(sink.body).equals(Buffer.from(m.body))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("a strict prefix never completes, and EOF on it is a reset", () => {
    fc.assert(
      fc.property(message, fc.nat(), (m, k) => {
        const cut = k % m.wire.length;
        const { rc, p } = parse(m.wire.subarray(0, cut), []);
        expect(rc).toBe(FEED_MORE);
        const e = p.eof();
        expect(e).toBe(FEED_ERROR);
        expect(["KEEL_UPSTREAM_RESET", "KEEL_UPSTREAM_RESET_MID_RESPONSE"]).toContain(p.errorCode);
      }),
      { numRuns: 300 },
    );
  });

  test("arbitrary bytes never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, head) => {
        const p = new ResponseParser(new Collector());
        p.reset(head);
        const prefixed = new Uint8Array(Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\n"), bytes]));
        for (const input of [bytes, prefixed]) {
          p.reset(head);
          const rc = p.feed(input);
          expect([FEED_MORE, FEED_DONE, FEED_ERROR]).toContain(rc);
          if (rc === FEED_MORE) p.eof();
        }
      }),
      { numRuns: 500 },
    );
  });
});
