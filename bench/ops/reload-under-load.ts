// Acceptance of hot reload (docs/operations.md, "Reload"): Keel (one process, core 0) in front of
// nginx (core 1), loaded by wrk (core 1) at about half of Keel's measured capacity:
//   1. capacity: wrk -c50 closed loop, no reloads;
//   2. baseline: the paced load, no reloads (its p99 / p99.9 are the reference);
//   3. 100 reloads alternating two valid configs under the same paced load: wrk must see 0 socket
//      errors and 0 non-2xx;
//   4. 1,000 more reloads (one per 20 ms) under the paced load; RSS of the Keel process after a
//      settle, against its RSS after step 3 (also after a settle): within 5 %.
// Run (when the machine is quiet): taskset -c 1 node_modules/.bin/bun bench/ops/reload-under-load.ts
//   [--capacity S] [--baseline S] [--reloads N] [--interval-ms MS] [--many N] [--many-interval-ms MS] [--settle S]
// Raw outputs in bench/.tmp/runs/ops-reload-<time>/; the summary is printed and saved as summary.json.

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { argsOrExit, exitWith, lastLines, portAllocator, rel, runDirName, startBackend } from "../lib/harness.ts";
import { BENCH_DIR, BODY, BUN, ROOT } from "../lib/peers.ts";
import { ForeignCpu, installCleanup, spawnGroup, stopGroup, treeRssMb } from "../lib/procs.ts";
import { runWrk, saveJson, type WrkResult } from "../lib/wrk.ts";

const PATH = "/api/items/42";

interface Args {
  capacity: number; // seconds
  baseline: number; // seconds
  reloads: number; // step 3
  many: number; // step 4
  intervalMs: number; // between step 3's reloads
  manyIntervalMs: number; // between step 4's reloads
  settle: number; // seconds before an RSS sample
}

function parseArgs(argv: string[]): Args {
  const a: Args = { capacity: 10, baseline: 20, reloads: 100, many: 1000, intervalMs: 150, manyIntervalMs: 20, settle: 10 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const n = Number(argv[++i]);
    if (!(n >= 0)) throw new Error(`${flag} needs a number`);
    if (flag === "--capacity") a.capacity = n;
    else if (flag === "--baseline") a.baseline = n;
    else if (flag === "--reloads") a.reloads = n;
    else if (flag === "--many") a.many = n;
    else if (flag === "--interval-ms") a.intervalMs = n;
    else if (flag === "--many-interval-ms") a.manyIntervalMs = n;
    else if (flag === "--settle") a.settle = n;
    else throw new Error(`unknown flag ${flag} (--capacity S --baseline S --reloads N --interval-ms MS --many N --many-interval-ms MS --settle S)`);
  }
  return a;
}

const args = argsOrExit("bench/ops/reload", parseArgs);
const runDir = join(BENCH_DIR, ".tmp", "runs", runDirName("ops-reload-"));
const nextPort = portAllocator(19000);

/** Two valid configs: B adds a route and changes the api route's timeout; the upstream stays. */
function config(variant: "A" | "B", port: number, admin: number, backend: number): string {
  return `listen: { port: ${port}, host: 127.0.0.1 }
admin: { port: ${admin}, host: 127.0.0.1 }
upstreams:
  backend: { endpoints: ["http://127.0.0.1:${backend}"] }
routes:
  - { name: api, match: { pathPrefix: /api }, upstream: backend, timeout: ${variant === "A" ? "5s" : "6s"} }
${variant === "B" ? "  - { name: extra, match: { pathPrefix: /extra, methods: [GET] }, upstream: backend }\n" : ""}`;
}

async function waitReady(url: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { headers: { connection: "close" } });
      if (res.status === 200 && (await res.text()) === BODY) return;
    } catch {
      // not yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

/** RSS (MB) of the Keel process after `seconds` without load: the median of its last three samples, 1 s apart. */
async function settledRss(pid: number, seconds: number, label: string): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < Math.max(3, seconds); i++) {
    await Bun.sleep(1000);
    samples.push(treeRssMb(pid));
  }
  if (process.env.BENCH_VERBOSE) console.log(`  RSS while settling (${label}): ${samples.map((x) => x.toFixed(0)).join(" ")} MB`);
  return samples.slice(-3).sort((a, b) => a - b)[1]!;
}

async function metric(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(adminUrl + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

async function main(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  installCleanup(join(BENCH_DIR, ".tmp", "pgids-ops"));
  const backendPort = nextPort();
  const backend = startBackend(join(runDir, "backend"), backendPort, nextPort());
  await waitReady(`http://127.0.0.1:${backendPort}${PATH}`);

  const port = nextPort();
  const admin = nextPort();
  const adminUrl = `http://127.0.0.1:${admin}`;
  const files = { A: join(runDir, "keel-A.yaml"), B: join(runDir, "keel-B.yaml") };
  writeFileSync(files.A, config("A", port, admin, backendPort));
  writeFileSync(files.B, config("B", port, admin, backendPort));
  const live = join(runDir, "keel.yaml");
  writeFileSync(live, config("A", port, admin, backendPort));
  const keelLog = join(runDir, "keel.log");
  const keel = spawnGroup("keel", ["taskset", "-c", "0", BUN, join(ROOT, "src/cli/main.ts"), "run", "--workers", "1", live], { log: keelLog, cwd: ROOT });
  const url = `http://127.0.0.1:${port}${PATH}`;
  try {
    await waitReady(url);
  } catch (err) {
    exitWith("bench/ops/reload", new Error(`keel did not start: ${lastLines(keelLog)}`));
  }
  console.log(`backend :${backendPort} (core 1), keel :${port} admin :${admin} (core 0); raw outputs in ${rel(runDir)}`);

  const variants = [config("A", port, admin, backendPort), config("B", port, admin, backendPort)];
  let reloadCount = 0;
  const failedReloads: string[] = [];
  const reloadOnce = async () => {
    reloadCount++;
    writeFileSync(live, variants[reloadCount % 2]!);
    const res = await fetch(adminUrl + "/config/reload", { method: "POST" });
    const body = await res.text();
    if (res.status !== 200) failedReloads.push(`${res.status} ${body}`);
  };

  // 1. Capacity (closed loop) and a warm-up.
  await runWrk({ connections: 50, seconds: 3 }, url, join(runDir, "wrk-warmup.txt"));
  const capacity = await runWrk({ connections: 50, seconds: args.capacity }, url, join(runDir, "wrk-capacity.txt"));
  const target = capacity.rps / 2;
  // Each connection sends a request every ~(pause + latency) ms: 10 ms pause, ~1 ms latency at half load.
  const pauseMs = 10;
  const connections = Math.max(1, Math.round((target * (pauseMs + 1)) / 1000));
  const paced = (seconds: number) => ({ connections, seconds, delayMs: pauseMs });
  console.log(`capacity ${capacity.rps.toFixed(0)} rps (wrk -c50, ${args.capacity} s); paced load: ${connections} connections × 1 request per ${pauseMs} ms + latency ≈ ${target.toFixed(0)} rps`);

  // 2. Baseline: the paced load without reloads.
  const foreignBase = new ForeignCpu();
  const baseline = await runWrk(paced(args.baseline), url, join(runDir, "wrk-baseline.txt"), () => foreignBase.sample());
  const rssStart = await settledRss(keel.pid, args.settle, "baseline");

  // 3. N reloads, one per intervalMs, under the same load.
  const stepSeconds = Math.ceil((3000 + args.reloads * args.intervalMs) / 1000) + 3;
  const foreignStep = new ForeignCpu();
  const underReloads = runWrk(paced(stepSeconds), url, join(runDir, "wrk-reloads.txt"), () => foreignStep.sample());
  await Bun.sleep(3000);
  const t0 = performance.now();
  for (let i = 0; i < args.reloads; i++) {
    await reloadOnce();
    await Bun.sleep(args.intervalMs);
  }
  const stepReloadSeconds = (performance.now() - t0) / 1000;
  const withReloads = await underReloads;
  console.log(`${args.reloads} reloads in ${stepReloadSeconds.toFixed(1)} s under load: wrk ${withReloads.requests} requests, errors ${JSON.stringify(withReloads.errors)}`);
  const rssBefore = await settledRss(keel.pid, args.settle, "reloads");
  const heapBefore = await metric(adminUrl, "keel_process_heap_bytes");

  // 4. Many more reloads under load; then RSS after a settle.
  const manyRun = runWrk(paced(Math.ceil((args.many * (args.manyIntervalMs + 2)) / 1000) + 5), url, join(runDir, "wrk-many.txt"));
  await Bun.sleep(2000);
  const t1 = performance.now();
  for (let i = 0; i < args.many; i++) {
    await reloadOnce();
    await Bun.sleep(args.manyIntervalMs);
  }
  const manySeconds = (performance.now() - t1) / 1000;
  const many = await manyRun;
  const retiringAtEnd = await metric(adminUrl, "keel_reload_retiring_runtimes");
  const rssAfter = await settledRss(keel.pid, args.settle, "many");
  const heapAfter = await metric(adminUrl, "keel_process_heap_bytes");
  const retiringSettled = await metric(adminUrl, "keel_reload_retiring_runtimes");
  const generation = await metric(adminUrl, "keel_config_generation");

  await stopGroup(keel);
  await stopGroup(backend.child);

  const p = (w: WrkResult) => ({ rps: Math.round(w.requests / w.seconds), p50: w.p50, p99: w.p99, p999: w.p999, max: w.max, requests: w.requests, errors: w.errors });
  const summary = {
    date: new Date().toISOString(),
    capacityRps: Math.round(capacity.rps),
    pacedConnections: connections,
    baseline: p(baseline),
    reloads: { count: args.reloads, seconds: stepReloadSeconds, ...p(withReloads) },
    many: { count: args.many, seconds: manySeconds, ...p(many) },
    failedReloads: failedReloads.length,
    generation,
    rssMb: { start: rssStart, before: rssBefore, after: rssAfter, change: (rssAfter / rssBefore - 1) * 100 },
    heapMb: { before: heapBefore / 2 ** 20, after: heapAfter / 2 ** 20 },
    retiringRuntimes: { atEnd: retiringAtEnd, settled: retiringSettled },
    otherProcessesCores: { baseline: foreignBase.cores(), reloads: foreignStep.cores() },
    pass: withReloads.errorTotal === 0 && many.errorTotal === 0 && failedReloads.length === 0 && Math.abs(rssAfter / rssBefore - 1) <= 0.05,
  };
  saveJson(join(runDir, "summary.json"), summary);
  const f = (x: number) => x.toFixed(2);
  console.log(`
capacity: ${summary.capacityRps} rps; paced load ≈ ${summary.baseline.rps} rps (${connections} connections)
baseline (no reloads, ${args.baseline} s):     p50 ${f(baseline.p50)} p99 ${f(baseline.p99)} p99.9 ${f(baseline.p999)} max ${f(baseline.max)} ms, ${baseline.requests} requests, ${baseline.errorTotal} errors
${args.reloads} reloads (one per ${args.intervalMs} ms):   p50 ${f(withReloads.p50)} p99 ${f(withReloads.p99)} p99.9 ${f(withReloads.p999)} max ${f(withReloads.max)} ms, ${withReloads.requests} requests, socket errors ${withReloads.errors.connect + withReloads.errors.read + withReloads.errors.write + withReloads.errors.timeout}, non-2xx ${withReloads.errors.status}
${args.many} reloads (one per ${args.manyIntervalMs} ms, ${manySeconds.toFixed(1)} s): p99 ${f(many.p99)} p99.9 ${f(many.p999)} ms, ${many.requests} requests, socket errors ${many.errors.connect + many.errors.read + many.errors.write + many.errors.timeout}, non-2xx ${many.errors.status}
failed reloads: ${failedReloads.length}; generation ${generation}; runtimes not yet closed: ${retiringAtEnd} at the end, ${retiringSettled} after the settle
RSS (settled): ${f(rssStart)} MB after the baseline, ${f(rssBefore)} MB after ${args.reloads} reloads, ${f(rssAfter)} MB after ${args.many} more (${summary.rssMb.change >= 0 ? "+" : ""}${summary.rssMb.change.toFixed(1)} %); heap ${f(summary.heapMb.before)} → ${f(summary.heapMb.after)} MB
other processes: ${f(summary.otherProcessesCores.baseline)} / ${f(summary.otherProcessesCores.reloads)} cores during baseline / reloads
${summary.pass ? "PASS" : "FAIL"}: 0 socket errors and 0 non-2xx under reloads, RSS within 5 %
summary: ${rel(join(runDir, "summary.json"))}`);
  if (failedReloads.length > 0) console.log(`first failed reload: ${failedReloads[0]}`);
}

await main().catch((err) => exitWith("bench/ops/reload", err));
