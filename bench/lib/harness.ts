// Small pieces every bench driver shares: free ports in order, paths relative to the repo, shell
// quoting for the "commands" section of a report, and the last lines of a log.
import { mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, backendLaunch } from "./peers.ts";
import { freePort, spawnGroup, type Child } from "./procs.ts";

/** Free ports from `from` upwards, each one once. */
export function portAllocator(from: number): () => number {
  let cursor = from;
  return () => {
    const p = freePort(cursor);
    cursor = p + 1;
    return p;
  };
}

/** A path relative to the repository when it is inside it. */
export const rel = (p: string): string => (p.startsWith(ROOT + "/") ? relative(ROOT, p) : p);

export const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** A command line as a reader would type it: env first, quoted, repo paths relative. */
export const shell = (cmd: string[], env: Record<string, string> = {}): string =>
  [...Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`), ...cmd.map(quote)].join(" ").replaceAll(ROOT + "/", "");

/** The last five lines of a log file ("" when it cannot be read). */
export function lastLines(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-5).join("\n");
  } catch {
    return "";
  }
}

/** Prints `prefix: message` and exits 1: a driver's answer to a bad flag or a failed run. */
export function exitWith(prefix: string, err: unknown): never {
  console.error(`${prefix}: ${(err as Error).message}`);
  process.exit(1);
}

/** The driver's flags, parsed by `parse`; a bad flag exits with its message. */
export function argsOrExit<T>(prefix: string, parse: (argv: string[]) => T): T {
  try {
    return parse(Bun.argv.slice(2));
  } catch (err) {
    exitWith(prefix, err);
  }
}

/** One flag of a driver's command line, being read. */
export interface Flag {
  readonly name: string;
  /** The next argument, the flag's value (an error naming the flag and the usage when there is none). */
  value(): string;
  /** The value as a finite number from `min` to `max`. */
  num(min: number, max?: number): number;
}

/**
 * Reads `argv` flag by flag: `each` takes a flag's values and returns false for a flag it does
 * not know (an error with the usage); -h / --help print the usage and exit. Returns the flags given.
 */
export function readFlags(argv: string[], usage: string, each: (flag: Flag) => boolean): Set<string> {
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    if (name === "-h" || name === "--help") {
      console.log(usage);
      process.exit(0);
    }
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value\n${usage}`);
      return v;
    };
    const num = (min: number, max = Infinity): number => {
      const n = Number(value());
      if (!(Number.isFinite(n) && n >= min && n <= max)) throw new Error(`${name} needs a number from ${min}${max < Infinity ? ` to ${max}` : ""}`);
      return n;
    };
    if (!each({ name, value, num })) throw new Error(`unknown flag ${name}\n${usage}`);
    given.add(name);
  }
  return given;
}

/** A fresh folder name under bench/.tmp/runs for this run's raw outputs. */
export function runDirName(prefix = ""): string {
  return `${prefix}${new Date().toISOString().replace(/[:.]/g, "-")}`;
}

/** A child pinned to one core (taskset), in its own process group, and its command for the report. */
export interface Pinned {
  readonly child: Child;
  readonly command: string;
  readonly log: string;
}

export function startPinned(name: string, core: number, cmd: string[], env: Record<string, string>, log: string): Pinned {
  const full = ["taskset", "-c", String(core), ...cmd];
  return { child: spawnGroup(name, full, { env, log, cwd: ROOT }), command: shell(full, env), log };
}

/** The bench backend (nginx: the fixed body on any path, the JSON files under /json/) pinned to core 1; its output in dir/process.log. */
export function startBackend(dir: string, port: number, statusPort: number): Pinned {
  mkdirSync(dir, { recursive: true });
  const launch = backendLaunch(dir, port, statusPort);
  return startPinned("backend", 1, launch.cmd, launch.env ?? {}, join(dir, "process.log"));
}

/** Polls `check` until it returns true; false if the child exits or `readyMs` passes. */
export async function waitUntilReady(child: Child, check: () => Promise<boolean>, readyMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline && !child.exited) {
    try {
      if (await check()) return true;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  return false;
}
