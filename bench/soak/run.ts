// The soak (issue 7 item 1; bench/soak/README.md): Keel on core 0 with routing, limits,
// normalisation and metrics on (keel-soak.yaml), the nginx backend and wrk on core 1; a saturating
// burst against a first Keel measures capacity, then wrk offers half of it to a fresh Keel in
// consecutive 10 s windows for --minutes.
// After each window: Keel's RSS (/proc, the median of 1 s samples), heap (/metrics), the window's p99/p99.9, errors and
// problems. Verdict: RSS after the first minute within ±5% of its 1-minute value, no failed
// request the scenario did not cause, nothing left in flight. Writes results.json, chart.svg and
// summary.md into --out; --record puts the figures into docs/reliability.md and the chart into
// docs/soak.svg. Exit 1 on a failed verdict.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { argsOrExit, exitWith, lastLines, portAllocator, quote, rel, runDirName, shell, startBackend, startPinned, waitUntilReady, type Pinned } from "../lib/harness.ts";
import { BUN, ROOT } from "../lib/peers.ts";
import { ForeignCpu, installCleanup, stopGroup, treeRssMb } from "../lib/procs.ts";
import type { WrkResult } from "../lib/wrk.ts";
import { parseSoakArgs } from "./args.ts";
import { renderChart } from "./chart.ts";
import { connectionsFor, initialDelayMs, nextDelayMs } from "./pacer.ts";
import { chartPanels, putSoakRecord, recordBlock, summaryMarkdown, type SoakMeta } from "./report.ts";
import { judge, type Sample } from "./verdict.ts";
import { runWindow, windowCommand, windowEnv, type WindowRun } from "./wrk-window.ts";

const SOAK_DIR = import.meta.dir;
const CONFIG = join(SOAK_DIR, "keel-soak.yaml");
const WINDOW_S = 10;
const BASELINE_S = 60;
/** Targets in turn: query normalisation, path normalisation (dot segments), JSON rules on 1 KB. */
const PATHS = ["/api/v1/items/42?b=2&a=1&utm_source=soak", "/api/v1/./users/../users/7", "/json/user-1k.json"] as const;

const args = argsOrExit("bench/soak", parseSoakArgs);
const fail = (err: unknown): never => exitWith("bench/soak", err);

for (const cmd of ["wrk", "nginx", "taskset"]) {
  if (Bun.spawnSync(["sh", "-c", `command -v ${cmd}`]).exitCode !== 0) fail(new Error(`${cmd} is missing (apt-get install -y wrk nginx util-linux)`));
}
// The driver keeps off core 0: that core is Keel's.
Bun.spawnSync(["taskset", "-a", "-p", "-c", "1", String(process.pid)], { stdout: "ignore", stderr: "ignore" });

const outDir = resolve(args.out ?? join(SOAK_DIR, "results", runDirName()));
mkdirSync(outDir, { recursive: true });
mkdirSync(join(SOAK_DIR, "results"), { recursive: true });
installCleanup(join(SOAK_DIR, "results", ".pgids"));
const nextPort = portAllocator(19700);

const loadAvg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const get = (url: string) => fetch(url, { headers: { connection: "close" }, signal: AbortSignal.timeout(2000) });

interface Keel extends Pinned {
  baseUrl: string;
  adminUrl: string;
  log: string;
}

/** Keel on core 0 with the soak config, once /readyz is 200 and every target answers 200. */
async function startKeel(name: string, backendPort: number): Promise<Keel> {
  const port = nextPort();
  const adminPort = nextPort();
  const env = { KEEL_PORT: String(port), KEEL_ADMIN_PORT: String(adminPort), BACKEND_PORT: String(backendPort) };
  const log = join(outDir, `${name}.log`);
  const keel: Keel = { ...startPinned(name, 0, [BUN, join(ROOT, "src/cli/main.ts"), "run", CONFIG], env, log), baseUrl: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}`, log };
  const ready = await waitUntilReady(keel.child, async () => {
    if ((await get(`${keel.adminUrl}/readyz`)).status !== 200) return false;
    for (const p of PATHS) {
      const res = await get(keel.baseUrl + p);
      const body = await res.text();
      if (res.status !== 200) return false;
      if (p.startsWith("/json/") && !body.includes('"userName"')) throw new Error(`the JSON rules did not apply: ${body.slice(0, 120)}`);
    }
    return true;
  });
  if (!ready) {
    await stopGroup(keel.child);
    throw new Error(`${name} did not start or answer on every target; last lines of ${rel(log)}:\n${lastLines(log)}`);
  }
  return keel;
}

interface Scrape {
  heapMb: number | null;
  /** keel_problems_total over every route and code except KEEL_CLIENT_CLOSED. */
  problems: number;
  inFlight: number;
}

/** The few /metrics series the soak reads; null when the admin port does not answer. */
async function scrape(adminUrl: string): Promise<Scrape | null> {
  try {
    const text = await (await get(`${adminUrl}/metrics`)).text();
    let heap: number | null = null;
    let problems = 0;
    let inFlight = 0;
    for (const line of text.split("\n")) {
      const sp = line.lastIndexOf(" ");
      const value = Number(line.slice(sp + 1));
      if (line.startsWith("keel_process_heap_bytes ")) heap = value / 1024 / 1024;
      else if (line.startsWith("keel_requests_in_flight ")) inFlight = value;
      // A client that leaves is wrk closing its connections at the end of a window: on purpose.
      else if (line.startsWith("keel_problems_total{") && !line.includes('"KEEL_CLIENT_CLOSED"')) problems += value;
    }
    return { heapMb: heap, problems, inFlight };
  } catch {
    return null;
  }
}

function gitDescribe(): string {
  const sha = Bun.spawnSync(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "-C", ROOT, "status", "--porcelain", "--", "src"]).stdout.toString().trim();
  return `${sha}${dirty ? " (src/ has uncommitted changes)" : ""}`;
}

const mb = (x: number) => x.toFixed(1);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const msFmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

async function main(): Promise<number> {
  const loadStart = loadAvg();
  console.log(`soak: ${args.minutes} min paced; load average now ${loadStart} (${cpus().length} cores, shared); results in ${rel(outDir)}`);

  // ---- backend (nginx, core 1) and Keel (core 0)
  const backendPort = nextPort();
  const backend = startBackend(join(outDir, "backend"), backendPort, nextPort());
  let keel: Keel | null = null;
  try {
    // ---- capacity: a Keel of its own (its saturated memory must not be the soak's baseline),
    // a warm-up, then a saturating burst with the same mix
    const sat: WindowRun = { connections: 50, seconds: 5, delayMs: 0, paths: PATHS, clients: args.clients };
    let capacity: WrkResult | null = null;
    if (args.rps === null) {
      const probe = await startKeel("keel-capacity", backendPort);
      try {
        await runWindow({ ...sat, seconds: 3 }, probe.baseUrl, join(outDir, "wrk-warmup.txt"));
        capacity = await runWindow(sat, probe.baseUrl, join(outDir, "wrk-capacity.txt"));
      } finally {
        await stopGroup(probe.child);
      }
      console.log(`capacity: ${capacity.rps.toFixed(0)} rps saturated (p99 ${msFmt(capacity.p99)} ms, ${capacity.errorTotal} errors)`);
    }
    // ---- the soak's Keel, fresh: the first minute of paced load is its warm-up
    const soak = await startKeel("keel", backendPort);
    keel = soak;
    const { baseUrl, adminUrl, log: keelLog } = soak;
    const targetRps = args.rps ?? Math.max(1, Math.round(capacity!.rps / 2));
    const connections = connectionsFor(targetRps);
    let delayMs = initialDelayMs(targetRps, connections);
    console.log(`paced: ${targetRps} rps target, wrk -t1 -c${connections}, windows of ${WINDOW_S} s`);

    // ---- the paced run, one wrk per 10 s window
    const windows = Math.max(1, Math.round((args.minutes * 60) / WINDOW_S));
    const samples: Sample[] = [];
    const meta: SoakMeta = {
      date: new Date().toISOString(),
      keel: gitDescribe(),
      command: `npm run soak${Bun.argv.length > 2 ? ` -- ${Bun.argv.slice(2).map(quote).join(" ")}` : ""}`,
      machine: `${cpus().length} cores, ${/model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown"}, Linux ${release()}`,
      minutes: args.minutes,
      capacityRps: capacity === null ? null : Math.round(capacity.rps),
      targetRps,
      connections,
      clients: args.clients,
      paths: PATHS,
      config: rel(CONFIG),
      loadAvgStart: loadStart,
      loadAvgEnd: "",
      foreignCores: 0,
      maxDriftPct: args.maxDriftPct,
      outDir: rel(outDir),
      commands: [
        ["backend (nginx)", backend.command],
        ["keel", soak.command],
        ["capacity burst (5 s, after a 3 s warm-up, against a Keel of its own)", shell(windowCommand(sat, baseUrl), windowEnv(sat))],
        ["each paced window (SOAK_DELAY_MS is corrected after every window)", shell(windowCommand({ ...sat, connections, seconds: WINDOW_S, delayMs }, baseUrl), windowEnv({ ...sat, connections, seconds: WINDOW_S, delayMs }))],
      ],
    };
    let problemsSoFar = (await scrape(adminUrl))?.problems ?? 0;
    const t0 = performance.now();
    for (let w = 0; w < windows; w++) {
      const run: WindowRun = { connections, seconds: WINDOW_S, delayMs, paths: PATHS, clients: args.clients };
      const foreign = new ForeignCpu();
      const rss: number[] = [];
      const wrk = await runWindow(run, baseUrl, join(outDir, `wrk-window-${String(w + 1).padStart(3, "0")}.txt`), () => {
        rss.push(treeRssMb(soak.child.pid));
        foreign.sample();
      });
      if (soak.child.exited) throw new Error(`keel exited during window ${w + 1}; last lines of ${rel(keelLog)}:\n${lastLines(keelLog)}`);
      rss.push(treeRssMb(soak.child.pid));
      // The window's median: one sample would land anywhere on the collector's sawtooth, and the
      // drift verdict is about a trend, not where a collection happened to be.
      const rssMb = median(rss);
      const m = await scrape(adminUrl);
      const problems = m === null ? 0 : m.problems - problemsSoFar;
      if (m !== null) problemsSoFar = m.problems;
      const s: Sample = {
        t: (performance.now() - t0) / 1000,
        requests: wrk.requests,
        rps: wrk.requests / wrk.seconds,
        p50: wrk.p50,
        p99: wrk.p99,
        p999: wrk.p999,
        max: wrk.max,
        errors: wrk.errors,
        problems,
        rssMb,
        rssPeakMb: Math.max(...rss),
        rssSamplesMb: rss.map((x) => +x.toFixed(2)),
        heapMb: m?.heapMb ?? null,
        delayMs,
        foreignCores: foreign.cores(),
      };
      samples.push(s);
      console.log(
        `[${s.t.toFixed(0).padStart(4)} s] ${s.rps.toFixed(0)} rps  p99 ${msFmt(s.p99)}  p99.9 ${msFmt(s.p999)} ms  errors ${wrk.errorTotal}  problems ${problems}  RSS ${mb(s.rssMb)} MB  heap ${s.heapMb === null ? "?" : mb(s.heapMb)} MB  others ${s.foreignCores.toFixed(2)} cores`,
      );
      delayMs = nextDelayMs(targetRps, connections, delayMs, s.rps);
      writeFileSync(join(outDir, "results.json"), JSON.stringify({ meta, capacity, samples }, null, 2) + "\n");
    }

    // ---- after the load: every guard back to 0
    let leftInFlight = -1;
    for (let i = 0; i < 30; i++) {
      leftInFlight = (await scrape(adminUrl))?.inFlight ?? -1;
      if (leftInFlight === 0) break;
      await Bun.sleep(100);
    }
    meta.loadAvgEnd = loadAvg();
    meta.foreignCores = samples.reduce((a, s) => a + s.foreignCores, 0) / samples.length;
    const verdict = judge(samples, Math.max(0, leftInFlight), { maxDriftPct: args.maxDriftPct, baselineS: BASELINE_S });
    if (leftInFlight < 0) {
      verdict.reasons.push("the admin port did not answer after the load");
      verdict.ok = false;
    }

    const subtitle = [
      `${meta.date.slice(0, 16).replace("T", " ")} UTC · keel ${meta.keel} · ${targetRps} rps offered for ${args.minutes} min`,
      `${verdict.ok ? "PASS" : "FAIL"}: RSS drift after 1 min ${verdict.driftPct === null ? "not judged" : `${verdict.driftPct.toFixed(2)}%`} (limit ${args.maxDriftPct}%), ${verdict.failures} failures · load average ${meta.loadAvgStart} at the start`,
    ];
    const svg = renderChart("Keel soak: RSS and tail latency over time", subtitle, chartPanels(samples, verdict, args.maxDriftPct), "minutes since the paced run started");
    writeFileSync(join(outDir, "chart.svg"), svg);
    writeFileSync(join(outDir, "results.json"), JSON.stringify({ meta, capacity, samples, verdict }, null, 2) + "\n");
    writeFileSync(join(outDir, "summary.md"), summaryMarkdown(meta, samples, verdict));
    if (args.record) {
      const doc = join(ROOT, "docs", "reliability.md");
      // Read right before writing: other sections of this file are someone else's.
      const before = existsSync(doc) ? readFileSync(doc, "utf8") : "";
      writeFileSync(doc, putSoakRecord(before, recordBlock(meta, samples, verdict)));
      copyFileSync(join(outDir, "chart.svg"), join(ROOT, "docs", "soak.svg"));
      console.log(`recorded in docs/reliability.md (## Soak) and docs/soak.svg`);
    }
    console.log(
      `\n${verdict.ok ? "PASS" : "FAIL"}: RSS drift ${verdict.driftPct === null ? "not judged (< 2 min)" : `${verdict.driftPct.toFixed(2)}% (limit ${args.maxDriftPct}%)`}, ${verdict.failures} failures, ${verdict.leftInFlight} left in flight${verdict.reasons.length ? `\n  ${verdict.reasons.join("\n  ")}` : ""}\n${rel(join(outDir, "summary.md"))}`,
    );
    return verdict.ok ? 0 : 1;
  } finally {
    await Promise.all([keel === null ? null : stopGroup(keel.child), stopGroup(backend.child)]);
  }
}

// Exit at once: Bun would otherwise wait for the last keep-alive fetch sockets to time out.
main().then((code) => process.exit(code), fail);
