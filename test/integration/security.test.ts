// Keel is never an open proxy: whatever the request target or Host header says, a request reaches
// a configured upstream or nothing. An "evil" backend on the same machine records any request that
// leaks to it and must end every case with nothing.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBackend, type Backend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { startKeel, type TestGateway } from "../support/gateway.ts";
import { parseResponse, rawRequest, responseComplete } from "../support/raw-client.ts";

for (const client of CLIENTS) {
  describe(`open-proxy attempts via ${client.name}`, () => {
    let good: Backend;
    let admin: Backend;
    let evil: Backend;
    let gw: TestGateway;

    beforeAll(() => {
      good = startBackend();
      admin = startBackend();
      evil = startBackend();
      gw = startKeel(
        `upstreams:
  good: { endpoints: ["http://${good.authority}"] }
  admin: { endpoints: ["http://${admin.authority}"] }
routes:
  - { name: admin, match: { host: admin.internal, pathPrefix: / }, upstream: admin }
  - { name: public, match: { pathPrefix: /public }, upstream: good }
`,
        { client: client.make() },
      );
    });

    afterAll(async () => {
      await gw?.stop();
      good?.stop();
      admin?.stop();
      evil?.stop();
    });

    /** Send raw bytes and parse the answer. */
    async function send(head: string) {
      const r = await rawRequest(gw.port, head, { until: responseComplete });
      return parseResponse(r.text);
    }

    const E = () => evil.authority;
    // [name, request head, expected status, which backend gets it: "good" | "admin" | null]
    const CASES: [string, () => string, number, "good" | "admin" | null][] = [
      ["absolute-form target naming the evil backend", () => `GET http://${E()}/public/x HTTP/1.1\r\nHost: ${E()}\r\n\r\n`, 200, "good"],
      ["absolute-form target with a harmless Host", () => `GET http://${E()}/public/x HTTP/1.1\r\nHost: front.example\r\n\r\n`, 200, "good"],
      ["absolute-form https target", () => `GET https://${E()}/public/x HTTP/1.1\r\nHost: front.example\r\n\r\n`, 200, "good"],
      ["absolute-form target outside any route", () => `GET http://${E()}/steal HTTP/1.1\r\nHost: front.example\r\n\r\n`, 404, null],
      ["Host naming the evil backend", () => `GET /public/x HTTP/1.1\r\nHost: ${E()}\r\n\r\n`, 200, "good"],
      ["Host with a path in it", () => `GET /public/x HTTP/1.1\r\nHost: ${E()}/public\r\n\r\n`, 400, null],
      ["Host with userinfo", () => `GET /public/x HTTP/1.1\r\nHost: user@${E()}\r\n\r\n`, 400, null],
      ["Host that only starts like a routed host", () => `GET /x HTTP/1.1\r\nHost: admin.internal.evil.example\r\n\r\n`, 404, null],
      ["routed host in another case, with a port", () => `GET /x HTTP/1.1\r\nHost: ADMIN.internal:8080\r\n\r\n`, 200, "admin"],
      ["two Host lines (RFC 9112 §3.2: 400)", () => `GET /public/x HTTP/1.1\r\nHost: front.example\r\nHost: admin.internal\r\n\r\n`, 400, null],
      ["two Host lines, routed one first", () => `GET /public/x HTTP/1.1\r\nHost: admin.internal\r\nHost: ${E()}\r\n\r\n`, 400, null],
      ["network-path target //evil", () => `GET //${E()}/public HTTP/1.1\r\nHost: front.example\r\n\r\n`, 404, null],
      ["dot segments cannot climb out of a prefix", () => `GET /public/../steal HTTP/1.1\r\nHost: front.example\r\n\r\n`, 404, null],
      ["encoded dot segments neither", () => `GET /public/%2e%2e/steal HTTP/1.1\r\nHost: front.example\r\n\r\n`, 404, null],
      ["CONNECT", () => `CONNECT ${E()} HTTP/1.1\r\nHost: ${E()}\r\n\r\n`, 400, null],
      ["CONNECT to a routed host", () => `CONNECT admin.internal:443 HTTP/1.1\r\nHost: admin.internal:443\r\n\r\n`, 400, null],
    ];

    for (const [name, head, status, target] of CASES) {
      test(name, async () => {
        const before = { good: good.requests.length, admin: admin.requests.length };
        const res = await send(head());
        expect(res.status).toBe(status);
        expect(evil.requests.length).toBe(0);
        expect(good.requests.length - before.good).toBe(target === "good" ? 1 : 0);
        expect(admin.requests.length - before.admin).toBe(target === "admin" ? 1 : 0);
        if (target !== null) {
          const seen = (target === "good" ? good : admin).requests.at(-1)!;
          expect(seen.headers.get("host")).toBe((target === "good" ? good : admin).authority);
          expect(seen.target.startsWith("/")).toBe(true);
        } else if (res.status !== 400 || res.get("content-type") === "application/problem+json") {
          // Keel's own refusals are problems (Bun's parser may refuse some before Keel sees them).
          expect(res.get("content-type")).toBe("application/problem+json");
        }
      });
    }

    test("CONNECT → 400 problem KEEL_BAD_REQUEST_TARGET", async () => {
      const res = await send(`CONNECT ${E()} HTTP/1.1\r\nHost: ${E()}\r\n\r\n`);
      expect(res.status).toBe(400);
      expect(res.get("content-type")).toBe("application/problem+json");
      const p = JSON.parse(res.body) as Record<string, unknown>;
      expect(p.code).toBe("KEEL_BAD_REQUEST_TARGET");
      expect(p.status).toBe(400);
      expect(p.route).toBeNull();
      expect(p.upstream).toBeNull();
      expect(p.requestId).toBe(res.get("x-request-id"));
    });

    test("no route → 404 problem KEEL_ROUTE_NOT_FOUND", async () => {
      const res = await fetch(gw.url + "/nowhere?x=1");
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const p = (await res.json()) as Record<string, unknown>;
      expect(p).toMatchObject({ status: 404, code: "KEEL_ROUTE_NOT_FOUND", route: null, upstream: null, phase: "route" });
      expect(p.type).toBe("urn:keel:error:KEEL_ROUTE_NOT_FOUND");
      expect(typeof p.title).toBe("string");
      expect(p.detail).toContain("/nowhere");
      expect(p.requestId).toBe(res.headers.get("x-request-id"));
      expect(evil.requests.length).toBe(0);
    });
  });
}
