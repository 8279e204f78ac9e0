// How a caller stops an upstream exchange. Not an AbortSignal: an AbortController, a listener and a
// timer per request cost ~10% of proxy throughput (bench, 2026-11-29); one plain object per
// request, watched by one shared interval (src/pipeline/exchange-watch.ts), does the same job.

import type { ErrorCode } from "../errors.ts";

export type CancelCode = "KEEL_UPSTREAM_TIMEOUT" | "KEEL_CLIENT_CLOSED";

export interface CancelListener {
  onCancel(code: CancelCode): void;
}

export class UpstreamCancel {
  /** Set once the exchange is to stop; never reset. */
  reason: CancelCode | null = null;
  /** The client registers itself while the exchange runs; told at most once. */
  listener: CancelListener | null = null;

  /**
   * The client reports here that the response body failed after its head was handed over (the
   * caller can no longer answer with a problem document, but it can count the error).
   */
  bodyFailed(_code: ErrorCode): void {}

  cancel(code: CancelCode): void {
    if (this.reason !== null) return;
    this.reason = code;
    const l = this.listener;
    this.listener = null;
    if (l !== null) l.onCancel(code);
  }
}
