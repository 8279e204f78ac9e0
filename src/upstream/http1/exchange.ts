// One request/response exchange: the promise the caller waits on, the response body stream (this
// object is its underlying source) and the cancel listener (onCancel), so a request allocates
// one object here instead of a handful of closures.

import type { ErrorCode } from "../../errors.ts";
import type { UpstreamRequest, UpstreamResult } from "../client.ts";
import type { CancelCode, CancelListener } from "../cancel.ts";
import type { UpstreamPlan } from "../../config/plan.ts";
import type { Connection } from "./connection.ts";
import type { WaitQueue } from "./limit.ts";

/** Waiting for the final response head. */
export const PH_HEAD = 0;
/** Head delivered, body streaming. */
export const PH_BODY = 1;
/** Resolved and (if any) body closed or errored; nothing more happens. */
export const PH_DONE = 2;

/** The error a response body stream fails with; Failure-shaped (code + detail). */
export class UpstreamBodyError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  constructor(code: ErrorCode, detail: string) {
    super(detail);
    this.name = "UpstreamBodyError";
    this.code = code;
    this.detail = detail;
  }
}

/** Queue bound of a response body stream: past it the socket is paused. */
export const BODY_HIGH_WATER_MARK = 64 * 1024;
export const BODY_STRATEGY = new ByteLengthQueuingStrategy({ highWaterMark: BODY_HIGH_WATER_MARK });

export interface ExchangeOwner {
  /** Endpoint URL, for failure details. */
  readonly label: string;
}

export class Exchange implements CancelListener {
  phase = PH_HEAD;
  conn: Connection | null = null;
  controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** Body bytes that arrived before the stream existed (same chunk as the head). */
  first: Uint8Array | null = null;
  more: Uint8Array[] | null = null;
  /** Bytes in first + more. */
  stashed = 0;
  /** Some response byte arrived on the current connection. */
  gotBytes = false;
  /** The current connection had carried an earlier exchange (it came from the idle pool). */
  onReusedConn = false;
  retried = false;
  /** The request, body included, has been written completely. */
  requestSent = false;
  /** The upstream's connection queue this exchange waits in (breaker.maxConnections reached), else null. */
  waiting: WaitQueue | null = null;
  readonly promise: Promise<UpstreamResult>;
  private resolveFn!: (r: UpstreamResult) => void;

  constructor(
    readonly owner: ExchangeOwner,
    readonly req: UpstreamRequest,
    /** Serialized once, so a retry sends the same bytes. */
    readonly head: string | Uint8Array,
    /** The upstream whose connection count a new connection for this exchange goes to. */
    readonly upstream: UpstreamPlan,
  ) {
    // One closure per request is the price of a Promise.
    this.promise = new Promise<UpstreamResult>((resolve) => {
      this.resolveFn = resolve;
    });
  }

  resolve(r: UpstreamResult): void {
    this.resolveFn(r);
  }

  stash(chunk: Uint8Array): void {
    this.stashed += chunk.length;
    if (this.first === null) this.first = chunk;
    else (this.more ??= []).push(chunk);
  }

  /** End the exchange with a failure: the promise if the head has not been delivered, else the body stream. */
  failWith(code: ErrorCode, detail: string): void {
    const phase = this.phase;
    if (phase === PH_DONE) return;
    this.phase = PH_DONE;
    this.unlisten();
    const conn = this.conn;
    if (conn !== null) {
      this.conn = null;
      conn.detach(this);
    }
    if (phase === PH_HEAD) {
      // A buffered body (bufferBody) that broke off is counted where a streamed one would be.
      if (code === "KEEL_UPSTREAM_RESET_MID_RESPONSE") this.req.cancel.bodyFailed(code);
      this.resolve({ ok: false, failure: { code, detail: `${this.owner.label}: ${detail}` } });
    } else {
      if (code !== "KEEL_CLIENT_CLOSED") this.req.cancel.bodyFailed(code);
      try {
        this.controller!.error(new UpstreamBodyError(code, `${this.owner.label}: ${detail}`));
      } catch {
        // already closed or errored by the consumer
      }
    }
    this.first = null;
    this.more = null;
  }

  /** Success: the exchange is over (body complete or absent). */
  finish(): void {
    this.phase = PH_DONE;
    this.unlisten();
    this.conn = null;
  }

  private unlisten(): void {
    const c = this.req.cancel;
    if (c.listener === this) c.listener = null;
  }

  // --- CancelListener ---------------------------------------------------------------------
  onCancel(code: CancelCode): void {
    if (this.phase === PH_DONE) return;
    const w = this.waiting;
    if (w !== null) {
      // Still waiting for a connection: leave the queue; nothing was sent.
      w.remove(this);
      this.failWith(code, code === "KEEL_UPSTREAM_TIMEOUT" ? "timed out waiting for a connection (breaker.maxConnections reached)" : "cancelled while waiting for a connection: the client left");
      return;
    }
    const conn = this.conn;
    this.failWith(code, code === "KEEL_UPSTREAM_TIMEOUT" ? "timed out" : "cancelled: the client left");
    // Destroy (not pool) the socket: the backend must see the abort.
    if (conn !== null) conn.destroy();
  }

  // --- Underlying source of the response body stream -----------------------------------
  start(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = controller;
    const first = this.first;
    if (first !== null) {
      controller.enqueue(first);
      const more = this.more;
      if (more !== null) for (let i = 0; i < more.length; i++) controller.enqueue(more[i]!);
      this.first = null;
      this.more = null;
    }
  }

  pull(): void {
    const conn = this.conn;
    if (conn !== null) conn.resumeReading();
  }

  cancel(): void {
    // The consumer (the client) went away: the rest of the body is unwanted, the socket unusable.
    if (this.phase !== PH_BODY) return;
    const conn = this.conn;
    this.finish();
    if (conn !== null) {
      conn.detach(this);
      conn.destroy();
    }
  }
}

/** A body that arrived whole with its head: handed over as bytes (see UpstreamResponse.body). */
export function fixedBody(first: Uint8Array, more: Uint8Array[] | null): Uint8Array {
  if (more === null) return first;
  return Buffer.concat([first, ...more]);
}
