// `keel run FILE` and `keel check FILE`. Exit codes: 0 ok, 1 invalid config (or a listener that
// cannot start), 2 usage error. `keel run` starts one worker per core it may run on by default
// (availableParallelism() follows the CPU affinity, so `taskset -c 0 keel run` is one process);
// with more than one, this process supervises them (src/server/workers). `--workers 1` runs the
// gateway in this process.

import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { formatConfigError, loadConfigFile } from "../config/load.ts";
import { summarizePlan } from "../config/summary.ts";
import { parseDuration } from "../config/units.ts";
import { Router } from "../router/router.ts";
import { startFailureMessage, startGateway, type Gateway } from "../server/gateway-server.ts";
import { watchConfig } from "../server/reload/config-watch.ts";
import { ReloadController } from "../server/reload/reload-controller.ts";
import { WORKER_FLAG } from "../server/workers/protocol.ts";
import { runSupervisor } from "../server/workers/supervisor.ts";
import { runWorker } from "../server/workers/worker-process.ts";
import { FetchClient } from "../upstream/fetch-client.ts";

const USAGE = `usage: keel run [--workers N] [--watch] [--tail-window DURATION] [--debug-worker-header] FILE
                          start the gateway on a config file
       keel check FILE   validate a config file and print a summary of its routes
run:   --workers N        processes sharing the proxy port (default: one per core this process may
                          run on, here ${availableParallelism()});
                          1 = a single process, no supervisor
       --watch            reload when the config file changes (also: SIGHUP, POST /config/reload)
       --tail-window D    the tail gate's windows before / after a reload (default 10s)
       --debug-worker-header  workers tag responses with x-keel-worker: INDEX
env:   KEEL_UPSTREAM_CLIENT=fetch  use Bun's fetch instead of Keel's HTTP/1.1 client`;

interface RunFlags {
  workers: number;
  watch: boolean;
  tailWindowMs: number | undefined;
  debugWorkerHeader: boolean;
  /** Set in a worker process: [index, count]. */
  worker: [number, number] | null;
}

type Parsed = { command: "run" | "check"; file: string; flags: RunFlags } | { usage: string } | { help: true };

function parseArgs(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") return { help: true };
  if (command !== "run" && command !== "check") return { usage: USAGE };
  const flags: RunFlags = { workers: availableParallelism(), watch: false, tailWindowMs: undefined, debugWorkerHeader: false, worker: null };
  const files: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const value = () => rest[++i];
    if (command === "check" || !a.startsWith("--")) files.push(a);
    else if (a === "--workers") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 256) return { usage: `keel: --workers wants a whole number from 1 to 256\n${USAGE}` };
      flags.workers = n;
    } else if (a === "--watch") flags.watch = true;
    else if (a === "--debug-worker-header") flags.debugWorkerHeader = true;
    else if (a === "--tail-window") {
      const ms = parseDuration(value());
      if (typeof ms !== "number" || ms <= 0) return { usage: `keel: --tail-window wants a duration like "10s"\n${USAGE}` };
      flags.tailWindowMs = ms;
    } else if (a === WORKER_FLAG) {
      const m = /^(\d+)\/(\d+)$/.exec(value() ?? "");
      if (!m) return { usage: USAGE };
      flags.worker = [Number(m[1]), Number(m[2])];
    } else return { usage: `keel: unknown flag ${a}\n${USAGE}` };
  }
  if (files.length !== 1) return { usage: USAGE };
  return { command, file: files[0]!, flags };
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if ("help" in parsed) {
    console.log(USAGE);
    return 0;
  }
  if ("usage" in parsed) {
    console.error(parsed.usage);
    return 2;
  }
  const { command, file, flags } = parsed;
  const client = process.env.KEEL_UPSTREAM_CLIENT === "fetch" ? new FetchClient() : undefined;
  // A worker takes its config from the supervisor, not from the file.
  if (flags.worker !== null) {
    return runWorker({ index: flags.worker[0], count: flags.worker[1], file, tailWindowMs: flags.tailWindowMs, debugHeader: flags.debugWorkerHeader, client });
  }
  const loaded = loadConfigFile(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) console.error(formatConfigError(e));
    console.error(`${file}: ${loaded.errors.length} error${loaded.errors.length === 1 ? "" : "s"}; nothing started`);
    return 1;
  }
  if (command === "check") {
    console.log(summarizePlan(loaded.plan, new Router(loaded.plan.routes).order));
    console.log(`${file}: ok`);
    return 0;
  }
  if (flags.workers > 1) {
    return runSupervisor({
      file,
      text: readFileSync(file, "utf8"),
      plan: loaded.plan,
      workers: flags.workers,
      watch: flags.watch,
      workerCommand: (i) => [...selfCommand(), "run", WORKER_FLAG, `${i}/${flags.workers}`, ...passThrough(flags), file],
    });
  }

  let reloads: ReloadController | null = null;
  // Installed first: a HUP's default action would end the process; until the gateway is up it is ignored.
  process.on("SIGHUP", () => void reloads?.reload("SIGHUP"));
  // logrotate's postrotate sends SIGUSR1: reopen the access log (the default action would end the process).
  let logs: Gateway | null = null;
  process.on("SIGUSR1", () => logs?.reopenLogs());
  let gw: Gateway;
  try {
    gw = startGateway(loaded.plan, { client, adminRoutes: (req) => reloads?.adminRoute(req) ?? null });
  } catch (err) {
    console.error(startFailureMessage(err));
    return 1;
  }
  logs = gw;
  const ctl = new ReloadController(gw, { file, tailWindowMs: flags.tailWindowMs });
  reloads = ctl;
  const watcher = flags.watch ? watchConfig(file, () => void ctl.reload("watch")) : null;
  await gw.ready;
  console.log(`keel: proxy listening on ${gw.url}`);
  if (gw.admin) console.log(`keel: admin on ${gw.admin.url} (/healthz /readyz /metrics /config/reload /dashboard)`);
  return await untilSignal(async (signal) => {
    console.log(`keel: ${signal} received, draining (up to ${gw.runtimes.current.plan.server.drainTimeoutMs} ms)`);
    watcher?.stop();
    ctl.stop();
    const { inFlightAtDeadline } = await gw.drain();
    if (inFlightAtDeadline > 0) console.log(`keel: drain timeout, ${inFlightAtDeadline} request(s) cut off`);
    console.log("keel: stopped");
  });
}

/** How to start this same program again (a worker): Bun and the entry script, unless compiled in. */
function selfCommand(): string[] {
  const entry = process.argv[1];
  return entry === undefined || entry.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, entry];
}

function passThrough(flags: RunFlags): string[] {
  const out: string[] = [];
  if (flags.tailWindowMs !== undefined) out.push("--tail-window", `${flags.tailWindowMs}ms`);
  if (flags.debugWorkerHeader) out.push("--debug-worker-header");
  return out;
}

/** Resolves with 0 after the first SIGTERM/SIGINT has been handled; a second signal exits at once. */
function untilSignal(onStop: (signal: string) => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handle = (signal: string) => {
      if (stopping) process.exit(1);
      stopping = true;
      onStop(signal).then(() => resolve(0), (err) => {
        console.error("keel: error while draining:", err);
        resolve(1);
      });
    };
    process.on("SIGTERM", () => handle("SIGTERM"));
    process.on("SIGINT", () => handle("SIGINT"));
  });
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
