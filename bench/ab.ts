// Two Keels side by side — two builds, or one build with two configs: both up at once on core 0
// (same backend nginx and wrk on core 1), alternating short wrk bursts, so machine noise hits both
// alike. Prints each round's rps and the median ratio B/A; paced rounds (alternating too) give the
// median p99/p99.9 of each side.
//   bun bench/ab.ts --a HEAD~3 --b HEAD [--config bench/keel-bench.yaml] [--config-b FILE]
//                   [--rounds 8] [--seconds 4] [--paced 10] [--paced-rounds 2] [--xff-keys N] [--redis]
//                   [--label-a NAME --label-b NAME] [--record NAME] [--path /json/user-1k.json]
//                   [--concurrent] [--paced-spread exp]
// --a/--b take a git ref (checked out into bench/.tmp/ab/<ref>, sharing this node_modules) or
// "." for the working tree. --redis starts redis-server on core 1 (REDIS_PORT for the configs).
// --record NAME writes the result into bench/RESULTS.md as the block <!-- scenario:NAME -->.
// --concurrent loads both sides at once (two wrk on core 1) instead of in turns: each Keel gets
// about half of core 0, so B/A of rps is the inverse ratio of their CPU cost per request, and the
// host's swings hit both in the same instant. An A/A run reads 0.98–1.01 per round this way, where
// alternating bursts read 0.8–1.3 on a noisy day (bench/PROFILE.md). Paced runs stay one at a time;
// their p99.9 is read over all of a side's paced requests pooled (and per round too).
// --paced-spread exp draws each connection's pause from an exponential distribution of mean 20 ms:
// with a fixed pause the 100 connections move in step and arrive as bursts (bench/PROFILE.md).
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { putScenarioBlock } from "./lib/report.ts";
import { quote, startBackend } from "./lib/harness.ts";
import { BENCH_DIR, BODY, BUN, ROOT } from "./lib/peers.ts";
import { freePort, installCleanup, spawnGroup, stopGroup, type Child } from "./lib/procs.ts";
import { percentileChange, poolCounts, pooledTable } from "./lib/pooled-latency.ts";
import { runWrk, runWrkWithCpu, type WrkResult, type WrkRun } from "./lib/wrk.ts";

const arg = (name: string, fallback: string) => {
  const i = Bun.argv.indexOf(name);
  return i === -1 ? fallback : Bun.argv[i + 1]!;
};
const refA = arg("--a", "HEAD");
const refB = arg("--b", ".");
const config = resolve(arg("--config", join(BENCH_DIR, "keel-bench.yaml")));
const configB = resolve(arg("--config-b", config));
const rounds = Number(arg("--rounds", "8"));
const seconds = Number(arg("--seconds", "4"));
const pacedSeconds = Number(arg("--paced", "0"));
const xffKeys = Number(arg("--xff-keys", "0"));
const pacedRounds = Number(arg("--paced-rounds", "2"));
const spreadArg = arg("--paced-spread", "");
if (spreadArg !== "" && spreadArg !== "exp") throw new Error(`--paced-spread takes "exp" (exponential pauses), got "${spreadArg}"`);
const pacedSpread = spreadArg === "exp" ? ("exp" as const) : undefined;
const withRedis = Bun.argv.includes("--redis");
const concurrent = Bun.argv.includes("--concurrent");
const labelA = arg("--label-a", `A (${refA}${configB !== config ? `, ${relative(ROOT, config)}` : ""})`);
const labelB = arg("--label-b", `B (${refB}${configB !== config ? `, ${relative(ROOT, configB)}` : ""})`);
const record = arg("--record", "");
/** Request target both sides get (the bench backend serves any path; /json/* are files). */
const DEFAULT_TARGET = "/api/items/42?fields=id,name";
const target = arg("--path", DEFAULT_TARGET);
const tmp = join(BENCH_DIR, ".tmp", "ab");
mkdirSync(tmp, { recursive: true });
installCleanup(join(BENCH_DIR, ".tmp", "pgids"));

/** A checkout of `ref` (or the working tree for "."), with node_modules linked. */
function tree(ref: string): string {
  if (ref === ".") return ROOT;
  const sha = Bun.spawnSync(["git", "-C", ROOT, "rev-parse", "--short", ref]).stdout.toString().trim();
  if (!sha) throw new Error(`unknown git ref ${ref}`);
  const dir = join(tmp, sha);
  if (!existsSync(dir)) {
    const r = Bun.spawnSync(["git", "-C", ROOT, "worktree", "add", "--detach", dir, sha]);
    if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  }
  return dir;
}

let port = 19500;
const next = () => (port = freePort(port + 1));
const backendPort = next();
const backend = startBackend(join(tmp, "backend"), backendPort, next());
const redisPort = withRedis ? next() : 0;
const redis = withRedis
  ? spawnGroup("redis", ["taskset", "-c", "1", "redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { log: join(tmp, "redis.log") })
  : null;

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers: { connection: "close" } });
      const text = await r.text();
      // The default target answers the backend's fixed body; any other (--path) a 200 will do.
      if (text === BODY || (r.status === 200 && target !== DEFAULT_TARGET)) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

function startKeel(dir: string, cfg: string, label: string): { child: Child; url: string } {
  const p = next();
  const child = spawnGroup(label, ["taskset", "-c", "0", BUN, join(dir, "src/cli/main.ts"), "run", cfg], {
    env: { KEEL_PORT: String(p), KEEL_ADMIN_PORT: String(next()), BACKEND_PORT: String(backendPort), ...(withRedis ? { REDIS_PORT: String(redisPort) } : {}) },
    log: join(tmp, `${label}.log`),
    cwd: dir,
  });
  return { child, url: `http://127.0.0.1:${p}${target}` };
}

/** CPU time the hypervisor gave to other guests (steal), in ticks, summed over cores. */
const stealTicks = () => Number(readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/)[8] ?? 0);
const stealStart = stealTicks();
const runStart = Date.now();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a = startKeel(tree(refA), config, "a");
const b = startKeel(tree(refB), configB, "b");
try {
  await ready(`http://127.0.0.1:${backendPort}/api/items/42`);
  await Promise.all([ready(a.url), ready(b.url)]);
  const xff = xffKeys > 0 ? { xffKeys } : {};
  const burst: WrkRun = { connections: 50, seconds, ...xff };
  const log = join(tmp, "wrk.txt");
  await runWrk({ ...burst, seconds: 2 }, a.url, log);
  await runWrk({ ...burst, seconds: 2 }, b.url, log);
  const ratios: number[] = [];
  const roundsA: number[] = [];
  const roundsB: number[] = [];
  // CPU µs per request of each side (user + system, all threads): the same ratio read from CPU
  // time; when it matches the rps ratio, each Keel was CPU-bound in its bursts (the comparison
  // measures Keel, not the backend or wrk). On this machine it swings with rps: a slow round is
  // a slower CPU (a busy host), not idle time.
  const cpuRatios: number[] = [];
  const cpuA: number[] = [];
  const cpuB: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const res = new Map<string, WrkResult>();
    const cpu = new Map<string, number>();
    const measure = async (k: typeof a, file: string) => {
      const { wrk, cpuUs } = await runWrkWithCpu(burst, k.url, file, k.child.pid);
      res.set(k.url, wrk);
      cpu.set(k.url, cpuUs);
    };
    if (concurrent) await Promise.all([measure(a, `${log}.a`), measure(b, `${log}.b`)]);
    else {
      // Alternate who goes first, so a trend over time favours neither.
      for (const k of r % 2 === 0 ? [a, b] : [b, a]) await measure(k, log);
    }
    const ra = res.get(a.url)!.rps, rb = res.get(b.url)!.rps;
    ratios.push(rb / ra);
    roundsA.push(ra);
    roundsB.push(rb);
    const ca = cpu.get(a.url)!, cb = cpu.get(b.url)!;
    cpuA.push(ca);
    cpuB.push(cb);
    cpuRatios.push(ca / cb);
    console.log(`round ${r + 1}: A ${ra.toFixed(0)} rps, B ${rb.toFixed(0)} rps, B/A ${(rb / ra).toFixed(3)}; CPU per request A ${ca.toFixed(1)} µs, B ${cb.toFixed(1)} µs, A/B ${(ca / cb).toFixed(3)}`);
  }
  const stealShare = () => `${(((stealTicks() - stealStart) / 100 / ((Date.now() - runStart) / 1000)) * 100).toFixed(0)}%`;
  console.log(`steal so far: ${stealShare()} of a core`);
  const satLine = `median B/A saturation ${median(ratios).toFixed(3)} over ${rounds} rounds of ${seconds} s`;
  const cpuLine = `CPU per request (median) A ${median(cpuA).toFixed(1)} µs, B ${median(cpuB).toFixed(1)} µs: throughput ratio by CPU time ${median(cpuRatios).toFixed(3)}`;
  console.log(`${labelA} vs ${labelB}: ${satLine}`);
  console.log(cpuLine);
  const paced: { a: WrkResult[]; b: WrkResult[] } = { a: [], b: [] };
  /** CPU µs per request of each paced round (user + system, all threads). */
  const pacedCpu: { a: number[]; b: number[] } = { a: [], b: [] };
  if (pacedSeconds > 0) {
    const run: WrkRun = { connections: 100, seconds: pacedSeconds, delayMs: 20, histogram: true, ...(pacedSpread ? { spread: pacedSpread } : {}), ...xff };
    for (let r = 0; r < pacedRounds; r++) {
      for (const side of r % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const)) {
        const keel = side === "a" ? a : b;
        const { wrk: p, cpuUs: cpu } = await runWrkWithCpu(run, keel.url, log, keel.child.pid);
        paced[side].push(p);
        pacedCpu[side].push(cpu);
        console.log(`paced ${side.toUpperCase()}: p50 ${p.p50} p99 ${p.p99} p99.9 ${p.p999} ms (${p.requests} reqs, ${p.errorTotal} errors), CPU ${cpu.toFixed(1)} µs per request`);
      }
    }
  }
  const med = (xs: WrkResult[], f: (w: WrkResult) => number) => median(xs.map(f));
  // Each side's paced requests of all its rounds together: one p99.9 over ≥100k samples, where a
  // round's own p99.9 rests on a few dozen requests (bench/lib/pooled-latency.ts).
  const pooled = { a: poolCounts(paced.a.map((w) => w.latencies)), b: poolCounts(paced.b.map((w) => w.latencies)) };
  const change = (p: number) => percentileChange(pooled.a, pooled.b, p);
  const pacedLines =
    pacedSeconds > 0
      ? [
          `All paced requests of each side together:`,
          ``,
          ...pooledTable("side", [
            [labelA, pooled.a],
            [labelB, pooled.b],
          ]),
          ``,
          `**Paced p99.9 B vs A, all requests: ${change(99.9)}** (p50 ${change(50)}, p99 ${change(99)}). CPU per request while paced (median of rounds): A ${median(pacedCpu.a).toFixed(1)} µs, B ${median(pacedCpu.b).toFixed(1)} µs.`,
          ``,
          `Each round on its own (its p99.9 rests on ~${Math.round((paced.a[0]?.requests ?? 0) / 1000)} requests):`,
          ``,
          `| side | median p50 | median p99 | median p99.9 | p99.9 of each round |`,
          `|---|---:|---:|---:|---|`,
          ...(["a", "b"] as const).map(
            (k) => `| ${k === "a" ? labelA : labelB} | ${med(paced[k], (w) => w.p50)} | ${med(paced[k], (w) => w.p99)} | ${med(paced[k], (w) => w.p999)} | ${paced[k].map((w) => w.p999).join(", ")} |`,
          ),
          ``,
          `Median of the rounds' p99.9, B vs A: ${((med(paced.b, (w) => w.p999) / med(paced.a, (w) => w.p999) - 1) * 100).toFixed(0)}%.`,
        ]
      : [];
  if (pacedSeconds > 0) console.log(pacedLines.join("\n"));
  if (record) {
    const sha = Bun.spawnSync(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
    const body = [
      `## Side by side: ${labelB} vs ${labelA}`,
      ``,
      `- Date: ${new Date().toISOString()}; keel ${sha}; invocation: \`bun bench/ab.ts ${Bun.argv.slice(2).map(quote).join(" ")}\``,
      `- Both Keels up at once on core 0, nginx backend${withRedis ? " and redis-server" : ""} and wrk on core 1; ${concurrent ? `saturation bursts of ${seconds} s (wrk -t1 -c50) load both at once (each gets about half of core 0, so the noise of the machine hits both in the same instant)` : `saturation bursts of ${seconds} s (wrk -t1 -c50) alternate between the two, so the machine's noise hits both alike`}${xffKeys > 0 ? `; every request carries X-Forwarded-For from one of ${xffKeys.toLocaleString("en-US")} addresses` : ""}.`,
      `- Steal (CPU the host gave to other guests) during the whole comparison: ${stealShare()} of a core; rows taken under heavy steal swing by ±30% or more.`,
      `- Paced: ${pacedRounds} alternating runs of ${pacedSeconds} s per side (wrk -t1 -c100, ${pacedSpread === "exp" ? "pauses per connection drawn from an exponential distribution of mean 20 ms, so arrivals are Poisson-like" : "20 ms pause per connection"}, ≈ 5k rps).`,
      ``,
      `| round | A rps | B rps | B/A | A CPU µs/req | B CPU µs/req | A/B by CPU |`,
      `|---:|---:|---:|---:|---:|---:|---:|`,
      ...ratios.map((r, i) => `| ${i + 1} | ${roundsA[i]!.toFixed(0)} | ${roundsB[i]!.toFixed(0)} | ${r.toFixed(3)} | ${cpuA[i]!.toFixed(1)} | ${cpuB[i]!.toFixed(1)} | ${cpuRatios[i]!.toFixed(3)} |`),
      ``,
      `**${satLine}.** ${cpuLine} (each Keel's user + system CPU time, all threads, over the requests it served in its bursts; matching the rps ratio, it says both sides were CPU-bound).`,
      ``,
      ...pacedLines,
    ].join("\n");
    const file = join(BENCH_DIR, "RESULTS.md");
    const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
    writeFileSync(file, putScenarioBlock(previous, record, body));
    console.log(`recorded as scenario "${record}" in bench/RESULTS.md`);
  }
} finally {
  await Promise.all([stopGroup(a.child), stopGroup(b.child), stopGroup(backend.child), ...(redis ? [stopGroup(redis)] : [])]);
}
