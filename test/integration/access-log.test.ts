// The access log on a running gateway: a 200, a 404, a 502 and a 429 each leave one line with the
// documented fields; the query and header values never appear; and `keel run` reopens the file on
// SIGUSR1 after a rotation (rename), losing nothing.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deadPort, startBackend, type Backend } from "../support/backend.ts";
import { spawnKeel } from "../support/child.ts";
import { startKeel, waitFor, type TestGateway } from "../support/gateway.ts";

const FIELDS = ["time", "requestId", "method", "path", "route", "upstream", "endpoint", "status", "code", "bytes", "clientIp", "durations"];

type Line = Record<string, unknown> & { durations: Record<string, number | null> };

function readLines(path: string): Line[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
}

describe("access log of a running gateway", () => {
  let backend: Backend;
  let gw: TestGateway;
  let dir: string;
  let file: string;
  let dead: number;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keel-access-it-"));
    file = join(dir, "access.log");
    backend = startBackend(() => new Response("hello", { headers: { "content-type": "text/plain" } }));
    dead = deadPort();
    gw = startKeel(`accessLog: { path: "${file}" }
upstreams:
  ok: { endpoints: ["http://127.0.0.1:${backend.port}"] }
  gone: { endpoints: ["http://127.0.0.1:${dead}"] }
routes:
  - { name: limited, match: { path: /limited }, upstream: ok, rateLimit: { rate: 1/min, burst: 1 } }
  - { name: broken, match: { pathPrefix: /broken }, upstream: gone }
  - { name: main, match: { pathPrefix: /api }, upstream: ok }
`);
  });

  afterAll(async () => {
    await gw.stop();
    backend.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("200, 404, 502, 429: one line each, with route, code, status and endpoint", async () => {
    const get = (path: string, headers: Record<string, string> = {}) => fetch(gw.url + path, { headers });
    const ids: string[] = [];
    for (const [path, status] of [["/api/x/../users?token=SECRET", 200], ["/nowhere", 404], ["/broken", 502], ["/limited", 200], ["/limited", 429]] as const) {
      const res = await get(path, { authorization: "Bearer HEADER-SECRET" });
      expect(res.status).toBe(status);
      await res.arrayBuffer();
      ids.push(res.headers.get("x-request-id")!);
    }
    await waitFor(() => readLines(file).length >= 5, 4000, "five access-log lines");
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("SECRET");
    const lines = readLines(file);
    expect(lines.map((l) => l.requestId)).toEqual(ids);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(FIELDS);
      expect(l.clientIp).toBe("127.0.0.1");
      expect(l.method).toBe("GET");
      expect(typeof l.durations.total).toBe("number");
      expect(Date.parse(l.time as string)).toBeGreaterThan(0);
    }
    const [ok, notFound, bad, , limited] = lines as [Line, Line, Line, Line, Line];
    expect(ok).toMatchObject({ path: "/api/users", route: "main", upstream: "ok", endpoint: `http://127.0.0.1:${backend.port}`, status: 200, code: null, bytes: 5 });
    expect(Object.values(ok.durations).every((d) => typeof d === "number")).toBe(true);
    expect(notFound).toMatchObject({ path: "/nowhere", route: null, upstream: null, endpoint: null, status: 404, code: "KEEL_ROUTE_NOT_FOUND" });
    expect(notFound.durations).toMatchObject({ admit: null, upstream: null, respond: null });
    expect(bad).toMatchObject({ path: "/broken", route: "broken", upstream: "gone", endpoint: `http://127.0.0.1:${dead}`, status: 502, code: "KEEL_UPSTREAM_CONNECT_REFUSED" });
    expect(bad.durations.respond).toBeNull();
    expect(limited).toMatchObject({ route: "limited", upstream: "ok", endpoint: null, status: 429, code: "KEEL_RATE_LIMITED" });
    expect(limited.durations).toMatchObject({ upstream: null, respond: null });
  });

  test("lines written are counted on /metrics", async () => {
    const text = await (await fetch(gw.adminUrl + "/metrics")).text();
    expect(text).toMatch(/^keel_access_log_lines_total [1-9]/m);
    expect(text).toMatch(/^keel_access_log_dropped_total 0$/m);
  });
});

test("keel run: SIGUSR1 after a rename reopens the file; no line lost", async () => {
  const dir = mkdtempSync(join(tmpdir(), "keel-access-rot-"));
  const backend = startBackend(() => new Response("ok"));
  const file = join(dir, "access.log");
  const keel = await spawnKeel(`accessLog: { path: "${file}" }
upstreams: { ok: { endpoints: ["http://127.0.0.1:${backend.port}"] } }
routes: [ { name: main, upstream: ok } ]
`);
  try {
    const hit = async (n: number) => {
      const res = await fetch(`${keel.url}/n/${n}`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    };
    for (let i = 0; i < 5; i++) await hit(i);
    await waitFor(() => readLines(file).length === 5, 4000, "five lines before rotation");
    renameSync(file, file + ".1");
    process.kill(keel.pid, "SIGUSR1");
    // The new file appears once the signal is handled (opened for append at once).
    await waitFor(() => {
      try {
        readFileSync(file);
        return true;
      } catch {
        return false;
      }
    }, 4000, "the reopened file");
    for (let i = 5; i < 10; i++) await hit(i);
    await waitFor(() => readLines(file).length === 5, 4000, "five lines after rotation");
    expect(readLines(file + ".1").map((l) => l.path)).toEqual([0, 1, 2, 3, 4].map((i) => `/n/${i}`));
    expect(readLines(file).map((l) => l.path)).toEqual([5, 6, 7, 8, 9].map((i) => `/n/${i}`));
    expect(keel.output()).not.toContain("cannot reopen");
  } finally {
    await keel.stop();
    backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
