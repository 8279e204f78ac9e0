// The access log's buffer between the request path and the sink: a request appends one line
// (a string push, nothing awaited); a short timer joins the lines and hands them to the sink,
// which writes off the event loop. Past bufferBytes waiting, new lines are dropped and counted
// rather than growing memory without bound behind a slow disk.
//
// It follows the plan in force (a reload may turn it on, off, change the sample or the path; the
// same path keeps the same file open), and reopen() serves SIGUSR1 after a log rotation.

import type { AccessLogPlan } from "../../config/plan.ts";
import { FdSink, type LogSink } from "./log-sink.ts";

/** Lines wait at most this long before a write (a burst shares one write). */
const FLUSH_DELAY_MS = 10;
/** A batch this large is written at once rather than after the delay. */
const FLUSH_NOW_CHARS = 64 * 1024;
/** How often a plan change is looked for when no line is logged (turning the log off closes the file). */
const FOLLOW_INTERVAL_MS = 1000;

export interface AccessLogOptions {
  /** The accessLog section of the plan in force (read again after each reload). */
  readonly planInForce: () => AccessLogPlan | null;
  /** Opens a sink for a path; tests pass their own. */
  readonly open?: (path: string) => { ok: true; sink: LogSink } | { ok: false; error: string };
  /** Operator messages (open and write failures); console.error by default. */
  readonly warn?: (message: string) => void;
}

export class AccessLog {
  /** Lines handed to the sink and written. */
  linesWritten = 0;
  /** Lines dropped: the buffer was full, or their write failed. */
  linesDropped = 0;

  private spec: AccessLogPlan | null = null;
  /** False while the plan in force has no access log (the sink may still be writing out its queue). */
  private enabled = false;
  private sink: LogSink | null = null;
  private sinkPath = "";
  private sample = 1;
  private bufferBytes = 0;
  private pending: string[] = [];
  /** Characters waiting (lines are mostly ASCII: characters ≈ bytes) plus the bytes being written. */
  private waiting = 0;
  private writing = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failing = false;
  private readonly follower: ReturnType<typeof setInterval>;
  private readonly idle: Array<() => void> = [];
  private readonly open: NonNullable<AccessLogOptions["open"]>;
  private readonly warn: (message: string) => void;

  constructor(private readonly opts: AccessLogOptions) {
    this.open = opts.open ?? FdSink.open;
    this.warn = opts.warn ?? ((m) => console.error(`keel: ${m}`));
    this.follower = setInterval(() => this.follow(), FOLLOW_INTERVAL_MS);
    (this.follower as { unref?: () => void }).unref?.();
  }

  /**
   * Opens the sink of the plan in force. At startup a path that cannot be opened is an error
   * (the caller refuses to start); after a reload the old sink stays and a warning is printed.
   */
  start(): { ok: true } | { ok: false; error: string } {
    return this.configure(this.opts.planInForce());
  }

  /** Whether a line for an answer with this status is wanted (sampling; 4xx/5xx always). */
  wants(status: number): boolean {
    if (this.opts.planInForce() !== this.spec) this.follow();
    if (!this.enabled) return false;
    return status >= 400 || this.sample >= 1 || Math.random() < this.sample;
  }

  /** Queue one line (JSON, no newline). Never blocks, never throws. */
  push(line: string): void {
    if (!this.enabled) return;
    const size = line.length + 1;
    if (this.waiting + size > this.bufferBytes) {
      this.linesDropped++;
      return;
    }
    this.pending.push(line);
    this.waiting += size;
    if (this.writing > 0) return; // the write in flight flushes again when done
    if (this.waiting >= FLUSH_NOW_CHARS) this.flush();
    else if (this.timer === null) this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** SIGUSR1: open the file again (logrotate moved it away); lines not written yet go to the new file. */
  reopen(): { ok: true } | { ok: false; error: string } {
    if (this.sink === null) return { ok: true };
    const r = this.sink.reopen();
    if (!r.ok) this.warn(r.error);
    return r;
  }

  /** Resolves once every queued line is written (or dropped). */
  flushed(): Promise<void> {
    if (this.pending.length === 0 && this.writing === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.push(resolve);
      this.flush();
    });
  }

  /** Shutdown: write what is queued, then close the file. */
  async close(): Promise<void> {
    clearInterval(this.follower);
    this.enabled = false;
    await this.flushed();
    this.sink?.close();
    this.sink = null;
  }

  /** Adopt the plan in force if it changed; called on the log path and by a slow timer. */
  private follow(): void {
    const next = this.opts.planInForce();
    if (next !== this.spec) this.configure(next);
  }

  private configure(next: AccessLogPlan | null): { ok: true } | { ok: false; error: string } {
    this.spec = next;
    if (next === null) {
      // Turned off: what is queued is still written, then the file is closed (unless turned on again).
      this.enabled = false;
      const old = this.sink;
      if (old !== null) {
        void this.flushed().then(() => {
          if (this.enabled || this.sink !== old) return;
          old.close();
          this.sink = null;
          this.sinkPath = "";
        });
      }
      return { ok: true };
    }
    this.sample = next.sample;
    this.bufferBytes = next.bufferBytes;
    if (this.sink !== null && this.sinkPath === next.path) {
      this.enabled = true;
      return { ok: true };
    }
    const opened = this.open(next.path);
    if (!opened.ok) {
      this.warn(opened.error + (this.sink === null ? "" : `; still writing to ${this.sinkPath}`));
      this.enabled = this.sink !== null;
      return opened;
    }
    this.enabled = true;
    const old = this.sink;
    this.sink = opened.sink;
    this.sinkPath = next.path;
    // A write in flight finishes on the old sink first (FdSink closes after it).
    old?.close();
    return { ok: true };
  }

  private flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing > 0) return;
    const sink = this.sink;
    if (this.pending.length === 0 || sink === null) {
      if (sink === null) this.dropPending();
      this.settle();
      return;
    }
    const lines = this.pending.length;
    const text = this.pending.join("\n") + "\n";
    this.pending = [];
    const bytes = Buffer.from(text);
    this.writing = text.length;
    sink.write(bytes, (err) => {
      this.waiting -= this.writing;
      this.writing = 0;
      if (err === null) {
        this.linesWritten += lines;
        this.failing = false;
      } else {
        this.linesDropped += lines;
        // One warning per spell of failures, not one per write.
        if (!this.failing) this.warn(`access log write failed (${err.message}); lines are dropped until writes succeed`);
        this.failing = true;
      }
      if (this.pending.length > 0) this.flush();
      else this.settle();
    });
  }

  private dropPending(): void {
    this.linesDropped += this.pending.length;
    this.pending = [];
    this.waiting = this.writing;
  }

  private settle(): void {
    if (this.pending.length === 0 && this.writing === 0) for (const resolve of this.idle.splice(0)) resolve();
  }
}
