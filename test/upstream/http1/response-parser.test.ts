import { describe, expect, test } from "bun:test";
import {
  FEED_DONE,
  FEED_ERROR,
  FEED_MORE,
  FRAMING_CHUNKED,
  FRAMING_CLOSE,
  FRAMING_LENGTH,
  FRAMING_NONE,
  MAX_HEAD_BYTES,
  ResponseParser,
  parseContentLength,
} from "../../../src/upstream/http1/response-parser.ts";
import { Collector } from "./helpers.ts";

interface Outcome {
  result: "done" | "more" | "error";
  code?: string;
  status?: number;
  headers?: string[];
  contentLength?: number;
  framing?: number;
  keepAlive?: boolean;
  body: string;
  /** Bytes after the end of the message in the input. */
  extra: number;
  heads: number;
}


const enc = new TextEncoder();
const latin1 = (u: Uint8Array) => Buffer.from(u).toString("latin1");

/** Feed `input` cut at the given positions; optionally signal EOF at the end. */
function run(input: string, cuts: number[], opts: { head?: boolean; eof?: boolean } = {}): Outcome {
  const bytes = Buffer.from(input, "latin1");
  const sink = new Collector();
  const p = new ResponseParser(sink);
  p.reset(opts.head ?? false);
  const bounds = [0, ...cuts, bytes.length];
  let result: Outcome["result"] = "more";
  let extra = 0;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const chunk = new Uint8Array(bytes.subarray(bounds[i], bounds[i + 1]));
    const r = p.feed(chunk);
    if (r === FEED_ERROR) {
      result = "error";
      break;
    }
    if (r === FEED_DONE) {
      result = "done";
      extra = chunk.length - p.consumed + (bytes.length - bounds[i + 1]!);
      break;
    }
    expect(r).toBe(FEED_MORE);
  }
  if (result === "more" && opts.eof) {
    const r = p.eof();
    result = r === FEED_DONE ? "done" : r === FEED_ERROR ? "error" : "more";
  }
  const out: Outcome = { result, body: latin1(Buffer.concat(sink.body)), extra, heads: sink.heads };
  if (result === "error") out.code = p.errorCode;
  if (sink.heads > 0) {
    out.status = p.status;
    out.headers = p.headers;
    out.contentLength = p.contentLength;
    out.framing = p.framing;
    out.keepAlive = p.keepAlive;
  }
  return out;
}

/** The same outcome must come out whatever the chunking: whole, every single cut, and byte by byte. */
function everySplit(input: string, opts: { head?: boolean; eof?: boolean } = {}): Outcome {
  const whole = run(input, [], opts);
  for (let i = 1; i < input.length; i++) {
    const o = run(input, [i], opts);
    expect({ cut: i, ...o }).toEqual({ cut: i, ...whole });
  }
  const all = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
  expect(run(input, all, opts)).toEqual(whole);
  return whole;
}

interface Case {
  name: string;
  input: string;
  head?: boolean;
  eof?: boolean;
  expect: Partial<Outcome>;
}

const CASES: Case[] = [
  {
    name: "content-length body",
    input: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    expect: { result: "done", status: 200, body: "hello", framing: FRAMING_LENGTH, keepAlive: true, contentLength: 5, headers: ["content-type", "text/plain", "content-length", "5"] },
  },
  {
    name: "chunked with extensions and trailers",
    input:
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\nX-A: 1\r\n\r\n" +
      "5;name=value;flag\r\nhello\r\n6 ; q=\"a b\"\r\n world\r\n000\r\nX-Sum: abc\r\nX-More: 2\r\n\r\n",
    expect: { result: "done", status: 200, body: "hello world", framing: FRAMING_CHUNKED, keepAlive: true, contentLength: -1, headers: ["x-a", "1"], extra: 0 },
  },
  {
    name: "chunked, hex sizes, no trailers",
    input: "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\na\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n",
    expect: { result: "done", body: "0123456789abcdefghijk", framing: FRAMING_CHUNKED },
  },
  {
    name: "HEAD response ignores content-length",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
    head: true,
    expect: { result: "done", body: "", framing: FRAMING_NONE, contentLength: 1000, keepAlive: true, extra: 0, headers: ["content-length", "1000"] },
  },
  {
    name: "HEAD response with transfer-encoding has no body either",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
    head: true,
    expect: { result: "done", body: "", framing: FRAMING_NONE },
  },
  {
    name: "204 has no body",
    input: "HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n",
    expect: { result: "done", status: 204, body: "", framing: FRAMING_NONE, keepAlive: true, headers: ["x-a", "b"] },
  },
  {
    name: "304 has no body despite content-length",
    input: "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 42\r\n\r\n",
    expect: { result: "done", status: 304, body: "", framing: FRAMING_NONE, contentLength: 42 },
  },
  {
    name: "100-continue then 200",
    input: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    expect: { result: "done", status: 200, body: "ok", heads: 1, headers: ["content-length", "2"] },
  },
  {
    name: "103 early hints then 201",
    input: "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </b.js>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    expect: { result: "done", status: 201, body: "", heads: 1, framing: FRAMING_NONE, headers: ["content-length", "0"] },
  },
  {
    name: "close-delimited body ends at EOF",
    input: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
    eof: true,
    expect: { result: "done", body: "until the end", framing: FRAMING_CLOSE, keepAlive: false },
  },
  {
    name: "close-delimited without EOF needs more",
    input: "HTTP/1.1 200 OK\r\n\r\nabc",
    expect: { result: "more", body: "abc", framing: FRAMING_CLOSE },
  },
  {
    name: "invalid content-length",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" },
  },
  {
    name: "negative content-length",
    input: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" },
  },
  {
    name: "conflicting duplicate content-length",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" },
  },
  {
    name: "identical duplicate content-length is one",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc",
    expect: { result: "done", body: "abc", contentLength: 3, headers: ["content-length", "3"] },
  },
  {
    name: "transfer-encoding and content-length: chunked wins, no reuse",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    expect: { result: "done", body: "abc", framing: FRAMING_CHUNKED, keepAlive: false, contentLength: -1, headers: [] },
  },
  {
    name: "transfer-encoding other than chunked is refused",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" },
  },
  {
    name: "hop-by-hop fields and the ones Connection names are removed",
    input:
      "HTTP/1.1 200 OK\r\nConnection: X-Private, close\r\nKeep-Alive: timeout=5\r\nX-Private: secret\r\nUpgrade: h2c\r\n" +
      "Proxy-Connection: keep-alive\r\nProxy-Authenticate: Basic\r\nTE: trailers\r\nTrailer: x\r\nX-Kept:  v  \r\nContent-Length: 0\r\n\r\n",
    expect: { result: "done", keepAlive: false, headers: ["x-kept", "v", "content-length", "0"] },
  },
  {
    name: "HTTP/1.0 without keep-alive is not reusable",
    input: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
    expect: { result: "done", body: "x", keepAlive: false },
  },
  {
    name: "HTTP/1.0 with keep-alive is reusable",
    input: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
    expect: { result: "done", body: "x", keepAlive: true },
  },
  {
    name: "status line without a reason phrase",
    input: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n",
    expect: { result: "done", status: 404 },
  },
  {
    name: "a second response after the first is extra",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
    expect: { result: "done", body: "A", extra: 39 },
  },
  { name: "garbage", input: "SSH-2.0-OpenSSH_9.2\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "HTTP/2 preface-ish", input: "HTTP/2 200\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "status out of range", input: "HTTP/1.1 600 Nope\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "two-digit status", input: "HTTP/1.1 20 OK\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "101 was never asked for", input: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "bare LF line ending", input: "HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "bare CR in a value", input: "HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "NUL in a value", input: "HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "space before the colon", input: "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "obs-fold", input: "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  { name: "line without colon", input: "HTTP/1.1 200 OK\r\nnocolon\r\n\r\n", expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE" } },
  {
    name: "bad chunk size",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE", body: "" },
  },
  {
    name: "chunk data longer than its size",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
    expect: { result: "error", code: "KEEL_UPSTREAM_BAD_RESPONSE", body: "ab" },
  },
  {
    name: "chunked body cut short by EOF",
    input: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
    eof: true,
    expect: { result: "error", code: "KEEL_UPSTREAM_RESET_MID_RESPONSE", body: "hel" },
  },
  {
    name: "content-length body cut short by EOF",
    input: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    eof: true,
    expect: { result: "error", code: "KEEL_UPSTREAM_RESET_MID_RESPONSE", body: "abc" },
  },
  {
    name: "EOF inside the head",
    input: "HTTP/1.1 200 OK\r\nContent-Le",
    eof: true,
    expect: { result: "error", code: "KEEL_UPSTREAM_RESET" },
  },
];

describe("ResponseParser: split at every byte", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const out = everySplit(c.input, { head: c.head, eof: c.eof });
      expect(out).toMatchObject(c.expect);
    });
  }
});

describe("ResponseParser: limits", () => {
  const filler = (n: number) => `X-Fill: ${"a".repeat(n)}\r\n`;
  const base = "HTTP/1.1 200 OK\r\n";
  const tail = "Content-Length: 0\r\n\r\n";
  const sized = (total: number) => base + filler(total - base.length - tail.length - 10) + tail;

  test("a head of exactly 64 KiB is accepted, one byte more is refused (whole and split)", () => {
    const ok = sized(MAX_HEAD_BYTES);
    const over = sized(MAX_HEAD_BYTES + 1);
    expect(ok.length).toBe(MAX_HEAD_BYTES);
    for (const cuts of [[], [100], [40000], [MAX_HEAD_BYTES - 2], [1000, 2000, 3000, 65000]]) {
      expect(run(ok, cuts).result).toBe("done");
      const o = run(over, cuts);
      expect(o.result).toBe("error");
      expect(o.code).toBe("KEEL_UPSTREAM_BAD_RESPONSE");
    }
  });

  test("an endless head fails once 64 KiB have arrived, without waiting for the end", () => {
    const p = new ResponseParser(new Collector());
    p.reset(false);
    expect(p.feed(enc.encode(base))).toBe(FEED_MORE);
    const junk = enc.encode(filler(1000));
    let r: number = FEED_MORE;
    let fed = 0;
    while (r === FEED_MORE && fed < 200) {
      r = p.feed(junk);
      fed++;
    }
    expect(r).toBe(FEED_ERROR);
    expect(fed).toBeLessThan(70);
  });

  test("interim responses count towards the head limit", () => {
    const hint = "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n";
    const many = hint.repeat(Math.ceil(MAX_HEAD_BYTES / hint.length) + 1) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    expect(run(many, []).result).toBe("error");
  });

  test("feeding after the end is an error", () => {
    const p = new ResponseParser(new Collector());
    p.reset(false);
    expect(p.feed(enc.encode("HTTP/1.1 204 No Content\r\n\r\n"))).toBe(FEED_DONE);
    expect(p.feed(enc.encode("x"))).toBe(FEED_ERROR);
  });

  test("the parser is reusable after reset", () => {
    const sink = new Collector();
    const p = new ResponseParser(sink);
    for (let i = 0; i < 3; i++) {
      p.reset(false);
      expect(p.feed(enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${i}`))).toBe(FEED_DONE);
      expect(p.status).toBe(200);
    }
    expect(sink.heads).toBe(3);
    expect(latin1(Buffer.concat(sink.body))).toBe("012");
  });

  test("a large content-length body is delivered as views, not copies", () => {
    const body = new Uint8Array(100_000).fill(7);
    const head = enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
    const views: Uint8Array[] = [];
    const p = new ResponseParser({ onHead() {}, onBody: (c) => views.push(c) });
    p.reset(false);
    const first = new Uint8Array(head.length + 10);
    first.set(head);
    first.set(body.subarray(0, 10), head.length);
    expect(p.feed(first)).toBe(FEED_MORE);
    const rest = body.slice(10);
    expect(p.feed(rest)).toBe(FEED_DONE);
    expect(views[1]).toBe(rest); // whole chunk passed through as is
    expect(views[0]!.buffer).toBe(first.buffer);
  });
});

describe("parseContentLength", () => {
  const table: [string, number][] = [
    ["0", 0],
    ["42", 42],
    ["007", 7],
    ["5, 5", 5],
    ["5,5,5", 5],
    ["5, 6", -1],
    ["", -1],
    [" ", -1],
    ["+5", -1],
    ["5.0", -1],
    ["0x10", -1],
    ["1".repeat(16), -1],
    ["999999999999999", 999999999999999],
  ];
  for (const [input, want] of table) {
    test(JSON.stringify(input), () => expect(parseContentLength(input)).toBe(want));
  }
});
