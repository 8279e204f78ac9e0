// What the proxy asks of an upstream HTTP client. Two implementations: the native HTTP/1.1 client
// over Bun.connect (http1/) and fetch (fetch-client.ts). Neither throws: failures are typed.

import type { Failure } from "../errors.ts";
import type { EndpointPlan, UpstreamPlan } from "../config/plan.ts";
import type { UpstreamCancel } from "./cancel.ts";

export interface UpstreamRequest {
  readonly method: string;
  /** Origin-form target: path plus query, e.g. "/users/1?x=2". */
  readonly target: string;
  /**
   * Header fields to send, flat: [name0, value0, name1, value1, ...]. Names lower-case; already
   * cleaned of hop-by-hop fields. Host is included. Content-Length / Transfer-Encoding are not:
   * the client frames the body itself from bodyLength.
   */
  readonly headers: readonly string[];
  /** null when the request has no body. */
  readonly body: ReadableStream<Uint8Array> | null;
  /** Known body length, or -1 when unknown (then sent chunked). */
  readonly bodyLength: number;
  /** Stops the exchange (client left, or the route timeout fired); see cancel.ts. */
  readonly cancel: UpstreamCancel;
  /**
   * When > 0, the caller reads the whole body anyway (JSON rules): a body up to this many bytes is
   * handed over as bytes, the result resolving once it is complete — so the route's timeout and a
   * departing client still end the exchange while it arrives. A longer body streams as usual. A
   * client may ignore it (fetch does).
   */
  readonly bufferBody?: number;
}

export interface UpstreamResponse {
  readonly status: number;
  /** Flat like UpstreamRequest.headers, names lower-case, hop-by-hop fields removed. */
  readonly headers: string[];
  /**
   * null when the response has no body (HEAD, 204, 304); the bytes themselves when the whole body
   * arrived with the head (Bun.serve sends bytes far cheaper than any stream); else a stream, which
   * errors with a Failure-shaped reason (code KEEL_UPSTREAM_RESET_MID_RESPONSE) when the upstream
   * closes mid-body.
   */
  readonly body: ReadableStream<Uint8Array> | Uint8Array | null;
  /** Declared body length, or -1 when unknown. */
  readonly bodyLength: number;
}

export type UpstreamResult =
  | { readonly ok: true; readonly response: UpstreamResponse }
  | { readonly ok: false; readonly failure: Failure };

/** Connection gauges of one upstream (all its endpoints together). */
export interface UpstreamConnections {
  /** Connections open or connecting. */
  readonly open: number;
  /** Requests waiting for a connection (breaker.maxConnections reached). */
  readonly pending: number;
}

export interface UpstreamClient {
  send(endpoint: EndpointPlan, upstream: UpstreamPlan, req: UpstreamRequest): Promise<UpstreamResult>;
  /** Idle connections currently pooled (for /metrics). */
  idleConnections(): number;
  /**
   * Connection gauges of an upstream, by name (for /metrics). Optional so simple stubs need not
   * implement it: callers use `client.connections?.(name)`. The fetch client reports zeros.
   */
  connections?(upstreamName: string): UpstreamConnections;
  /** Close every pooled connection (drain, reload). */
  close(): void;
}
