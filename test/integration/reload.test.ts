// Hot reload of `keel run` as a real process: 20 reloads (SIGHUP and POST /config/reload,
// alternating two configs) under a light load without one failed request; an invalid config
// reported at file:line:col while the old plan keeps serving; a rate-limit key table carried over;
// --watch reloading on a save.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { startBackend, type Backend } from "../support/backend.ts";
import { spawnKeel, type KeelChild } from "../support/child.ts";
import { withDefaults } from "../support/gateway.ts";
import { parseExposition, samplesOf } from "../observe/parse-exposition.ts";

const lastly: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of lastly.splice(0).reverse()) await c();
});

/** Config A or B: the same upstream and limited route; B changes the api route and adds one. */
function config(be: Backend, variant: "A" | "B", rate = "2/h"): string {
  return withDefaults(`upstreams:
  backend: { endpoints: ["http://${be.authority}"] }
routes:
  - { name: limited, match: { pathPrefix: /limited }, upstream: backend, rateLimit: { rate: ${rate}, burst: 2, key: route } }
  - { name: api, match: { pathPrefix: /api }, upstream: backend, timeout: ${variant === "A" ? "5s" : "6s"} }
${variant === "B" ? "  - { name: extra, match: { pathPrefix: /extra }, upstream: backend }\n" : ""}`);
}

/** The config file keel was started on: the last argument of its command line. */
function configFile(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).at(-1)!;
}

async function metric(keel: KeelChild, family: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const fams = parseExposition(await (await fetch(keel.adminUrl + "/metrics")).text());
  return samplesOf(fams, family).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe("keel run: hot reload", () => {
  let be: Backend;
  let keel: KeelChild;
  let file: string;
  beforeAll(async () => {
    be = startBackend(() => new Response("ok"));
    lastly.push(be.stop);
    keel = await spawnKeel(config(be, "A"), { args: ["--tail-window", "300ms"] });
    lastly.push(() => keel.stop());
    file = configFile(keel.pid);
  });

  test("20 reloads under a light load, alternating two configs: no request fails", async () => {
    let running = true;
    const outcomes = { ok: 0, failed: [] as string[] };
    const loop = async () => {
      while (running) {
        try {
          const res = await fetch(keel.url + "/api/x");
          if (res.status === 200 && (await res.text()) === "ok") outcomes.ok++;
          else outcomes.failed.push(`status ${res.status}`);
        } catch (err) {
          outcomes.failed.push(String(err));
        }
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    for (let n = 1; n <= 20; n++) {
      writeFileSync(file, config(be, n % 2 === 1 ? "B" : "A"));
      if (n % 2 === 1) {
        keel.proc.kill("SIGHUP");
        await keel.waitForOutput(new RegExp(`config reloaded \\(SIGHUP\\) from .*: generation ${n} in`));
      } else {
        const res = await fetch(keel.adminUrl + "/config/reload", { method: "POST" });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { generation: number }).generation).toBe(n);
      }
      await Bun.sleep(20);
    }
    running = false;
    await Promise.all(loops);
    expect(outcomes.failed).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(await metric(keel, "keel_reloads_total", { result: "ok" })).toBe(20);
    expect(await metric(keel, "keel_config_generation")).toBe(20);
    // The last reload's after-window closes 0.3 s later: one tail-gate line per reload.
    await keel.waitForOutput(/reload 20 tail gate \(0\.3 s before \/ after\): p99 \S+ → \S+ ms, p99\.9 \S+ → \S+ ms, \d+ \/ \d+ requests: /);
    expect(await metric(keel, "keel_reload_p99_seconds", { window: "before" })).toBeGreaterThan(0);
    // Old runtimes are closed once nothing uses them (idle now).
    await Bun.sleep(1100);
    expect(await metric(keel, "keel_reload_retiring_runtimes")).toBe(0);
  }, 20_000);

  test("an invalid config: every error at file:line:col in the log and the answer; the old plan keeps serving", async () => {
    writeFileSync(file, config(be, "A").replace("upstream: backend, timeout", "upstream: nowhere, timeout").replace("burst: 2", "burst: -1"));
    keel.proc.kill("SIGHUP");
    await keel.waitForOutput(/reload \(SIGHUP\) refused: 2 errors in .*; the running config is unchanged/);
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(keel.output().match(new RegExp(`^${escaped}:\\d+:\\d+: .*$`, "gm"))?.length).toBeGreaterThanOrEqual(2);
    const res = await fetch(keel.adminUrl + "/config/reload", { method: "POST" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { status: string; errors: { line: number; col: number; text: string }[] };
    expect(body.status).toBe("invalid");
    expect(body.errors.map((e) => e.text)).toEqual(body.errors.map((e) => expect.stringMatching(new RegExp(`^${escaped}:${e.line}:${e.col}: `))));
    expect(await (await fetch(keel.url + "/api/x")).text()).toBe("ok");
    expect(await metric(keel, "keel_reloads_total", { result: "invalid" })).toBe(2);
  });

  test("a rate-limit key table survives a reload that leaves its route unchanged", async () => {
    writeFileSync(file, config(be, "A"));
    expect((await fetch(keel.adminUrl + "/config/reload", { method: "POST" })).status).toBe(200);
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await fetch(keel.url + "/limited")).status);
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    writeFileSync(file, config(be, "B"));
    const res = await fetch(keel.adminUrl + "/config/reload", { method: "POST" });
    expect(((await res.json()) as { kept: { policies: string[] } }).kept.policies).toContain("limited#1");
    expect(await statuses(1)).toEqual([429]);
    writeFileSync(file, config(be, "B", "3/h"));
    expect((await fetch(keel.adminUrl + "/config/reload", { method: "POST" })).status).toBe(200);
    expect(await statuses(3)).toEqual([200, 200, 429]);
  });
});

describe("keel run --watch", () => {
  test("a save that changes the file reloads it; a save that does not, does nothing", async () => {
    const be = startBackend(() => new Response("ok"));
    lastly.push(be.stop);
    const keel = await spawnKeel(config(be, "A"), { args: ["--watch"] });
    lastly.push(() => keel.stop());
    const file = configFile(keel.pid);
    writeFileSync(file, config(be, "B"));
    await keel.waitForOutput(/config reloaded \(watch\) from .*: generation 1 in/);
    expect((await fetch(keel.url + "/extra")).status).toBe(200);
    writeFileSync(file, config(be, "B"));
    await Bun.sleep(400);
    expect(keel.output()).not.toContain("generation 2");
  });
});
