// Messages between the supervisor and its workers over Bun's IPC channel (structured clone).
// The supervisor owns the config: a worker runs exactly the text it is sent (validated once by
// the supervisor), so workers never disagree about which config is in force.

import type { ReloadOutcome } from "../reload/reload-controller.ts";

export type ToWorker =
  /** First message: the config to run and the proxy port (0 = pick one; later workers get worker 0's). */
  | { readonly t: "start"; readonly text: string; readonly port: number }
  | { readonly t: "reload"; readonly id: number; readonly text: string; readonly trigger: string };

export type FromWorker =
  /** Its message handler is installed: the supervisor may send "start". */
  | { readonly t: "hello" }
  /** Listening and ready (shared rate limits connected, or their grace over). */
  | { readonly t: "listening"; readonly port: number; readonly adminUrl: string }
  /** The worker could not start (e.g. the port is taken); it exits 1 next. */
  | { readonly t: "start-failed"; readonly message: string }
  | { readonly t: "reloaded"; readonly id: number; readonly outcome: ReloadOutcome };

/** The internal flag `keel run` gets in a worker process: `--internal-worker INDEX/COUNT`. */
export const WORKER_FLAG = "--internal-worker";

export function isToWorker(m: unknown): m is ToWorker {
  const t = (m as { t?: unknown } | null)?.t;
  return t === "start" || t === "reload";
}

export function isFromWorker(m: unknown): m is FromWorker {
  const t = (m as { t?: unknown } | null)?.t;
  return t === "hello" || t === "listening" || t === "start-failed" || t === "reloaded";
}
