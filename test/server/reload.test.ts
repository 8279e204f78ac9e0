// Hot reload in one process: swap, invalid configs, listener changes, carry-over of limiter state,
// in-flight requests keeping their plan, metrics of added routes, retirement and the tail gate.

import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { loadConfigFile } from "../../src/config/load.ts";
import { ReloadController } from "../../src/server/reload/reload-controller.ts";
import { startGateway, type Gateway } from "../../src/server/gateway-server.ts";
import { startBackend } from "../support/backend.ts";
import { tempConfig } from "../support/child.ts";
import { withDefaults } from "../support/gateway.ts";
import { parseExposition, samplesOf } from "../observe/parse-exposition.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Reloading {
  gw: Gateway;
  ctl: ReloadController;
  file: string;
  lines: string[];
  write(yaml: string): void;
  reload(): Promise<{ status: number; body: Record<string, unknown> }>;
  metrics(): Promise<ReturnType<typeof parseExposition>>;
}

/** A gateway started from a config file, with a reload controller on its admin port. */
function startReloading(yaml: string, tailWindowMs = 200): Reloading {
  const cfg = tempConfig(withDefaults(yaml));
  cleanups.push(cfg.remove);
  const loaded = loadConfigFile(cfg.file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  let ctl: ReloadController | null = null;
  const gw = startGateway(loaded.plan, { adminRoutes: (req) => ctl?.adminRoute(req) ?? null });
  const lines: string[] = [];
  ctl = new ReloadController(gw, { file: cfg.file, tailWindowMs, log: (l) => lines.push(l), warn: (l) => lines.push(l) });
  cleanups.push(() => gw.drain());
  cleanups.push(() => ctl!.stop());
  return {
    gw,
    ctl,
    file: cfg.file,
    lines,
    write: (text) => writeFileSync(cfg.file, withDefaults(text)),
    async reload() {
      const res = await fetch(gw.admin!.url + "/config/reload", { method: "POST" });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    metrics: async () => parseExposition(await (await fetch(gw.admin!.url + "/metrics")).text()),
  };
}

const config = (authority: string, routes: string, extra = "") => `${extra}upstreams:
  backend: { endpoints: ["http://${authority}"] }
routes:
${routes}`;

describe("reload", () => {
  test("a valid config is swapped in: a new route serves and appears in /metrics", async () => {
    const be = startBackend();
    cleanups.push(be.stop);
    const k = startReloading(config(be.authority, "  - { name: a, match: { pathPrefix: /a }, upstream: backend }\n"));
    expect((await fetch(k.gw.url + "/b/1")).status).toBe(404);
    k.write(config(be.authority, "  - { name: a, match: { pathPrefix: /a }, upstream: backend }\n  - { name: b, match: { pathPrefix: /b }, upstream: backend }\n"));
    const r = await k.reload();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "reloaded", generation: 1 });
    expect((await fetch(k.gw.url + "/b/1")).status).toBe(200);
    const fam = await k.metrics();
    const routes = samplesOf(fam, "keel_requests_total").map((s) => s.labels.route);
    expect(routes).toContain("b");
    expect(samplesOf(fam, "keel_requests_total").find((s) => s.labels.route === "b" && s.labels.status_class === "2xx")?.value).toBe(1);
    expect(samplesOf(fam, "keel_reloads_total").find((s) => s.labels.result === "ok")?.value).toBe(1);
    expect(samplesOf(fam, "keel_config_generation")[0]?.value).toBe(1);
    expect(k.lines.some((l) => l.includes("config reloaded (admin)"))).toBe(true);
  });

  test("an invalid config is refused with file:line:col errors; the old plan keeps serving", async () => {
    const be = startBackend();
    cleanups.push(be.stop);
    const k = startReloading(config(be.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    k.write(config(be.authority, "  - { name: a, match: { pathPrefix: / }, upstream: nowhere, timeout: 5 parsecs }\n"));
    const r = await k.reload();
    expect(r.status).toBe(422);
    expect(r.body.status).toBe("invalid");
    const errors = r.body.errors as { file: string; line: number; col: number; text: string }[];
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const e of errors) {
      expect(e.file).toBe(k.file);
      expect(e.text).toMatch(new RegExp(`^${k.file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: `));
    }
    for (const e of errors) expect(k.lines).toContain(e.text);
    expect(k.lines.at(-1)).toMatch(/reload \(admin\) refused: \d+ errors in .*; the running config is unchanged/);
    expect((await fetch(k.gw.url + "/x")).status).toBe(200);
    const fam = await k.metrics();
    expect(samplesOf(fam, "keel_reloads_total").find((s) => s.labels.result === "invalid")?.value).toBe(1);
    expect(samplesOf(fam, "keel_config_generation")[0]?.value).toBe(0);
  });

  test("a listen change is refused: listen changes need a restart", async () => {
    const be = startBackend();
    cleanups.push(be.stop);
    const k = startReloading(config(be.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    k.write("listen: { port: 1, host: 127.0.0.1 }\n" + config(be.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    const r = await k.reload();
    expect(r.status).toBe(409);
    expect(String(r.body.detail)).toContain("listen changes need a restart");
    expect((await fetch(k.gw.url + "/x")).status).toBe(200);
  });

  test("a rate-limit key table survives a reload of an unchanged route, and starts afresh when its policy changes", async () => {
    const be = startBackend();
    cleanups.push(be.stop);
    const limited = (rate: string) => `  - { name: a, match: { pathPrefix: /a }, upstream: backend, rateLimit: { rate: ${rate}, burst: 2, key: route } }\n`;
    const k = startReloading(config(be.authority, limited("2/h")));
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await fetch(k.gw.url + "/a")).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    // Another route added: route a (and its policy) unchanged.
    k.write(config(be.authority, limited("2/h") + "  - { name: b, match: { pathPrefix: /b }, upstream: backend }\n"));
    const r = await k.reload();
    expect(r.status).toBe(200);
    expect((r.body.kept as { policies: string[] }).policies).toEqual(["a#1"]);
    expect(await statuses(1)).toEqual([429]);
    // The policy changes: a fresh table.
    k.write(config(be.authority, limited("3/h")));
    expect((await k.reload()).status).toBe(200);
    expect(await statuses(4)).toEqual([200, 200, 429, 429]);
  });

  test("a request in flight keeps the plan it started with; the next one gets the new plan", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = startBackend(async () => {
      await gate;
      return new Response("old");
    });
    const fresh = startBackend(() => new Response("new"));
    cleanups.push(slow.stop, fresh.stop);
    const k = startReloading(config(slow.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    const inFlight = fetch(k.gw.url + "/x").then((r) => r.text());
    while (k.gw.metrics.inFlight === 0) await Bun.sleep(5);
    k.write(config(fresh.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    expect((await k.reload()).status).toBe(200);
    expect(await (await fetch(k.gw.url + "/x")).text()).toBe("new");
    expect(k.gw.runtimes.retiringCount).toBe(1);
    k.gw.runtimes.retireDue(); // one request still in flight on the old runtime: not yet
    expect(k.gw.runtimes.retiringCount).toBe(1);
    release();
    expect(await inFlight).toBe("old");
    k.gw.runtimes.retireDue();
    expect(k.gw.runtimes.retiringCount).toBe(0);
  });

  test("a request in flight across a reload that reorders routes is counted under its own route", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const be = startBackend(async (req) => {
      if (new URL(req.url).pathname.startsWith("/slow")) await gate;
      return new Response("ok");
    });
    cleanups.push(be.stop);
    const a = "  - { name: a, match: { pathPrefix: /slow }, upstream: backend }\n";
    const b = "  - { name: b, match: { pathPrefix: /fast }, upstream: backend }\n";
    const k = startReloading(config(be.authority, a + b));
    const inFlight = fetch(k.gw.url + "/slow/1").then((r) => r.status);
    while (k.gw.metrics.inFlight === 0) await Bun.sleep(5);
    k.write(config(be.authority, b + a)); // "b" now at the position "a" had
    expect((await k.reload()).status).toBe(200);
    release();
    expect(await inFlight).toBe(200);
    const fam = await k.metrics();
    const count = (route: string) =>
      samplesOf(fam, "keel_requests_total").find((s) => s.labels.route === route && s.labels.status_class === "2xx")?.value ?? 0;
    expect(count("a")).toBe(1);
    expect(count("b")).toBe(0);
  });

  test("a removed upstream's active health checks stop once its runtime retires", async () => {
    const checked = startBackend(() => new Response("ok"));
    const other = startBackend();
    cleanups.push(checked.stop, other.stop);
    const withChecks = `upstreams:
  checked: { endpoints: ["http://${checked.authority}"], health: { active: { path: /healthz, interval: 20ms } } }
routes:
  - { name: a, match: { pathPrefix: / }, upstream: checked }
`;
    const k = startReloading(withChecks);
    while (checked.requests.length < 2) await Bun.sleep(10);
    k.write(config(other.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"));
    expect((await k.reload()).status).toBe(200);
    k.gw.runtimes.retireDue(); // nothing in flight: closes at once
    expect(k.gw.runtimes.retiringCount).toBe(0);
    await Bun.sleep(60); // a check already sent may still land
    const after = checked.requests.length;
    await Bun.sleep(150);
    expect(checked.requests.length).toBe(after);
  });

  test("unchanged upstreams keep health, breaker and retry budget; changed settings start afresh", async () => {
    const be = startBackend();
    cleanups.push(be.stop);
    const up = (breaker: string) => `upstreams:
  backend: { endpoints: ["http://${be.authority}"], health: { outlier: { consecutiveFailures: 3 } }${breaker} }
routes:
  - { name: a, match: { pathPrefix: / }, upstream: backend, retry: true, concurrency: { max: 5 } }
`;
    const k = startReloading(up(""));
    const before = k.gw.runtimes.current;
    k.write(up("") + "  - { name: b, match: { pathPrefix: /b }, upstream: backend }\n");
    expect((await k.reload()).status).toBe(200);
    const after = k.gw.runtimes.current;
    expect(after).not.toBe(before);
    expect(after.upstreams[0]!.health).toBe(before.upstreams[0]!.health);
    expect(after.upstreams[0]!.retryBudget).toBe(before.upstreams[0]!.retryBudget);
    expect(after.routes[0]!.concurrency).toBe(before.routes[0]!.concurrency);
    expect(after.routes[0]!.latency).toBe(before.routes[0]!.latency);
    k.write(up(", breaker: { failureRatio: 0.5 }"));
    expect((await k.reload()).status).toBe(200);
    const third = k.gw.runtimes.current;
    expect(third.upstreams[0]!.health).toBe(before.upstreams[0]!.health);
    expect(third.upstreams[0]!.breaker).not.toBeNull();
  });

  test("the tail gate logs p99 and p99.9 before and after, and exposes them", async () => {
    const be = startBackend(() => new Response("ok"));
    cleanups.push(be.stop);
    const k = startReloading(config(be.authority, "  - { name: a, match: { pathPrefix: / }, upstream: backend }\n"), 300);
    for (let i = 0; i < 20; i++) await fetch(k.gw.url + "/x");
    await Bun.sleep(100);
    expect((await k.reload()).status).toBe(200);
    for (let i = 0; i < 20; i++) await fetch(k.gw.url + "/x");
    const until = Date.now() + 3000;
    while (!k.lines.some((l) => l.includes("tail gate")) && Date.now() < until) await Bun.sleep(20);
    const line = k.lines.find((l) => l.includes("tail gate"))!;
    expect(line).toMatch(/^keel: reload 1 tail gate \(0\.3 s before \/ after\): p99 [\d.]+ → [\d.]+ ms, p99\.9 [\d.]+ → [\d.]+ ms, 20 \/ 20 requests: too few requests$/);
    const fam = await k.metrics();
    const p99 = samplesOf(fam, "keel_reload_p99_seconds");
    expect(p99.map((s) => s.labels.window).sort()).toEqual(["after", "before"]);
    for (const s of p99) expect(s.value).toBeGreaterThan(0);
    expect(samplesOf(fam, "keel_reload_window_requests").find((s) => s.labels.window === "after")?.value).toBe(20);
  });
});
