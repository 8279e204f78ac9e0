// One worker position of the supervisor: the process now in it (restarted in place after a
// crash), its state, its restarts and backoff, and its IPC conversation (start, reload replies).

import type { Subprocess } from "bun";
import type { ReloadOutcome } from "../reload/reload-controller.ts";
import { isFromWorker, type FromWorker, type ToWorker } from "./protocol.ts";
import { RestartBackoff } from "./restart-backoff.ts";

export type SlotState = "starting" | "up" | "down" | "stopped";

export interface SlotEvents {
  /** The worker listens and is ready. */
  listening(slot: WorkerSlot): void;
  /** The process ended; `failedToStart` when it never got to listening. */
  exited(slot: WorkerSlot, code: number | null, signal: string | null, failedToStart: string | null): void;
}

export class WorkerSlot {
  state: SlotState = "down";
  pid = 0;
  /** Its loopback admin listener (metrics, dashboard), once listening. */
  adminUrl = "";
  port = 0;
  /** performance.now() at the last start. */
  startedAt = 0;
  restarts = 0;
  /** The config text the process runs (it is sent the current one when they differ). */
  text = "";
  readonly backoff = new RestartBackoff();
  private proc: Subprocess | null = null;
  private startFailure: string | null = null;
  private readonly replies = new Map<number, (o: ReloadOutcome | null) => void>();

  constructor(
    readonly index: number,
    private readonly command: readonly string[],
    private readonly events: SlotEvents,
  ) {}

  start(text: string, port: number, env: Record<string, string | undefined>): void {
    this.state = "starting";
    this.text = text;
    this.startFailure = null;
    this.startedAt = performance.now();
    const proc = Bun.spawn([...this.command], {
      env,
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
      ipc: (m: unknown) => {
        if (isFromWorker(m)) this.onMessage(m, text, port);
      },
    });
    this.proc = proc;
    this.pid = proc.pid;
    void proc.exited.then((code) => {
      if (this.proc !== proc) return;
      this.proc = null;
      const wasStarting = this.state === "starting";
      this.state = this.state === "stopped" ? "stopped" : "down";
      for (const reply of this.replies.values()) reply(null);
      this.replies.clear();
      this.events.exited(this, code, proc.signalCode === null ? null : String(proc.signalCode), wasStarting ? (this.startFailure ?? `exited with code ${code}`) : null);
    });
  }

  private onMessage(m: FromWorker, text: string, port: number): void {
    if (m.t === "hello") this.send({ t: "start", text, port });
    else if (m.t === "start-failed") this.startFailure = m.message;
    else if (m.t === "listening") {
      this.state = "up";
      this.adminUrl = m.adminUrl;
      this.port = m.port;
      this.events.listening(this);
    } else if (m.t === "reloaded") {
      this.replies.get(m.id)?.(m.outcome);
      this.replies.delete(m.id);
    }
  }

  private send(m: ToWorker): void {
    try {
      this.proc?.send(m);
    } catch {
      // The process is going away; its exit is handled above.
    }
  }

  /** Tell the worker to reload; null when it died or did not answer in time. */
  reload(id: number, text: string, trigger: string, timeoutMs: number): Promise<ReloadOutcome | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        resolve(null);
      }, timeoutMs);
      this.replies.set(id, (o) => {
        clearTimeout(timer);
        if (o !== null && o.ok) this.text = text;
        resolve(o);
      });
      this.send({ t: "reload", id, text, trigger });
    });
  }

  signal(sig: NodeJS.Signals): void {
    try {
      this.proc?.kill(sig);
    } catch {
      // already gone
    }
  }

  /** Resolves when no process runs in this slot. */
  async ended(): Promise<void> {
    const p = this.proc;
    if (p !== null) await p.exited;
  }
}
