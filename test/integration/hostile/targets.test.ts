// Hostile request targets and Host headers: control characters in the path (raw and encoded), path
// traversal in every encoding, CONNECT and absolute-form targets, Host tricks. Each reaches the
// route its normalised path names or none; nothing reaches the evil backend; the gateway keeps
// serving. The plainer open-proxy attempts (absolute-form naming the evil backend, CONNECT, two
// Host lines, Host with a path or userinfo) are in test/integration/security.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Recorded } from "../../support/backend.ts";
import { CLIENTS } from "../../support/clients.ts";
import { expectServing, runRow, startHostileStage, type Expected, type HostileStage, type Row } from "./hostile-gateway.ts";

const HOST = "Host: front.example\r\n";
const get = (target: string, host = HOST) => `GET ${target} HTTP/1.1\r\n${host}\r\n`;
const badPath = { by: "keel", status: 400, code: "KEEL_BAD_PATH" } as const;
const notFound = { by: "keel", status: 404, code: "KEEL_ROUTE_NOT_FOUND" } as const;
const badTarget = { by: "keel", status: 400, code: "KEEL_BAD_REQUEST_TARGET" } as const;
/** Forwarded to the good backend with exactly this target. */
const forwardedAs = (target: string): Expected => ({ by: "backend", seen: (r: Recorded) => expect(r.target).toBe(target) });

/** The evil backend's authority, known once the stage runs. */
let E = "";

const PATH_CONTROLS: Row[] = [
  { name: "raw NUL in the path", bytes: () => get("/public/a\0b"), expect: { by: "bun", status: 505 } },
  { name: "raw CR in the path", bytes: () => get("/public/a\rb"), expect: { by: "bun", status: 505 } },
  { name: "raw LF in the path", bytes: () => get("/public/a\nb"), expect: { by: "bun", status: 505 } },
  { name: "raw TAB in the path", bytes: () => get("/public/a\tb"), expect: { by: "bun", status: 505 } },
  // Bun percent-encodes a raw DEL before Keel sees the path; it stays encoded.
  { name: "raw DEL in the path", bytes: () => get("/public/a\x7fb"), expect: forwardedAs("/public/a%7Fb") },
  { name: "%00 in the path (nul: reject, the default)", bytes: () => get("/public/a%00b"), expect: badPath },
  // Kept encoded, never decoded: it cannot split the request line Keel writes upstream.
  { name: "%0d%0a in the path", bytes: () => get("/public/a%0d%0aX-Evil:%201"), expect: forwardedAs("/public/a%0D%0AX-Evil:%201") },
  // Bun reads each byte of invalid UTF-8 in a target as U+FFFD.
  { name: "raw invalid UTF-8 bytes in the path", bytes: () => get("/public/\xc0\xae\xc0\xae/x"), expect: forwardedAs(`/public/${"%EF%BF%BD".repeat(4)}/x`) },
  { name: "an invalid escape (%zz)", bytes: () => get("/public/%zz"), expect: badPath },
];

const TRAVERSAL: Row[] = [
  { name: "%2E. climbs out of /public", bytes: () => get("/public/%2E./steal"), expect: notFound },
  { name: ".%2e climbs out of /public", bytes: () => get("/public/.%2e/steal"), expect: notFound },
  { name: "%2E%2E climbs out of /public", bytes: () => get("/public/%2E%2E/steal"), expect: notFound },
  { name: "%2e%2e twice from a deeper segment", bytes: () => get("/public/a/%2e%2e/%2e%2e/steal"), expect: notFound },
  { name: "a trailing %2e%2e", bytes: () => get("/public/%2e%2e"), expect: notFound },
  { name: "%2e%2e that stays inside the prefix", bytes: () => get("/public/a/%2e%2e/b"), expect: forwardedAs("/public/b") },
  { name: "raw ..\\ (Bun reads \\ as /)", bytes: () => get("/public/..\\steal"), expect: notFound },
  { name: "double-encoded %252e%252e is decoded once, never twice", bytes: () => get("/public/%252e%252e/steal"), expect: forwardedAs("/public/%252e%252e/steal") },
  { name: "..%2f: an encoded slash is no separator", bytes: () => get("/public/..%2f..%2fsteal"), expect: forwardedAs("/public/..%2F..%2Fsteal") },
  { name: "%2e%2e%2f: the same, all encoded", bytes: () => get("/public/%2e%2e%2fsteal"), expect: forwardedAs("/public/..%2Fsteal") },
  { name: "..%5c: an encoded backslash is no separator", bytes: () => get("/public/..%5csteal"), expect: forwardedAs("/public/..%5Csteal") },
  { name: "%c0%ae overlong UTF-8 is not a dot", bytes: () => get("/public/%c0%ae%c0%ae/steal"), expect: forwardedAs("/public/%C0%AE%C0%AE/steal") },
  { name: "%u002e (IIS-style) is an invalid escape", bytes: () => get("/public/%u002e%u002e/steal"), expect: badPath },
  { name: "%%32%65 (nested escape) is an invalid escape", bytes: () => get("/public/%%32%65%%32%65/steal"), expect: badPath },
  // "..;" is no dot segment for RFC 3986 (Tomcat-style backends may disagree: see docs/reliability.md).
  { name: "..; (a path parameter) is an ordinary segment", bytes: () => get("/public/..;/steal"), expect: forwardedAs("/public/..;/steal") },
  { name: "a target without the leading slash", bytes: () => get("../public/a"), expect: { by: "bun", status: 400 } },
  { name: "OPTIONS * (asterisk-form)", bytes: () => `OPTIONS * HTTP/1.1\r\n${HOST}\r\n`, expect: { by: "bun", status: 400 } },
];

const CONNECT_AND_ABSOLUTE: Row[] = [
  { name: "CONNECT with an origin-form target", bytes: () => `CONNECT /public/a HTTP/1.1\r\n${HOST}\r\n`, expect: badTarget },
  { name: "CONNECT with an absolute-form target", bytes: () => `CONNECT http://${E}/ HTTP/1.1\r\nHost: ${E}\r\n\r\n`, expect: badTarget },
  { name: "CONNECT counted like any refusal", bytes: () => `CONNECT ${E} HTTP/1.1\r\nHost: ${E}\r\n\r\n`, expect: badTarget },
  { name: "absolute-form with userinfo naming the evil backend", bytes: () => get(`http://front.example@${E}/public/a`), expect: forwardedAs("/public/a") },
  { name: "absolute-form HTTP:// in capitals", bytes: () => get(`HTTP://${E}/public/a`), expect: forwardedAs("/public/a") },
  { name: "absolute-form without a path", bytes: () => get(`http://${E}`), expect: notFound },
  { name: "absolute-form with another scheme (ftp)", bytes: () => get(`ftp://${E}/public/a`), expect: { by: "bun", status: 400 } },
  // Bun builds the URL from the Host header, not from the target's authority, and so does routing.
  { name: "absolute-form naming the host-routed admin.internal", bytes: () => get("http://admin.internal/admin/x"), expect: notFound },
];

const HOSTS: Row[] = [
  { name: 'Host with userinfo "evil@good"', bytes: () => get("/admin/x", `Host: ${E}@admin.internal\r\n`), expect: badTarget },
  { name: "empty Host", bytes: () => get("/public/a", "Host: \r\n"), expect: badTarget },
  { name: "no Host on HTTP/1.1", bytes: () => `GET /public/a HTTP/1.1\r\n\r\n`, expect: { by: "bun", status: 400 } },
  { name: "no Host on HTTP/1.0", bytes: () => `GET /public/a HTTP/1.0\r\n\r\n`, expect: badTarget },
  { name: "Host with a comma list", bytes: () => get("/admin/x", `Host: admin.internal, ${E}\r\n`), expect: badTarget },
  { name: "Host with non-ASCII bytes", bytes: () => get("/public/a", "Host: adm\xc3\xafn.internal\r\n"), expect: badTarget },
  { name: "Host with a backslash", bytes: () => get("/admin/x", `Host: admin.internal\\${E}\r\n`), expect: badTarget },
  { name: "percent-encoded Host does not match a host route", bytes: () => get("/admin/x", "Host: admin%2einternal\r\n"), expect: notFound },
  { name: "Host with a trailing dot does not match a host route", bytes: () => get("/admin/x", "Host: admin.internal.\r\n"), expect: notFound },
  { name: "Host of the evil backend on a host route's path", bytes: () => get("/admin/x", `Host: ${E}\r\n`), expect: notFound },
  {
    name: "X-Forwarded-Host and Forwarded from the client are replaced",
    bytes: () => get("/public/a", `${HOST}X-Forwarded-Host: ${E}\r\nForwarded: host=${E}\r\nX-Forwarded-Proto: https\r\n`),
    expect: {
      by: "backend",
      seen: (r) => {
        expect(r.headers.get("x-forwarded-host")).toBe("front.example");
        expect(r.headers.get("forwarded")).toBe("for=127.0.0.1;proto=http;host=front.example");
        expect(r.headers.get("x-forwarded-proto")).toBe("http");
      },
    },
  },
];

for (const client of CLIENTS) {
  describe(`hostile targets via ${client.name}`, () => {
    let stage: HostileStage;
    beforeAll(() => {
      stage = startHostileStage(client.make());
      E = stage.evilAuthority;
    });
    afterAll(() => stage?.stop());

    const groups = [
      ["control characters in the path", PATH_CONTROLS],
      ["path traversal", TRAVERSAL],
      ["CONNECT and absolute-form", CONNECT_AND_ABSOLUTE],
      ["Host tricks", HOSTS],
    ] as const;
    for (const [group, rows] of groups) {
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
}
