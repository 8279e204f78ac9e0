// Two builds of Keel side by side: both up at once on core 0 (same backend nginx and wrk on core
// 1), alternating short wrk bursts, so machine noise hits both alike. Prints each round's rps and
// the median ratio B/A; optional paced rounds give p99/p99.9 the same way.
//   bun bench/ab.ts --a HEAD~3 --b HEAD [--config bench/keel-bench.yaml] [--rounds 8] [--seconds 4] [--paced 10]
// --a/--b take a git ref (checked out into bench/.tmp/ab/<ref>, sharing this node_modules) or
// "." for the working tree. Flags go to both builds' runs; extra wrk env via --xff-keys N.
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { BENCH_DIR, BODY, BUN, ROOT, backendLaunch } from "./lib/peers.ts";
import { freePort, installCleanup, spawnGroup, stopGroup, type Child } from "./lib/procs.ts";
import { runWrk, type WrkResult, type WrkRun } from "./lib/wrk.ts";

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
const backendDir = join(tmp, "backend");
mkdirSync(backendDir, { recursive: true });
const be = backendLaunch(backendDir, backendPort, next());
const backend = spawnGroup("backend", ["taskset", "-c", "1", ...be.cmd], { env: be.env, log: join(backendDir, "log") });

async function ready(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers: { connection: "close" } });
      if ((await r.text()) === BODY) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer`);
}

function startKeel(dir: string, cfg: string, label: string): { child: Child; url: string } {
  const p = next();
  const child = spawnGroup(label, ["taskset", "-c", "0", BUN, join(dir, "src/cli/main.ts"), "run", cfg], {
    env: { KEEL_PORT: String(p), KEEL_ADMIN_PORT: String(next()), BACKEND_PORT: String(backendPort) },
    log: join(tmp, `${label}.log`),
    cwd: dir,
  });
  return { child, url: `http://127.0.0.1:${p}/api/items/42?fields=id,name` };
}

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
  for (let r = 0; r < rounds; r++) {
    // Alternate who goes first, so a trend over time favours neither.
    const order = r % 2 === 0 ? [a, b] : [b, a];
    const res = new Map<string, WrkResult>();
    for (const k of order) res.set(k.url, await runWrk(burst, k.url, log));
    const ra = res.get(a.url)!.rps, rb = res.get(b.url)!.rps;
    ratios.push(rb / ra);
    console.log(`round ${r + 1}: A ${ra.toFixed(0)} rps, B ${rb.toFixed(0)} rps, B/A ${(rb / ra).toFixed(3)}`);
  }
  console.log(`A=${refA} B=${refB}: median B/A saturation ${median(ratios).toFixed(3)} over ${rounds} rounds`);
  if (pacedSeconds > 0) {
    const paced: WrkRun = { connections: 100, seconds: pacedSeconds, delayMs: 20, ...xff };
    for (let r = 0; r < 2; r++) {
      for (const [name, k] of r % 2 === 0 ? [["A", a], ["B", b]] as const : [["B", b], ["A", a]] as const) {
        const p = await runWrk(paced, k.url, log);
        console.log(`paced ${name}: p50 ${p.p50} p99 ${p.p99} p99.9 ${p.p999} ms (${p.requests} reqs, ${p.errorTotal} errors)`);
      }
    }
  }
} finally {
  await Promise.all([stopGroup(a.child), stopGroup(b.child), stopGroup(backend)]);
}
