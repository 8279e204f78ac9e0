// `keel run --workers 2` as a real process tree: both workers serve the shared port, the
// supervisor's /metrics sums them and /readyz waits for all; a worker killed with SIGKILL under
// load is restarted and no request on the other worker's connections fails; SIGHUP reloads every
// worker; SIGTERM drains them all and exits 0.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { KeepAliveLoad } from "../../bench/ops/keepalive-load.ts";
import type { DashboardData } from "../../src/observe/series/dashboard-data.ts";
import { startBackend } from "../support/backend.ts";
import { runCli, spawnKeel, tempConfig, type KeelChild } from "../support/child.ts";
import { oneRoute, waitFor, withDefaults } from "../support/gateway.ts";
import { parseExposition, samplesOf } from "../observe/parse-exposition.ts";

const cleanups: (() => unknown)[] = [];
const lastly: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  for (const c of lastly.splice(0).reverse()) await c();
});

interface WorkerInfo {
  worker: number;
  pid: number;
  state: string;
  restarts: number;
}

async function workers(keel: KeelChild): Promise<{ status: number; workers: WorkerInfo[] }> {
  const res = await fetch(keel.adminUrl + "/readyz");
  return { status: res.status, workers: ((await res.json()) as { workers: WorkerInfo[] }).workers };
}

async function metric(keel: KeelChild, family: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const fams = parseExposition(await (await fetch(keel.adminUrl + "/metrics")).text());
  const name = fams.has(family) ? family : family.replace(/_(bucket|sum|count)$/, "");
  return samplesOf(fams, name).find((s) => s.name === family && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Keel with two workers tagging responses, in front of a backend answering "ok"; stopped by `until`'s hooks. */
async function startTwo(until: (() => unknown)[] = cleanups): Promise<KeelChild> {
  const be = startBackend(() => new Response("ok"));
  until.push(be.stop);
  const keel = await spawnKeel(oneRoute([be.authority]), { workers: 2, args: ["--debug-worker-header"] });
  until.push(() => keel.stop());
  await waitFor(async () => (await workers(keel)).status === 200, 10_000, "both workers ready");
  return keel;
}

describe("keel run --workers 2", () => {
  // One process tree for the first three tests (in this order): a start costs ~1 s of CPU here.
  let keel!: KeelChild;
  beforeAll(async () => {
    keel = await startTwo(lastly);
  });

  test("both workers serve the one port; /metrics sums them; per-worker gauges", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60 && seen.size < 2; i++) {
      const res = await fetch(keel.url + "/x", { headers: { connection: "close" } });
      expect(res.status).toBe(200);
      const w = res.headers.get("x-keel-worker")!;
      seen.set(w, (seen.get(w) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(["0", "1"]);
    const served = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(await metric(keel, "keel_requests_total", { route: "main", status_class: "2xx" })).toBe(served);
    expect(await metric(keel, "keel_request_duration_seconds_count", { route: "main" })).toBe(served);
    expect(await metric(keel, "keel_workers")).toBe(2);
    for (const w of ["0", "1"]) {
      expect(await metric(keel, "keel_worker_up", { worker: w })).toBe(1);
      expect(await metric(keel, "keel_worker_resident_memory_bytes", { worker: w })).toBeGreaterThan(1e6);
    }
    const ready = await workers(keel);
    expect(ready.workers.map((w) => w.state)).toEqual(["up", "up"]);
    // The dashboard's document is the two workers' together, not worker 0's share.
    const res = await fetch(keel.adminUrl + "/dashboard/data");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-keel-workers")).toBe("0,1");
    const doc = (await res.json()) as DashboardData;
    expect(doc.statusClasses.find((r) => r.statusClass === "2xx")?.sinceStart).toBe(served);
    expect(doc.routes.map((r) => r.name)).toContain("main");
    expect((await fetch(keel.adminUrl + "/dashboard")).headers.get("content-type")).toContain("text/html");
  });

  test("a second Keel in workers mode on the same port fails to start instead of sharing it", async () => {
    const cfg = tempConfig(`listen: { port: ${keel.port}, host: 127.0.0.1 }\nadmin: false\n` + oneRoute(["127.0.0.1:9"]));
    cleanups.push(cfg.remove);
    const r = await runCli(["run", "--workers", "2", cfg.file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`keel: cannot start: 127.0.0.1:${keel.port}:`);
    expect(r.stderr).toContain("EADDRINUSE");
  });

  test("SIGHUP: the supervisor validates once and every worker reloads; an invalid file changes nothing", async () => {
    const path = processArgsFile(keel.pid);
    const backend = startBackend(() => new Response("second"));
    lastly.push(backend.stop); // the next test runs on this config
    writeFileSync(path, withDefaults(oneRoute([backend.authority])));
    keel.proc.kill("SIGHUP");
    await keel.waitForOutput(/config reloaded \(SIGHUP\) from .*: generation 1 in 2 workers/);
    for (let i = 0; i < 10; i++) expect(await (await fetch(keel.url + "/x", { headers: { connection: "close" } })).text()).toBe("second");
    expect(await metric(keel, "keel_reloads_total", { result: "ok" })).toBe(1);
    expect(await metric(keel, "keel_config_generation")).toBe(1);

    writeFileSync(path, withDefaults(oneRoute([backend.authority]).replace("upstream: backend", "upstream: nowhere")));
    const res = await fetch(keel.adminUrl + "/config/reload", { method: "POST" });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: { text: string }[] };
    expect(body.errors[0]!.text).toMatch(new RegExp(`^${path}:\\d+:\\d+: `));
    await keel.waitForOutput(new RegExp(`${path}:\\d+:\\d+: `));
    expect(await (await fetch(keel.url + "/x")).text()).toBe("second");
    expect(await metric(keel, "keel_reloads_total", { result: "invalid" })).toBe(1);
  });

  test("SIGKILL of one worker under load: it is restarted, the other worker's requests never fail", async () => {
    const load = new KeepAliveLoad({ port: keel.port, connections: 16, requestsPerConnection: 5 });
    load.start();
    cleanups.push(() => load.stop());
    await waitFor(() => (load.stats.byWorker["0"]?.ok ?? 0) > 50 && (load.stats.byWorker["1"]?.ok ?? 0) > 50, 10_000, "load on both workers");
    const before = await workers(keel);
    const victim = before.workers[1]!;
    const killedAt = performance.now();
    process.kill(victim.pid, "SIGKILL");
    await keel.waitForOutput(new RegExp(`worker 1 \\(pid ${victim.pid}\\) killed by SIGKILL; restarting in \\d+ ms`));
    await waitFor(async () => {
      const w = (await workers(keel)).workers[1]!;
      return w.state === "up" && w.pid !== victim.pid;
    }, 10_000, "worker 1 restarted");
    const servedBy1 = load.stats.byWorker["1"]?.ok ?? 0;
    await waitFor(() => (load.stats.byWorker["1"]?.ok ?? 0) > servedBy1 + 20, 10_000, "the new worker 1 serving");
    const stats = await load.stop();
    // Worker 0 never failed a request; whatever failed did so after the kill (on worker 1's connections).
    expect(stats.byWorker["0"]!.ok).toBeGreaterThan(100);
    expect(stats.byWorker["0"]!.failed).toBe(0);
    for (const t of stats.failureTimes) expect(t).toBeGreaterThanOrEqual(killedAt);
    expect(stats.failed).toBe((stats.byWorker["1"]?.failed ?? 0) + stats.unattributed);
    const after = await workers(keel);
    expect(after.workers[1]!.restarts).toBe(1);
    expect(await metric(keel, "keel_worker_restarts_total", { worker: "1" })).toBe(1);
    // Counters survive the restart: the sum holds at least what worker 0 alone served.
    expect(await metric(keel, "keel_requests_total", { route: "main", status_class: "2xx" })).toBeGreaterThanOrEqual(stats.byWorker["0"]!.ok);
    console.log(`worker kill under load: ${stats.ok} ok; failed: worker 0 ${stats.byWorker["0"]!.failed}, worker 1 ${stats.byWorker["1"]?.failed ?? 0}, unattributed ${stats.unattributed}`);
  }, 30_000);

  test("SIGTERM drains every worker and the supervisor exits 0", async () => {
    const keel = await startTwo();
    const pids = (await workers(keel)).workers.map((w) => w.pid);
    keel.proc.kill("SIGTERM");
    expect(await keel.exited).toBe(0);
    expect(keel.output()).toContain("keel: stopped");
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});

/** The config file keel was started on: the last argument of its command line. */
function processArgsFile(pid: number): string {
  const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  return args.at(-1)!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
