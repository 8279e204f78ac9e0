// Acceptance of supervised workers (docs/operations.md, "Workers"): `keel run --workers 2` (core 0)
// in front of nginx (core 1), loaded by many short keep-alive connections from this process
// (core 1, keepalive-load.ts). Each round SIGKILLs one worker under load and records: the time
// until the supervisor has it back, the requests that failed on the killed worker's connections,
// those that failed before any response (unattributable), and those that failed on the other
// worker's connections (must be 0).
// Run (when the machine is quiet): taskset -c 1 node_modules/.bin/bun bench/ops/worker-kill.ts [--rounds N] [--seconds S] [--connections N]

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { argsOrExit, exitWith, lastLines, portAllocator, rel, runDirName, startBackend } from "../lib/harness.ts";
import { BENCH_DIR, BODY, BUN, ROOT } from "../lib/peers.ts";
import { installCleanup, spawnGroup, stopGroup } from "../lib/procs.ts";
import { saveJson } from "../lib/wrk.ts";
import { KeepAliveLoad } from "./keepalive-load.ts";

const PATH = "/api/items/42";

interface Args {
  rounds: number;
  seconds: number; // of load before and after each kill
  connections: number;
  perConnection: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 3, seconds: 5, connections: 32, perConnection: 10 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const n = Number(argv[++i]);
    if (!(n > 0)) throw new Error(`${flag} needs a positive number`);
    if (flag === "--rounds") a.rounds = n;
    else if (flag === "--seconds") a.seconds = n;
    else if (flag === "--connections") a.connections = n;
    else if (flag === "--per-connection") a.perConnection = n;
    else throw new Error(`unknown flag ${flag} (--rounds N --seconds S --connections N --per-connection N)`);
  }
  return a;
}

const args = argsOrExit("bench/ops/worker-kill", parseArgs);
const runDir = join(BENCH_DIR, ".tmp", "runs", runDirName("ops-worker-kill-"));
const nextPort = portAllocator(19100);

interface WorkerInfo {
  worker: number;
  pid: number;
  state: string;
}

async function readyz(adminUrl: string): Promise<{ ready: boolean; workers: WorkerInfo[] }> {
  const res = await fetch(adminUrl + "/readyz");
  return { ready: res.status === 200, workers: ((await res.json()) as { workers: WorkerInfo[] }).workers };
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

async function main(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  installCleanup(join(BENCH_DIR, ".tmp", "pgids-ops"));
  const backendPort = nextPort();
  const backend = startBackend(join(runDir, "backend"), backendPort, nextPort());

  const port = nextPort();
  const admin = nextPort();
  const adminUrl = `http://127.0.0.1:${admin}`;
  const file = join(runDir, "keel.yaml");
  writeFileSync(file, `listen: { port: ${port}, host: 127.0.0.1 }
admin: { port: ${admin}, host: 127.0.0.1 }
upstreams:
  backend: { endpoints: ["http://127.0.0.1:${backendPort}"] }
routes:
  - { name: api, match: { pathPrefix: / }, upstream: backend }
`);
  const log = join(runDir, "keel.log");
  const keel = spawnGroup("keel", ["taskset", "-c", "0", BUN, join(ROOT, "src/cli/main.ts"), "run", "--workers", "2", "--debug-worker-header", file], { log, cwd: ROOT });
  try {
    await until(async () => {
      try {
        return (await readyz(adminUrl)).ready && (await (await fetch(`http://127.0.0.1:${port}${PATH}`)).text()) === BODY;
      } catch {
        return false;
      }
    }, 20_000, "keel with 2 workers");
  } catch {
    exitWith("bench/ops/worker-kill", new Error(`keel did not start: ${lastLines(log)}`));
  }
  console.log(`backend :${backendPort} (core 1); keel --workers 2 :${port} admin :${admin} (core 0); load from this process (core 1); raw outputs in ${rel(runDir)}`);

  const rounds = [];
  for (let r = 0; r < args.rounds; r++) {
    const victimIndex = r % 2;
    const load = new KeepAliveLoad({ port, connections: args.connections, requestsPerConnection: args.perConnection, path: PATH });
    load.start();
    await Bun.sleep(args.seconds * 1000);
    const victim = (await readyz(adminUrl)).workers[victimIndex]!;
    const killedAt = performance.now();
    process.kill(victim.pid, "SIGKILL");
    await until(async () => {
      const w = (await readyz(adminUrl)).workers[victimIndex]!;
      return w.state === "up" && w.pid !== victim.pid;
    }, 30_000, `worker ${victimIndex} back`);
    const backMs = performance.now() - killedAt;
    await Bun.sleep(args.seconds * 1000);
    const s = await load.stop();
    const killed = String(victimIndex);
    const other = String(1 - victimIndex);
    const round = {
      killed: victimIndex,
      backMs: Math.round(backMs),
      ok: s.ok,
      failedOnKilledWorker: s.byWorker[killed]?.failed ?? 0,
      unattributed: s.unattributed,
      failedOnOtherWorker: s.byWorker[other]?.failed ?? 0,
      failuresBeforeKill: s.failureTimes.filter((t) => t < killedAt).length,
      okByWorker: Object.fromEntries(Object.entries(s.byWorker).map(([w, c]) => [w, c.ok])),
      rps: Math.round(s.ok / (args.seconds * 2 + backMs / 1000)),
      errors: [...new Set(s.failures.map((f) => f.error))],
    };
    rounds.push(round);
    console.log(
      `round ${r + 1}: killed worker ${victimIndex}, back after ${round.backMs} ms; ${round.ok} ok (~${round.rps} rps); failed: ${round.failedOnKilledWorker} on its connections, ${round.unattributed} before any response, ${round.failedOnOtherWorker} on worker ${other}'s (${round.failuresBeforeKill} before the kill)`,
    );
  }
  const restarts = (await (await fetch(adminUrl + "/metrics")).text()).split("\n").filter((l) => l.startsWith("keel_worker_restarts_total"));
  await stopGroup(keel);
  await stopGroup(backend.child);
  const summary = {
    date: new Date().toISOString(),
    connections: args.connections,
    requestsPerConnection: args.perConnection,
    rounds,
    restarts,
    pass: rounds.every((r) => r.failedOnOtherWorker === 0 && r.failuresBeforeKill === 0),
  };
  saveJson(join(runDir, "summary.json"), summary);
  console.log(`${summary.pass ? "PASS" : "FAIL"}: no failure on the surviving worker's connections, none before a kill\n${restarts.join("\n")}\nsummary: ${rel(join(runDir, "summary.json"))}`);
}

await main().catch((err) => exitWith("bench/ops/worker-kill", err));
