// Child processes of the harness. Every child gets its own session (setsid), so
// its whole tree (nginx workers, node threads...) dies with one kill(-pgid).
// Groups are recorded in a file so a run killed with SIGKILL can be cleaned up next time.
import { dirname } from "node:path";
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";

export const MARKER = "KEEL_BENCH_CHILD=1"; // in every child's env: proof we started it

export interface Child {
  name: string;
  pid: number; // == pgid, thanks to setsid
  proc: Bun.Subprocess;
  exited: boolean;
}

const live = new Set<Child>();
let pgidFile = "";

export interface SpawnOpts {
  env?: Record<string, string>;
  log?: string; // stdout+stderr go here (a file); otherwise captured as pipes
  cwd?: string;
}

export function spawnGroup(name: string, cmd: string[], opts: SpawnOpts = {}): Child {
  const out = opts.log ? Bun.file(opts.log) : "pipe";
  const proc = Bun.spawn(["setsid", ...cmd], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, KEEL_BENCH_CHILD: "1" },
    stdin: "ignore",
    stdout: out,
    stderr: out,
  });
  const child: Child = { name, pid: proc.pid, proc, exited: false };
  live.add(child);
  if (pgidFile) appendFileSync(pgidFile, `${proc.pid}\n`);
  proc.exited.then(() => (child.exited = true));
  return child;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // group already gone
  }
}

/** TERM the group, wait up to graceMs, then KILL whatever is left of it. */
export async function stopGroup(child: Child, graceMs = 3000): Promise<void> {
  signalGroup(child.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(child.pid)) await Bun.sleep(50);
  signalGroup(child.pid, "SIGKILL");
  await child.proc.exited;
  live.delete(child);
}

/** Zombies do not count: they are dead, only waiting for their parent to reap them. */
function groupAlive(pgid: number): boolean {
  return listProcs().some((p) => p.pgid === pgid && p.state !== "Z");
}

/** Synchronous: usable from signal handlers and process "exit". */
export function killAllSync(): void {
  for (const c of live) signalGroup(c.pid, "SIGTERM");
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && [...live].some((c) => groupAlive(c.pid))) Bun.sleepSync(50);
  for (const c of live) signalGroup(c.pid, "SIGKILL");
  live.clear();
}

/** Install cleanup for normal exit, Ctrl-C, TERM/HUP and crashes. */
export function installCleanup(file: string): void {
  pgidFile = file;
  killStale(file);
  writeFileSync(file, "");
  process.on("exit", killAllSync);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping all bench processes`);
      killAllSync();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (err) => {
    console.error(err);
    killAllSync();
    process.exit(1);
  });
}

/** Our marker in its env, or (nginx rewrites its env area for its title) our temp dir in its command line. */
function startedByUs(pid: number, tmpDir: string): boolean {
  try {
    if (readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(MARKER)) return true;
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").includes(tmpDir + "/");
  } catch {
    return false;
  }
}

/** Groups left by a previous run that died hard; only those carrying our marker. */
function killStale(file: string): void {
  if (!existsSync(file)) return;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const pgid = Number(line);
    if (!pgid || !alive(pgid)) continue;
    if (!startedByUs(pgid, dirname(file))) continue;
    console.error(`killing process group ${pgid} left by an earlier run`);
    signalGroup(pgid, "SIGKILL");
  }
}

interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  ticks: number; // utime + stime, all threads
}

function listProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "latin1");
      // Fields after the ")" of comm: state ppid pgrp ...
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.push({ pid: Number(d), state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Sum of VmRSS (MB) over the process and all its descendants. */
export function treeRssMb(root: number): number {
  const procs = listProcs();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  let kb = 0;
  for (const pid of tree) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "latin1"));
      if (m) kb += Number(m[1]);
    } catch {
      // exited
    }
  }
  return kb / 1024;
}

/** A free 127.0.0.1 TCP port at or above `from` (checked by binding it). */
export function freePort(from: number): number {
  for (let port = from; port < from + 2000; port++) {
    try {
      const s = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.stop(true);
      return port;
    } catch {
      // in use
    }
  }
  throw new Error(`no free port in ${from}..${from + 2000}`);
}

/**
 * CPU used by processes the harness did not start (other jobs on this shared machine),
 * in cores, from per-second samples. Kernel threads (pgid 0) are left out: loopback
 * traffic makes them busy on our behalf. Processes living less than a sample are missed.
 */
export class ForeignCpu {
  private prev = new Map<number, number>();
  private ticks = 0;
  private readonly t0 = performance.now();

  constructor() {
    this.sample();
  }

  sample(): void {
    const ours = new Set([process.pid, ...[...live].map((c) => c.pid)]);
    const next = new Map<number, number>();
    for (const p of listProcs()) {
      if (p.pgid === 0 || ours.has(p.pgid) || ours.has(p.pid)) continue;
      next.set(p.pid, p.ticks);
      const before = this.prev.get(p.pid);
      if (before !== undefined) this.ticks += p.ticks - before;
    }
    this.prev = next;
  }

  /** Average cores used by foreign processes since construction (USER_HZ = 100). */
  cores(): number {
    this.sample();
    return this.ticks / 100 / ((performance.now() - this.t0) / 1000);
  }
}

/** CPU time (user + system, all threads) process `pid` has used, in clock ticks (USER_HZ = 100). */
export function cpuTicks(pid: number): number {
  // The name (field 2) is in parentheses and may hold ") " itself: count from the last one.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
}
