// Hostile JSON on routes that parse request bodies (`json`: JSON rules with maxDepth 16 and
// maxBytes 1kb; `validated`: a body schema only, default caps): invalid UTF-8 of every kind, deep
// and huge bodies, duplicate keys, numbers JSON cannot hold. Refusals are problems counted under
// the route; what passes reaches the good backend only, as the documented policy says.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Recorded } from "../../support/backend.ts";
import { expectServing, runRow, startHostileStage, type Expected, type HostileStage, type Row } from "./hostile-gateway.ts";

const HOST = "Host: front.example\r\n";
/** A POST whose body is `body` as latin1 bytes ("\xc0" is the byte 0xC0). */
const post = (path: string, body: string, type = "application/json") =>
  `POST ${path} HTTP/1.1\r\n${HOST}Content-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const postChunked = (path: string, body: string) =>
  `POST ${path} HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

const invalidJson = (route: string) => ({ by: "keel", status: 400, code: "KEEL_INVALID_JSON", route }) as const;
const forwardedBody = (body: string): Expected => ({ by: "backend", seen: (r: Recorded) => expect(r.body).toBe(body) });
const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

const UTF8: Row[] = [
  { name: "overlong encoding of '.' (C0 AE)", bytes: () => post("/json/a", '{"a":"\xc0\xae"}'), expect: invalidJson("json") },
  { name: "a lone continuation byte (80)", bytes: () => post("/json/a", '{"a":"\x80"}'), expect: invalidJson("json") },
  { name: "an encoded UTF-16 surrogate (ED A0 80)", bytes: () => post("/json/a", '{"a":"\xed\xa0\x80"}'), expect: invalidJson("json") },
  { name: "a truncated sequence (E2 82)", bytes: () => post("/json/a", '{"a":"\xe2\x82"}'), expect: invalidJson("json") },
  { name: "a byte never valid in UTF-8 (FF)", bytes: () => post("/json/a", '{"a":"\xff"}'), expect: invalidJson("json") },
  { name: "invalid UTF-8 in a key", bytes: () => post("/json/a", '{"\xc3":1}'), expect: invalidJson("json") },
  { name: "invalid UTF-8 on a route with only a body schema", bytes: () => post("/validated/a", '{"qty":"\xc0\xae"}'), expect: invalidJson("validated") },
  // An escaped lone surrogate is valid JSON text (RFC 8259 §8.2 leaves it to the receiver).
  { name: "an escaped lone surrogate (\\ud800) passes", bytes: () => post("/json/a", '{"a":"\\ud800"}'), expect: forwardedBody('{"a":"\\ud800"}') },
];

const DEPTH_AND_SIZE: Row[] = [
  { name: "1,000 nested arrays (within maxBytes)", bytes: () => post("/json/a", "[".repeat(1000)), expect: invalidJson("json") },
  { name: "100,000 nested arrays on a schema-only route (default caps)", bytes: () => post("/validated/a", "[".repeat(100_000)), expect: invalidJson("validated") },
  { name: "one level past maxDepth (17 > 16)", bytes: () => post("/json/a", nested(17)), expect: invalidJson("json") },
  { name: "exactly maxDepth (16) passes", bytes: () => post("/json/a", nested(16)), expect: forwardedBody(nested(16)) },
  { name: "brackets inside strings do not count as depth", bytes: () => post("/json/a", JSON.stringify({ a: "[{".repeat(100) })), expect: forwardedBody(JSON.stringify({ a: "[{".repeat(100) })) },
  { name: "past the default maxDepth (64) on a schema-only route", bytes: () => post("/validated/a", `{"qty":${nested(64)}}`), expect: invalidJson("validated") },
  { name: "Content-Length over maxBytes (1kb)", bytes: () => post("/json/a", JSON.stringify({ a: "x".repeat(2000) })), expect: { by: "keel", status: 413, code: "KEEL_REQUEST_BODY_TOO_LARGE", route: "json" } },
  { name: "a chunked body over maxBytes", bytes: () => postChunked("/json/a", JSON.stringify({ a: "x".repeat(2000) })), expect: { by: "keel", status: 413, code: "KEEL_REQUEST_BODY_TOO_LARGE", route: "json" } },
  { name: "a 1 MB chunked body (reading stops at the cap)", bytes: () => postChunked("/json/a", JSON.stringify({ a: "x".repeat(1 << 20) })), expect: { by: "keel", status: 413, code: "KEEL_REQUEST_BODY_TOO_LARGE", route: "json" } },
];

const SHAPES: Row[] = [
  // Policy (docs/normalize.md): duplicate keys are not an error; JSON.parse keeps the last.
  { name: "duplicate keys: the last one wins, rules see and send one", bytes: () => post("/json/a", '{"a":1,"a":2,"secret":"s","secret":"t"}'), expect: forwardedBody('{"a":2}') },
  // A schema-only route forwards what it validated: one "qty", never the unchecked first one.
  { name: "duplicate keys on a schema-only route: the validated body is what is sent", bytes: () => post("/validated/a", '{"qty":"x","qty":1}'), expect: forwardedBody('{"qty":1}') },
  { name: "duplicate keys whose last value breaks the schema", bytes: () => post("/validated/a", '{"qty":1,"qty":"x"}'), expect: { by: "keel", status: 400, code: "KEEL_VALIDATION_FAILED", route: "validated" } },
  // Re-serialised, 1e400 would be null: refused instead, so nothing is lost without a word.
  { name: "a number past double range is refused", bytes: () => post("/json/a", '{"n":1e400}'), expect: invalidJson("json") },
  { name: "a 400-digit integer on a schema-only route is refused", bytes: () => post("/validated/a", `{"qty":${"9".repeat(400)}}`), expect: invalidJson("validated") },
  { name: "1e308 (in range) passes", bytes: () => post("/json/a", '{"n":1e308}'), expect: forwardedBody('{"n":1e+308}') },
  { name: '"__proto__" stays an own key', bytes: () => post("/json/a", '{"__proto__":{"admin":true}}'), expect: forwardedBody('{"__proto__":{"admin":true}}') },
  { name: "a leading byte order mark is dropped", bytes: () => post("/json/a", "\xef\xbb\xbf{}"), expect: forwardedBody("{}") },
  { name: "trailing garbage after the value", bytes: () => post("/json/a", "{} x"), expect: invalidJson("json") },
  { name: "two JSON documents", bytes: () => post("/json/a", "{}{}"), expect: invalidJson("json") },
  { name: "a non-JSON Content-Type", bytes: () => post("/json/a", "{}", "text/plain"), expect: { by: "keel", status: 415, code: "KEEL_UNSUPPORTED_MEDIA_TYPE", route: "json" } },
];

describe("hostile JSON bodies", () => {
  let stage: HostileStage;
  beforeAll(() => {
    stage = startHostileStage();
  });
  afterAll(() => stage?.stop());

  for (const [group, rows] of [["invalid UTF-8", UTF8], ["depth and size", DEPTH_AND_SIZE], ["shapes and duplicates", SHAPES]] as const) {
    describe(group, () => {
      for (const row of rows) {
        test(row.name, async () => {
          await runRow(stage, row);
          await expectServing(stage);
        });
      }
    });
  }
});
