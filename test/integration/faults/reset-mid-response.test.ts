// Fault: the backend resets the connection in the middle of its response (and, for contrast, before
// any response byte). On a plain route the status line has already gone to the client, so Keel cuts
// the client connection rather than pass a truncated body as complete; on a route with response JSON
// rules the body is buffered first, so the client gets a 502 problem instead (phase "respond": the
// head had arrived). Each case: the
// documented status and code (docs/errors.md), the error counted, nothing left in flight, and the
// gateway serves the next request. The plain Content-Length case with retries configured is in
// ../resilience/misbehaving-backends.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { requestComplete, startBackend, startRawBackend, type Backend, type RawBackend } from "../../support/backend.ts";
import { startKeel, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight, series } from "../resilience/helpers.ts";

/** How the raw backend misbehaves, chosen by a word in the request target. */
const ANSWERS: Record<string, string> = {
  // A Content-Length body cut after 1,000 of 100,000 bytes.
  "cut-length": "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n" + `{"pad_key":"${"x".repeat(990)}`,
  // A chunked body cut in the middle of a chunk.
  "cut-chunked": "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n" + `{"pad_key":"${"x".repeat(500)}`,
  // Half a status line, then gone: no head ever completes.
  "cut-head": "HTTP/1.1 200 OK\r\nContent-Ty",
  // Nothing at all, then gone.
  "cut-silent": "",
};

interface Case {
  readonly name: string;
  readonly method: "GET" | "POST";
  /** Route prefix: /plain streams, /json buffers the body for its JSON rules. */
  readonly route: "plain" | "json";
  readonly answer: keyof typeof ANSWERS;
  /** A problem with this status, code and phase, or "cut": a 200 head whose body then fails. */
  readonly expected: { readonly status: number; readonly code: string; readonly phase: "upstream" | "respond" } | "cut";
}

const MID = "KEEL_UPSTREAM_RESET_MID_RESPONSE";
const CASES: readonly Case[] = [
  { name: "plain route, Content-Length body cut", method: "GET", route: "plain", answer: "cut-length", expected: "cut" },
  { name: "plain route, chunked body cut", method: "GET", route: "plain", answer: "cut-chunked", expected: "cut" },
  { name: "JSON-rule route, Content-Length body cut", method: "GET", route: "json", answer: "cut-length", expected: { status: 502, code: MID, phase: "respond" } },
  { name: "JSON-rule route, chunked body cut", method: "GET", route: "json", answer: "cut-chunked", expected: { status: 502, code: MID, phase: "respond" } },
  { name: "plain route, POST, closed halfway through the head", method: "POST", route: "plain", answer: "cut-head", expected: { status: 502, code: "KEEL_UPSTREAM_RESET", phase: "upstream" } },
  { name: "JSON-rule route, closed before any byte", method: "GET", route: "json", answer: "cut-silent", expected: { status: 502, code: "KEEL_UPSTREAM_RESET", phase: "upstream" } },
];

let raw: RawBackend;
let good: Backend;
let gw: TestGateway;

beforeAll(() => {
  raw = startRawBackend({
    onData(sofar, s) {
      if (!requestComplete(sofar)) return;
      const word = Object.keys(ANSWERS).find((w) => sofar.includes(`/${w}`)) ?? "cut-silent";
      if (ANSWERS[word]) s.write(ANSWERS[word]!);
      // A moment later, so the bytes above are read as a response before the reset.
      setTimeout(() => s.terminate(), 20);
    },
  });
  good = startBackend(() => Response.json({ still_here: true }));
  gw = startKeel(`
upstreams:
  flaky: { endpoints: ["http://${raw.authority}"] }
  good: { endpoints: ["http://${good.authority}"] }
routes:
  - { name: plain, match: { pathPrefix: /plain }, upstream: flaky }
  - { name: json, match: { pathPrefix: /json }, upstream: flaky, normalize: { response: { json: { keys: camelCase } } } }
  - { name: good, match: { pathPrefix: /good }, upstream: good, normalize: { response: { json: { keys: camelCase } } } }
`);
});

afterAll(async () => {
  await gw?.stop();
  raw?.stop();
  good?.stop();
});

/** A counter's value; 0 while the series has not appeared yet. */
const count = async (name: string) => (await series(gw, name)) || 0;

describe("backend reset", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const code = c.expected === "cut" ? MID : c.expected.code;
      const counted = `keel_upstream_errors_total{upstream="flaky",code="${code}"}`;
      const problems = `keel_problems_total{route="${c.route}",code="${code}"}`;
      const [before, problemsBefore] = [await count(counted), await count(problems)];
      const res = await fetch(`${gw.url}/${c.route}/${c.answer}`, { method: c.method, ...(c.method === "POST" ? { body: "{}" } : {}) });
      if (c.expected === "cut") {
        expect(res.status).toBe(200);
        // Never a truncated body passed as complete: reading it fails.
        await expect(res.arrayBuffer()).rejects.toThrow();
      } else {
        expect(res.status).toBe(c.expected.status);
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        expect(await res.json()).toMatchObject({ code: c.expected.code, route: c.route, upstream: "flaky", phase: c.expected.phase });
      }
      // Counted once as an upstream error (where the body failed), and as a problem when one was sent.
      expect(await count(counted)).toBe(before + 1);
      expect(await count(problems)).toBe(problemsBefore + (c.expected === "cut" ? 0 : 1));
      await expectNothingInFlight(gw);
      const next = await fetch(gw.url + "/good/after");
      expect(next.status).toBe(200);
      expect(await next.json()).toEqual({ stillHere: true });
    });
  }
});
