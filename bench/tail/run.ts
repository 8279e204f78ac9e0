// Tail-control scenarios (bench/tail/README.md): two Bun backends on core 1 where 1% of responses
// are 50 ms late; Keel on core 0 with hedging off, then on, under the same paced wrk load (core 1);
// then a retry storm (backend A answers 503 to everything) against the upstream's retry budget.
// Writes a `<!-- scenario:tail -->` section into bench/RESULTS.md (bench/.tmp/RESULTS-tail-smoke.md
// with --smoke).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join, resolve } from "node:path";
import { BENCH_DIR, BODY, BUN, ROOT } from "../lib/peers.ts";
import { ForeignCpu, installCleanup, stopGroup } from "../lib/procs.ts";
import { putScenarioBlock } from "../lib/report.ts";
import { cpuBusy, cpuSnap, runWrk, saveJson, wrkCommand, wrkEnv, type WrkResult, type WrkRun } from "../lib/wrk.ts";
import { renderTail, type Counts, type HedgeRun, type StormRun, type TailMeta } from "./report.ts";
import { argsOrExit, exitWith, lastLines, portAllocator, quote, readFlags, rel, runDirName, shell, startPinned, type Pinned, waitUntilReady } from "../lib/harness.ts";

const TAIL_DIR = import.meta.dir;
const PATH = "/api/items/42?fields=id,name";
/** After wrk stops, requests it left in flight (and slow 50 ms answers) settle before counts are read. */
const SETTLE_MS = 300;

const USAGE = `usage: bash bench/tail/run.sh [flags]     (or: npm run bench:tail -- [flags])
  --paced SECONDS       paced run per hedging phase (default 64: ≈ 75k samples at ≈ 1.2k rps)
  --storm SECONDS       paced run of the retry storm (default 20)
  --warmup SECONDS      paced warm-up before each measured run (default 10; the hedge percentile
                        needs recent latencies)
  --connections N       wrk connections (default 25)
  --pause MS            pause per connection between requests (default 20): ≈ N / pause rps
  --delay-ms MS         a slow backend response is this late (default 50)
  --delay-p P           share of slow backend responses (default 0.01)
  --seed N              backend A's PRNG seed, B's is N+1 (default 1)
  --only a,b            phases: off, on, storm (default all three)
  --quiet-wait SECONDS  before each phase, wait up to this long for other jobs to use < 10% of a
                        core (default 60; 0 = no wait)
  --smoke               ~5 s per phase, writes bench/.tmp/RESULTS-tail-smoke.md
  --out FILE            where the scenario section goes (default bench/RESULTS.md)`;

interface Args {
  paced: number;
  storm: number;
  warmup: number;
  connections: number;
  pause: number;
  delayMs: number;
  delayP: number;
  seed: number;
  only: string[];
  quietWait: number;
  smoke: boolean;
  out: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { paced: 64, storm: 20, warmup: 10, connections: 25, pause: 20, delayMs: 50, delayP: 0.01, seed: 1, only: ["off", "on", "storm"], quietWait: 60, smoke: false, out: null };
  const explicit = readFlags(argv, USAGE, (f) => {
    switch (f.name) {
      case "--paced": a.paced = f.num(1); break;
      case "--storm": a.storm = f.num(1); break;
      case "--warmup": a.warmup = f.num(1); break;
      case "--connections": a.connections = Math.round(f.num(1)); break;
      case "--pause": a.pause = f.num(1); break;
      case "--delay-ms": a.delayMs = f.num(0); break;
      case "--delay-p": a.delayP = f.num(0, 1); break;
      case "--seed": a.seed = Math.round(f.num(0)); break;
      case "--quiet-wait": a.quietWait = f.num(0); break;
      case "--smoke": a.smoke = true; break;
      case "--out": a.out = f.value(); break;
      case "--only": {
        a.only = f.value().split(",").map((s) => s.trim()).filter(Boolean);
        const bad = a.only.filter((p) => !["off", "on", "storm"].includes(p));
        if (bad.length || !a.only.length) throw new Error(`--only: phases are off, on, storm (got "${bad.join(",")}")`);
        break;
      }
      default:
        return false;
    }
    return true;
  });
  if (a.smoke) {
    if (!explicit.has("--paced")) a.paced = 5;
    if (!explicit.has("--storm")) a.storm = 5;
    if (!explicit.has("--warmup")) a.warmup = 2;
    if (!explicit.has("--quiet-wait")) a.quietWait = 0;
  }
  return a;
}

const fail = (err: unknown): never => exitWith("bench/tail", err);
const args = argsOrExit("bench/tail", parseArgs);
const tmp = join(BENCH_DIR, ".tmp");
const runDir = join(tmp, "runs", runDirName("tail-"));

const nextPort = portAllocator(18600);



const get = (url: string) => fetch(url, { headers: { connection: "close" }, signal: AbortSignal.timeout(1000) });

// ---- backends

interface Backend extends Pinned {
  name: string;
  port: number;
  count(): Promise<Counts>;
}

async function startBackend(name: string, env: Record<string, string>): Promise<Backend> {
  const dir = join(runDir, `backend-${name}`);
  mkdirSync(dir, { recursive: true });
  const port = nextPort();
  const s = startPinned(`backend-${name}`, 1, [BUN, join(TAIL_DIR, "backend.ts")], { BACKEND_PORT: String(port), ...env }, join(dir, "process.log"));
  const countUrl = `http://127.0.0.1:${port}/__count`;
  const count = async (): Promise<Counts> => (await (await get(countUrl)).json()) as Counts;
  if (!(await waitUntilReady(s.child, async () => (await get(countUrl)).status === 200))) {
    throw new Error(`backend ${name} did not start:\n${lastLines(s.log)}`);
  }
  return { ...s, name, port, count };
}

const minus = (a: Counts, b: Counts): Counts => ({ served: a.served - b.served, delayed: a.delayed - b.delayed, failed: a.failed - b.failed });

// ---- Keel

interface Keel extends Pinned {
  url: string;
  adminUrl: string;
}

async function startKeel(phase: string, config: string, a: Backend, b: Backend, expectBody: boolean): Promise<Keel> {
  const dir = join(runDir, phase);
  mkdirSync(dir, { recursive: true });
  const port = nextPort();
  const admin = nextPort();
  const env = { KEEL_PORT: String(port), KEEL_ADMIN_PORT: String(admin), BACKEND_A_PORT: String(a.port), BACKEND_B_PORT: String(b.port) };
  const s = startPinned(`keel-${phase}`, 0, [BUN, join(ROOT, "src/cli/main.ts"), "run", config], env, join(dir, "process.log"));
  const keel = { ...s, url: `http://127.0.0.1:${port}${PATH}`, adminUrl: `http://127.0.0.1:${admin}` };
  // Ready = /readyz says so and a request goes through (the storm's backend A answers 503: any answer will do).
  const ok = await waitUntilReady(s.child, async () => {
    if ((await get(`${keel.adminUrl}/readyz`)).status !== 200) return false;
    const res = await get(keel.url);
    const text = await res.text();
    return expectBody ? res.status === 200 && text === BODY : res.status > 0;
  });
  if (!ok) {
    await stopGroup(s.child);
    throw new Error(`keel (${phase}) did not start or answer; last lines of ${rel(s.log)}:\n${lastLines(s.log)}`);
  }
  return keel;
}

/** Metric families about hedges, retries and upstream errors; whatever the gateway exposes today. */
const METRIC_FAMILY = /^keel_(hedge|retr|breaker|outlier|upstream_errors)/;

async function metricLines(keel: Keel): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    const text = await (await get(`${keel.adminUrl}/metrics`)).text();
    for (const line of text.split("\n")) {
      if (!METRIC_FAMILY.test(line)) continue;
      const sp = line.lastIndexOf(" ");
      out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
    }
  } catch {
    // admin gone: no lines
  }
  return out;
}

/**
 * "series value (+delta)" for every non-zero line after the run, delta against before when it
 * existed; series still at 0 are summed up in one line per family.
 */
function metricDelta(before: Map<string, number>, after: Map<string, number>): string[] {
  const lines: string[] = [];
  const zero = new Map<string, number>();
  for (const [k, v] of after) {
    if (v === 0) {
      const family = k.replace(/\{.*$/, "");
      zero.set(family, (zero.get(family) ?? 0) + 1);
      continue;
    }
    const b = before.get(k);
    lines.push(b === undefined ? `${k} ${v}` : `${k} ${v} (during the measured run: ${v - b >= 0 ? "+" : ""}${+(v - b).toFixed(6)})`);
  }
  for (const [family, count] of zero) lines.push(`${family}: ${count} more series, all 0`);
  return lines;
}

// ---- phases

/** Waits (at most args.quietWait s) for 2 s in which other jobs use < 10% of a core. Returns seconds waited. */
async function waitQuiet(): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < args.quietWait * 1000) {
    const foreign = new ForeignCpu();
    for (let i = 0; i < 4; i++) {
      await Bun.sleep(500);
      foreign.sample();
    }
    if (foreign.cores() < 0.1) break;
  }
  return (Date.now() - t0) / 1000;
}

const warmup: WrkRun = { connections: args.connections, seconds: args.warmup, delayMs: args.pause };
const paced: WrkRun = { connections: args.connections, seconds: args.paced, delayMs: args.pause };
const storm: WrkRun = { connections: args.connections, seconds: args.storm, delayMs: args.pause };

interface Measured {
  wrk: WrkResult;
  backends: Record<string, Counts>;
  metrics: string[];
  cpuBusy: number[];
  foreignCores: number;
}

/** Warm-up, counts, the measured paced run, counts again. */
async function measure(phase: string, keel: Keel, run: WrkRun, backends: Backend[]): Promise<Measured> {
  const dir = join(runDir, phase);
  const waited = await waitQuiet();
  if (waited > 3) console.log(`   waited ${waited.toFixed(0)} s for other jobs on this machine to calm down`);
  await runWrk(warmup, keel.url, join(dir, "wrk-warmup.txt"));
  await Bun.sleep(SETTLE_MS);
  const before = await Promise.all(backends.map((b) => b.count()));
  const metrics0 = await metricLines(keel);
  const [cpu0, foreign] = [cpuSnap(), new ForeignCpu()];
  const wrk = await runWrk(run, keel.url, join(dir, "wrk-paced.txt"), () => foreign.sample());
  const busy = cpuBusy(cpu0, cpuSnap());
  const foreignCores = foreign.cores();
  await Bun.sleep(SETTLE_MS);
  const after = await Promise.all(backends.map((b) => b.count()));
  const metrics = metricDelta(metrics0, await metricLines(keel));
  if (keel.child.exited) throw new Error(`keel (${phase}) exited during the run; see ${rel(keel.log)}`);
  const counts = Object.fromEntries(backends.map((b, i) => [b.name, minus(after[i]!, before[i]!)]));
  return { wrk, backends: counts, metrics, cpuBusy: busy, foreignCores };
}

const total = (c: Record<string, Counts>) => Object.values(c).reduce((s, x) => s + x.served, 0);
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

async function hedgePhase(phase: "off" | "on", a: Backend, b: Backend): Promise<HedgeRun> {
  const config = join(TAIL_DIR, `keel-hedge-${phase}.yaml`);
  console.log(`\n== hedging ${phase} (${rel(config)})`);
  const keel = await startKeel(`hedge-${phase}`, config, a, b, true);
  try {
    const m = await measure(`hedge-${phase}`, keel, paced, [a, b]);
    const w = m.wrk, backendTotal = total(m.backends);
    console.log(
      `   p50 ${ms(w.p50)} p99 ${ms(w.p99)} p99.9 ${ms(w.p999)} max ${ms(w.max)} ms; ${w.requests} client requests (${w.errorTotal} errors), ` +
        `backends ${backendTotal} (A ${m.backends.A!.served}, B ${m.backends.B!.served}; ${m.backends.A!.delayed + m.backends.B!.delayed} delayed), ` +
        `cpu ${m.cpuBusy.map((c) => (c * 100).toFixed(0) + "%").join("/")}, others ${m.foreignCores.toFixed(2)} cores`,
    );
    for (const l of m.metrics) console.log(`   ${l}`);
    if (!m.metrics.length) console.log(`   (no keel_hedge*/keel_retr*/keel_upstream_errors* lines in /metrics)`);
    return { phase, config: rel(config), command: keel.command, ...m };
  } finally {
    await stopGroup(keel.child);
  }
}

async function stormPhase(b: Backend): Promise<{ run: StormRun; backendCommand: string }> {
  const config = join(TAIL_DIR, "keel-retry-storm.yaml");
  console.log(`\n== retry storm (${rel(config)}): backend A answers 503 to everything`);
  const a503 = await startBackend("A503", { FAIL_ALL: "1" });
  try {
    const keel = await startKeel("storm", config, a503, b, false);
    try {
      const m = await measure("storm", keel, storm, [a503, b]);
      const w = m.wrk;
      const aN = m.backends.A503!.served, bN = m.backends.B!.served;
      const retries = aN + bN - w.requests;
      const cap = 0.2 * w.requests + 10 * w.seconds;
      console.log(
        `   ${w.requests} client requests (${w.requests - w.errors.status} 2xx, ${w.errors.status} non-2xx, ${w.errorTotal - w.errors.status} other errors); ` +
          `backend A ${aN}, B ${bN}; implied retries ${retries} vs cap ${cap.toFixed(0)}`,
      );
      for (const l of m.metrics) console.log(`   ${l}`);
      if (!m.metrics.length) console.log(`   (no keel_hedge*/keel_retr*/keel_upstream_errors* lines in /metrics)`);
      return { run: { config: rel(config), command: keel.command, ...m, retries, cap }, backendCommand: a503.command };
    } finally {
      await stopGroup(keel.child);
    }
  } finally {
    await stopGroup(a503.child);
  }
}

function cmdOut(cmd: string[]): string {
  try {
    const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    return (r.stdout.toString() + r.stderr.toString()).trim().split("\n")[0]!;
  } catch {
    return "not installed";
  }
}

async function main(): Promise<void> {
  const out = resolve(args.out ?? (args.smoke ? join(tmp, "RESULTS-tail-smoke.md") : join(BENCH_DIR, "RESULTS.md")));
  mkdirSync(runDir, { recursive: true });
  installCleanup(join(tmp, "pgids-tail"));

  const backendEnv = { DELAY_MS: String(args.delayMs), DELAY_P: String(args.delayP) };
  const a = await startBackend("A", { ...backendEnv, SEED: String(args.seed) });
  const b = await startBackend("B", { ...backendEnv, SEED: String(args.seed + 1) });
  console.log(`backends A :${a.port}, B :${b.port} (core 1; ${args.delayP * 100}% of responses ${args.delayMs} ms late); raw outputs in ${rel(runDir)}`);

  const hedge: HedgeRun[] = [];
  let stormRun: StormRun | null = null;
  let stormBackend = "";
  const failures: string[] = [];
  for (const phase of args.only) {
    try {
      if (phase === "storm") {
        const s = await stormPhase(b);
        stormRun = s.run;
        stormBackend = s.backendCommand;
      } else {
        hedge.push(await hedgePhase(phase as "off" | "on", a, b));
      }
    } catch (err) {
      // One phase failing (Keel not starting, say) still leaves the others' numbers.
      failures.push(`${phase === "storm" ? "retry storm" : `hedging ${phase}`}: ${(err as Error).message.split("\n")[0]}`);
      console.log(`   failed: ${(err as Error).message}`);
    }
    saveJson(join(runDir, "results.json"), { hedge, storm: stormRun, failures });
    await Bun.sleep(1000); // let the previous Keel's sockets drain
  }
  await stopGroup(a.child);
  await stopGroup(b.child);

  const url = `http://127.0.0.1:KEEL_PORT${PATH}`;
  const dirty = cmdOut(["git", "-C", ROOT, "status", "--porcelain", "--", "src"]) ? " (src/ has uncommitted changes)" : "";
  const meta: TailMeta = {
    date: new Date().toISOString(),
    invocation: `bash bench/tail/run.sh ${Bun.argv.slice(2).map(quote).join(" ")}`.trim(),
    machine: `${cpus().length} cores, ${/model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown"}, Linux ${release()}`,
    versions: [
      ["keel", `${cmdOut(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])}${dirty}`],
      ["bun", cmdOut([BUN, "--version"])],
      ["wrk", cmdOut(["wrk", "-v"])],
    ],
    commands: [
      ["backend A", a.command],
      ["backend B", b.command],
      ...(stormBackend ? [["backend A for the retry storm", stormBackend] as [string, string]] : []),
      ...hedge.map((h): [string, string] => [`keel, hedging ${h.phase}`, h.command]),
      ...(stormRun ? [["keel, retry storm", stormRun.command] as [string, string]] : []),
      ["warm-up (before each measured run)", shell(wrkCommand(warmup, url), wrkEnv(warmup))],
      ...(hedge.length ? [["paced (hedging off / on)", shell(wrkCommand(paced, url), wrkEnv(paced))] as [string, string]] : []),
      ...(stormRun ? [["paced (retry storm)", shell(wrkCommand(storm, url), wrkEnv(storm))] as [string, string]] : []),
    ],
    connections: args.connections,
    pauseMs: args.pause,
    delayMs: args.delayMs,
    delayP: args.delayP,
    seed: args.seed,
    durations: { warmup: args.warmup, paced: args.paced, storm: args.storm },
    rawDir: rel(runDir),
  };
  const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
  writeFileSync(out, putScenarioBlock(previous, "tail", renderTail(meta, hedge, stormRun, failures)));
  console.log(`\nwrote the scenario:tail section of ${rel(out)}`);
  if (failures.length) fail(new Error(`${failures.length} phase(s) failed: ${failures.join("; ")}`));
}

await main().catch(fail);
