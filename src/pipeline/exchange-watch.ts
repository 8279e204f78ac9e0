// One coarse interval watches every upstream exchange waiting for its response head: it cancels
// those past their route timeout and those whose client has left. This replaces a timer, an
// AbortController and an abort listener per request (see src/upstream/cancel.ts). Cost: a
// timeout fires up to one tick late, and a client that leaves is noticed within a tick.
//
// The watched exchanges form an intrusive doubly-linked list: add and remove are O(1) with no
// allocation, and a tick walks only what is in flight. The interval runs only while the list is
// non-empty and never keeps the process alive.

import type { ErrorCode } from "../errors.ts";
import { UpstreamCancel } from "../upstream/cancel.ts";

export const WATCH_TICK_MS = 5;

/** Where a body failure after the head is counted (the gateway's metrics, by upstream). */
export interface BodyFailureSink {
  upstreamError(upstream: string, code: ErrorCode): void;
}

export class WatchedExchange extends UpstreamCancel {
  prev: WatchedExchange | null = null;
  next: WatchedExchange | null = null;
  watched = false;
  /** performance.now() time by which the request body must have arrived (Infinity: no body). */
  uploadDeadline = Infinity;
  /** Set by the upload guard when the whole request body has been read. */
  uploadDone = false;
  /** Set by the watch when the upload missed its deadline (the exchange is then cancelled). */
  uploadTimedOut = false;

  constructor(
    /** The client's request: its signal tells whether the client is still there. */
    readonly req: Request | null,
    readonly startedAt: number,
    /** performance.now() time at which the exchange times out. */
    readonly deadline: number,
    private readonly sink: BodyFailureSink | null = null,
    /** The upstream's name, for its error counts ("" = none). */
    private readonly upstream = "",
  ) {
    super();
  }

  override bodyFailed(code: ErrorCode): void {
    this.sink?.upstreamError(this.upstream, code);
  }
}

export class ExchangeWatch {
  private head: WatchedExchange | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private count = 0;

  constructor(
    private readonly tickMs = WATCH_TICK_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.count;
  }

  add(w: WatchedExchange): void {
    if (w.watched) return;
    w.watched = true;
    w.prev = null;
    w.next = this.head;
    if (this.head !== null) this.head.prev = w;
    this.head = w;
    this.count++;
    if (this.timer === null) {
      this.timer = setInterval(tickWatch, this.tickMs, this);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  remove(w: WatchedExchange): void {
    if (!w.watched) return;
    w.watched = false;
    if (w.prev !== null) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    w.prev = null;
    w.next = null;
    this.count--;
  }

  /** @internal one pass over what is in flight; public for tests. */
  tick(): void {
    const now = this.now();
    let w = this.head;
    while (w !== null) {
      const next = w.next;
      if (now >= w.deadline) {
        this.remove(w);
        w.cancel("KEEL_UPSTREAM_TIMEOUT");
      } else if (now >= w.uploadDeadline && !w.uploadDone) {
        this.remove(w);
        w.uploadTimedOut = true;
        w.cancel("KEEL_CLIENT_CLOSED");
      } else if (w.req !== null && now - w.startedAt >= this.tickMs && w.req.signal.aborted) {
        // Only exchanges older than a tick touch req.signal: fast requests never create it.
        this.remove(w);
        w.cancel("KEEL_CLIENT_CLOSED");
      }
      w = next;
    }
    if (this.head === null) this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function tickWatch(watch: ExchangeWatch): void {
  watch.tick();
}
