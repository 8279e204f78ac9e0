// The example JSON rules against pass-through in one run: saturation, then the paced tail.
//
// Saturation: two Keels on core 0, one forwarding as is (bench/keel-bench.yaml), one with the
// example rules (bench/keel-normalize.yaml), in alternating bursts of wrk -c50 (the order swapped
// every round, as bench/ab.ts does): the ratio of their rps and each one's CPU time per request.
//
// Then the same two Keels, each alone, at the paced load below (≈ 5k rps): their CPU time per
// request, the rules' cost to the process as a whole.
//
// Paced tail: then one Keel with three routes to the same backend (bench/keel-normalize-paired.yaml:
// /pass and /pass2 forwarded as is, /rules with the example rules), and three wrk loading the three
// routes at once, each with 33 connections pausing 20 ms on average (pauses drawn from an
// exponential distribution: Poisson-like arrivals), ≈ 1.65k rps per route and ≈ 5k in all, as
// ab.ts's paced rounds. A paced p99.9 on this machine is mostly the host (a vCPU the hypervisor
// runs late: two identical Keels in alternating rounds read from −28% to +12% apart,
// bench/PROFILE.md). Here a stall lands on all three routes' requests in the same instants, so the
// difference between /rules and /pass is the rules', and /pass2 against /pass, measured in the
// same instants, is what the method cannot tell apart.
// What the paced part does not show: the rules' effect on the process as a whole (the three routes
// share it); the paced CPU per request of the two Keels above does.
//   bun bench/normalize/paired-routes.ts [--rounds 12] [--seconds 10] [--saturation-rounds 10]
//                                       [--saturation-seconds 3] [--cpu-rounds 4] [--pause-ms 20]
//                                       [--path /json/user-1k.json] [--record NAME]
// --pause-ms: the mean pause of each paced connection (100 connections in all: ≈ 100 000 / pause
// rps); a larger body needs a longer one (64 KB: 100 ms), or the paced load saturates the Keel.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exitWith, portAllocator, quote, readFlags, startBackend, startPinned, waitUntilReady } from "../lib/harness.ts";
import { BENCH_DIR, BUN, ROOT } from "../lib/peers.ts";
import { percentileChange, poolCounts, pooledTable } from "../lib/pooled-latency.ts";
import { installCleanup, stopGroup } from "../lib/procs.ts";
import { putScenarioBlock } from "../lib/report.ts";
import { runWrk, runWrkWithCpu, type WrkResult, type WrkRun } from "../lib/wrk.ts";

const USAGE =
  "bun bench/normalize/paired-routes.ts [--rounds 12] [--seconds 10] [--saturation-rounds 10] [--saturation-seconds 3] [--cpu-rounds 4] [--pause-ms 20] [--path /json/user-1k.json] [--record NAME]";
const args = { rounds: 12, seconds: 10, saturationRounds: 10, saturationSeconds: 3, cpuRounds: 4, pauseMs: 20, path: "/json/user-1k.json", record: "" };
try {
  readFlags(Bun.argv.slice(2), USAGE, (f) => {
    if (f.name === "--rounds") args.rounds = f.num(1);
    else if (f.name === "--seconds") args.seconds = f.num(1);
    else if (f.name === "--saturation-rounds") args.saturationRounds = f.num(0);
    else if (f.name === "--saturation-seconds") args.saturationSeconds = f.num(1);
    else if (f.name === "--cpu-rounds") args.cpuRounds = f.num(0);
    else if (f.name === "--pause-ms") args.pauseMs = f.num(1);
    else if (f.name === "--path") args.path = f.value();
    else if (f.name === "--record") args.record = f.value();
    else return false;
    return true;
  });
  if (!args.path.startsWith("/")) throw new Error(`--path must start with "/", got ${args.path}`);
} catch (err) {
  exitWith("paired-routes", err);
}

const tmp = join(BENCH_DIR, ".tmp", "paired-routes");
mkdirSync(tmp, { recursive: true });
installCleanup(join(BENCH_DIR, ".tmp", "pgids"));
const next = portAllocator(19600);
const backendPort = next();
const backend = startBackend(join(tmp, "backend"), backendPort, next());
/** A Keel on core 0 with `config` (from bench/), on ports of its own. */
function startKeel(name: string, config: string) {
  const port = next();
  const keel = startPinned(name, 0, [BUN, join(ROOT, "src/cli/main.ts"), "run", join(BENCH_DIR, config)], { KEEL_PORT: String(port), KEEL_ADMIN_PORT: String(next()), BACKEND_PORT: String(backendPort) }, join(tmp, `${name}.log`));
  return { ...keel, base: `http://127.0.0.1:${port}` };
}
type Keel = ReturnType<typeof startKeel>;

async function ready(keel: Keel, url: string): Promise<void> {
  const ok = await waitUntilReady(keel.child, async () => (await fetch(url)).status === 200);
  if (!ok) throw new Error(`${url} did not answer 200; see ${keel.log}`);
}

type Route = "pass" | "pass2" | "rules";
const ROUTES: readonly Route[] = ["pass", "pass2", "rules"];
const LABELS: Record<Route, string> = { pass: "pass-through", pass2: "pass-through, second route", rules: "example rules" };
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
/** Requests per second of `connections` paced connections, roughly (the answer's own time left out). */
const rate = (connections: number) => Math.round((connections * 1000) / args.pauseMs).toLocaleString("en-US");
const pct = (ratio: number) => `${ratio >= 1 ? "+" : ""}${Math.round((ratio - 1) * 100)}%`;

/** One wrk run on one Keel alone: its result and the Keel's CPU µs per request meanwhile. */
async function alone(keel: Keel, name: string, run: WrkRun): Promise<{ wrk: WrkResult; cpuUs: number }> {
  const got = await runWrkWithCpu(run, keel.base + args.path, join(tmp, `${name}.txt`), keel.child.pid);
  if (got.wrk.errorTotal > 0) throw new Error(`${got.wrk.errorTotal} errors from the ${name} Keel`);
  return got;
}

/** The three routes of `keel` loaded at once for `seconds`; each wrk's raw output in tmp/<route>.txt. */
async function pacedRound(keel: Keel, seconds: number): Promise<Record<Route, WrkResult>> {
  const run: WrkRun = { connections: 33, seconds, delayMs: args.pauseMs, histogram: true, spread: "exp" };
  const done = await Promise.all(ROUTES.map((route) => runWrk(run, `${keel.base}/${route}${args.path}`, join(tmp, `${route}.txt`))));
  return Object.fromEntries(ROUTES.map((route, i) => [route, done[i]!])) as Record<Route, WrkResult>;
}

const keels: Keel[] = [];
try {
  const sat = { ratios: [] as number[], cpuPass: [] as number[], cpuRules: [] as number[], pacedCpuPass: [] as number[], pacedCpuRules: [] as number[], pacedP50Pass: [] as number[], pacedP50Rules: [] as number[] };
  if (args.saturationRounds > 0 || args.cpuRounds > 0) {
    const pass = startKeel("keel-pass", "keel-bench.yaml");
    const rules = startKeel("keel-rules", "keel-normalize.yaml");
    keels.push(pass, rules);
    await Promise.all([ready(pass, pass.base + args.path), ready(rules, rules.base + args.path)]);
    for (const [keel, name] of [[pass, "pass"], [rules, "rules"]] as const) await runWrk({ connections: 50, seconds: 2 }, keel.base + args.path, join(tmp, `${name}.txt`)); // warm-up
    for (let r = 0; r < args.saturationRounds; r++) {
      const got = new Map<Keel, { wrk: WrkResult; cpuUs: number }>();
      for (const [keel, name] of r % 2 === 0 ? ([[pass, "pass"], [rules, "rules"]] as const) : ([[rules, "rules"], [pass, "pass"]] as const)) got.set(keel, await alone(keel, name, { connections: 50, seconds: args.saturationSeconds }));
      const p = got.get(pass)!, q = got.get(rules)!;
      sat.ratios.push(q.wrk.rps / p.wrk.rps);
      sat.cpuPass.push(p.cpuUs);
      sat.cpuRules.push(q.cpuUs);
      console.log(`saturation ${r + 1}: pass-through ${p.wrk.rps.toFixed(0)} rps, rules ${q.wrk.rps.toFixed(0)} rps (${(q.wrk.rps / p.wrk.rps).toFixed(3)}); CPU ${p.cpuUs.toFixed(1)} vs ${q.cpuUs.toFixed(1)} µs per request`);
    }
    // The rules' cost to the process as a whole at the paced load: each Keel alone, in turn.
    const paced: WrkRun = { connections: 100, seconds: 5, delayMs: args.pauseMs, spread: "exp" };
    for (let r = 0; r < args.cpuRounds; r++) {
      for (const [keel, name] of r % 2 === 0 ? ([[pass, "pass"], [rules, "rules"]] as const) : ([[rules, "rules"], [pass, "pass"]] as const)) {
        const { wrk, cpuUs } = await alone(keel, name, paced);
        (name === "pass" ? sat.pacedCpuPass : sat.pacedCpuRules).push(cpuUs);
        (name === "pass" ? sat.pacedP50Pass : sat.pacedP50Rules).push(wrk.p50);
        console.log(`paced alone ${r + 1}, ${name}: CPU ${cpuUs.toFixed(1)} µs per request, p50 ${wrk.p50} ms`);
      }
    }
    // Gone before the paced part: an idle Keel's timers would wake core 0 too.
    await Promise.all(keels.splice(0).map((k) => stopGroup(k.child)));
  }

  const paired = startKeel("keel-paired", "keel-normalize-paired.yaml");
  keels.push(paired);
  for (const route of ROUTES) await ready(paired, `${paired.base}/${route}${args.path}`);
  await pacedRound(paired, 3); // warm-up: JIT, pools, connections
  const runs: Record<Route, WrkResult[]> = { pass: [], pass2: [], rules: [] };
  for (let r = 0; r < args.rounds; r++) {
    const res = await pacedRound(paired, args.seconds);
    for (const route of ROUTES) {
      if (res[route].errorTotal > 0) throw new Error(`paced round ${r + 1}: ${res[route].errorTotal} errors on the ${route} route`);
      runs[route].push(res[route]);
    }
    console.log(`paced ${r + 1}: p99.9 pass ${res.pass.p999}, pass2 ${res.pass2.p999}, rules ${res.rules.p999} ms; p50 ${res.pass.p50} / ${res.pass2.p50} / ${res.rules.p50} ms`);
  }
  const pooled = Object.fromEntries(ROUTES.map((route) => [route, poolCounts(runs[route].map((w) => w.latencies))])) as Record<Route, ReturnType<typeof poolCounts>>;
  const change = (route: Route, p: number) => percentileChange(pooled.pass, pooled[route], p);
  const sha = Bun.spawnSync(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  const satRatio = args.saturationRounds > 0 ? median(sat.ratios) : NaN;
  const body = [
    `## Example rules vs pass-through, ${args.path}: saturation (two Keels) and paced tail (one Keel, three routes at once), one run`,
    ``,
    `- Date: ${new Date().toISOString()}; keel ${sha}; invocation: \`bun bench/normalize/paired-routes.ts ${Bun.argv.slice(2).map(quote).join(" ")}\``,
    `- Keel on core 0, nginx and wrk on core 1; body ${args.path}.`,
    `- Saturation: two Keels, bench/keel-bench.yaml (pass-through) and bench/keel-normalize.yaml (the example rules of docs/normalize.md); ${args.saturationRounds} rounds, each a ${args.saturationSeconds} s burst of wrk -t1 -c50 on one and one on the other (order swapped every round).`,
    `- Paced: then one Keel, bench/keel-normalize-paired.yaml (/pass and /pass2 forwarded as is, /rules with the example rules); ${args.rounds} rounds of ${args.seconds} s; in each, three wrk load the three routes at once, 33 connections each pausing ${args.pauseMs} ms on average (exponential pauses, Poisson-like arrivals): ≈ ${rate(33)} rps per route, ≈ ${rate(99)} in all. A stall of the host lands on all three in the same instants; /pass2 against /pass is this run's own A/A.`,
    ``,
    ...(args.saturationRounds > 0
      ? [
          `**Saturation, rules vs pass-through: ${satRatio.toFixed(3)}×** (median of the rounds: ${sat.ratios.map((x) => x.toFixed(3)).join(", ")}). CPU per request (median): pass-through ${median(sat.cpuPass).toFixed(1)} µs, rules ${median(sat.cpuRules).toFixed(1)} µs.`,
          ``,
        ]
      : []),
    ...(args.cpuRounds > 0
      ? [
          `The same two Keels at the paced load, each alone in turn (${args.cpuRounds} rounds of 5 s each, wrk -c100, exponential pauses of ${args.pauseMs} ms on average, ≈ ${rate(100)} rps): CPU per request (median) pass-through ${median(sat.pacedCpuPass).toFixed(1)} µs, rules ${median(sat.pacedCpuRules).toFixed(1)} µs (${pct(median(sat.pacedCpuRules) / median(sat.pacedCpuPass))}); p50 ${median(sat.pacedP50Pass)} vs ${median(sat.pacedP50Rules)} ms. That is the rules' cost to the process as a whole, which the paced rounds below share between their routes.`,
          ``,
        ]
      : []),
    ...pooledTable("route", ROUTES.map((route) => [LABELS[route], pooled[route]] as const)),
    ``,
    `**Paced p99.9, rules vs pass-through, all requests: ${change("rules", 99.9)}** (p50 ${change("rules", 50)}, p99 ${change("rules", 99)}). The same run's A/A, second pass-through route vs the first: p99.9 ${change("pass2", 99.9)} (p50 ${change("pass2", 50)}, p99 ${change("pass2", 99)}).`,
    ``,
    `p99.9 of each paced round, pass / pass2 / rules (ms): ${runs.pass.map((w, i) => `${w.p999} / ${runs.pass2[i]!.p999} / ${runs.rules[i]!.p999}`).join("; ")}.`,
  ].join("\n");
  console.log(`\n${body}`);
  if (args.record) {
    const file = join(BENCH_DIR, "RESULTS.md");
    writeFileSync(file, putScenarioBlock(existsSync(file) ? readFileSync(file, "utf8") : "", args.record, body));
    console.log(`recorded as scenario "${args.record}" in bench/RESULTS.md`);
  }
} catch (err) {
  console.error(`paired-routes: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await Promise.all([...keels.map((k) => stopGroup(k.child)), stopGroup(backend.child)]);
}
