// The example JSON rules' cost to the tail, with the host's noise taken out: one Keel serves a
// pass-through route and a route with the rules (bench/keel-normalize-paired.yaml) to the same
// backend, and two wrk load both routes at once, each at half the paced load (50 connections,
// pauses of 40 ms on average: ≈ 2.5k rps per route, ≈ 5k in all as in every paced run).
//
// Why: a paced round's p99.9 on this machine is mostly the host (a vCPU woken late, a neighbour's
// burst): alternating rounds of two Keels read 8–17 ms for identical builds. Here a stall lands
// on both routes' requests in the same instant, so the difference between the routes is the rules'.
// What it does not show: the rules' effect on the rest of the process (both routes share it); the
// side-by-side runs of bench/ab.ts measure that.
//
// Pauses are drawn from an exponential distribution (Poisson-like arrivals): with a fixed pause
// each wrk's connections move in step, the two wrk's bursts lock into an order, and whichever
// comes second in its cycle waits behind the other for a whole round (bench/PROFILE.md).
//   bun bench/normalize/paired-routes.ts [--rounds 12] [--seconds 10] [--path /json/user-1k.json]
//                                       [--fixed-pause] [--record NAME]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exitWith, portAllocator, readFlags, startBackend, startPinned, waitUntilReady } from "../lib/harness.ts";
import { BENCH_DIR, BUN, ROOT } from "../lib/peers.ts";
import { percentileChange, poolCounts, pooledTable } from "../lib/pooled-latency.ts";
import { installCleanup, stopGroup } from "../lib/procs.ts";
import { putScenarioBlock } from "../lib/report.ts";
import { runWrk, type WrkResult, type WrkRun } from "../lib/wrk.ts";

const USAGE = "bun bench/normalize/paired-routes.ts [--rounds 12] [--seconds 10] [--path /json/user-1k.json] [--fixed-pause] [--record NAME]";
const args = { rounds: 12, seconds: 10, path: "/json/user-1k.json", fixedPause: false, record: "" };
try {
  readFlags(Bun.argv.slice(2), USAGE, (f) => {
    if (f.name === "--rounds") args.rounds = f.num(1);
    else if (f.name === "--seconds") args.seconds = f.num(1);
    else if (f.name === "--path") args.path = f.value();
    else if (f.name === "--fixed-pause") args.fixedPause = true;
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
const keelPort = next();
const keel = startPinned("keel", 0, [BUN, join(ROOT, "src/cli/main.ts"), "run", join(BENCH_DIR, "keel-normalize-paired.yaml")], { KEEL_PORT: String(keelPort), KEEL_ADMIN_PORT: String(next()), BACKEND_PORT: String(backendPort) }, join(tmp, "keel.log"));
const routes = { pass: `http://127.0.0.1:${keelPort}/pass${args.path}`, rules: `http://127.0.0.1:${keelPort}/rules${args.path}` } as const;
type Side = keyof typeof routes;

/** Both routes loaded at once for `seconds`; each wrk's raw output in tmp/<side>.txt. */
async function round(seconds: number): Promise<Record<Side, WrkResult>> {
  const run: WrkRun = { connections: 50, seconds, delayMs: 40, histogram: true, ...(args.fixedPause ? {} : { spread: "exp" as const }) };
  const [pass, rules] = await Promise.all([runWrk(run, routes.pass, join(tmp, "pass.txt")), runWrk(run, routes.rules, join(tmp, "rules.txt"))]);
  return { pass, rules };
}

try {
  for (const [side, url] of Object.entries(routes)) {
    const ok = await waitUntilReady(keel.child, async () => (await fetch(url)).status === 200);
    if (!ok) throw new Error(`${side} route ${url} did not answer 200; see ${keel.log}`);
  }
  await round(3); // warm-up: JIT, pools, connections
  const runs: Record<Side, WrkResult[]> = { pass: [], rules: [] };
  for (let r = 0; r < args.rounds; r++) {
    const res = await round(args.seconds);
    for (const side of ["pass", "rules"] as const) {
      if (res[side].errorTotal > 0) throw new Error(`round ${r + 1}: ${res[side].errorTotal} errors on the ${side} route`);
      runs[side].push(res[side]);
    }
    console.log(`round ${r + 1}: p99.9 pass ${res.pass.p999} ms, rules ${res.rules.p999} ms; p50 ${res.pass.p50} vs ${res.rules.p50} ms`);
  }
  const pooled = { pass: poolCounts(runs.pass.map((w) => w.latencies)), rules: poolCounts(runs.rules.map((w) => w.latencies)) };
  const change = (p: number) => percentileChange(pooled.pass, pooled.rules, p);
  const sha = Bun.spawnSync(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  const body = [
    `## One Keel, a pass-through route and a route with the example rules, loaded at once`,
    ``,
    `- Date: ${new Date().toISOString()}; keel ${sha}; invocation: \`bun bench/normalize/paired-routes.ts ${Bun.argv.slice(2).join(" ")}\``,
    `- One Keel on core 0 (bench/keel-normalize-paired.yaml), nginx and two wrk on core 1; body ${args.path}. Each route gets 50 connections pausing ${args.fixedPause ? "40 ms" : "40 ms on average (exponential pauses: Poisson-like arrivals)"} between requests, ≈ 2.5k rps per route and ≈ 5k in all; ${args.rounds} rounds of ${args.seconds} s, both routes in the same instants.`,
    ``,
    ...pooledTable("route", [
      ["pass-through", pooled.pass],
      ["example rules", pooled.rules],
    ]),
    ``,
    `**Paced p99.9, rules vs pass-through, all requests: ${change(99.9)}** (p50 ${change(50)}, p99 ${change(99)}).`,
    ``,
    `p99.9 of each round, pass-through / rules (ms): ${runs.pass.map((w, i) => `${w.p999} / ${runs.rules[i]!.p999}`).join("; ")}.`,
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
  await Promise.all([stopGroup(keel.child), stopGroup(backend.child)]);
}
