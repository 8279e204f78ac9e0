// Test backends for the HTTP/1.1 client: scripted raw TCP servers (to lie, stall, reset) and plan
// objects built by hand.

import type { ResponseSink } from "../../../src/upstream/http1/response-parser.ts";
import { UpstreamCancel } from "../../../src/upstream/cancel.ts";
import { Http1Client } from "../../../src/upstream/http1/client.ts";
import type { Socket, TCPSocketListener } from "bun";
import type { EndpointPlan, UpstreamPlan } from "../../../src/config/plan.ts";
import type { UpstreamRequest, UpstreamResult } from "../../../src/upstream/client.ts";

export function endpoint(port: number, host = "127.0.0.1"): EndpointPlan {
  return { url: `http://${host}:${port}`, host, port, authority: `${host}:${port}`, weight: 1 };
}

export function upstream(ep: EndpointPlan, over: Partial<UpstreamPlan> = {}): UpstreamPlan {
  return {
    name: "test",
    endpoints: [ep],
    balance: "round-robin",
    connectTimeoutMs: 2000,
    maxIdlePerEndpoint: 16,
    idleTimeoutMs: 30_000,
    concurrency: null,
    hashKey: null,
    healthCheck: null,
    outlier: null,
    breaker: null,
    retryBudget: { ratio: 0.2, minPerSecond: 10, windowMs: 10_000 },
    ...over,
  };
}

export function request(ep: EndpointPlan, over: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: "GET",
    target: "/",
    headers: ["host", ep.authority],
    body: null,
    bodyLength: -1,
    cancel: new UpstreamCancel(),
    ...over,
  };
}

export function ok(r: UpstreamResult) {
  if (!r.ok) throw new Error(`expected a response, got ${r.failure.code}: ${r.failure.detail}`);
  return r.response;
}

export async function text(body: ReadableStream<Uint8Array> | Uint8Array | null): Promise<string> {
  if (body === null) return "";
  return await new Response(body).text();
}

/** Read a stream to its end; resolves with the error it failed with, or null. */
export async function drainError(body: ReadableStream<Uint8Array> | Uint8Array): Promise<unknown> {
  if (body instanceof Uint8Array) return null;
  const reader = body.getReader();
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return null;
    }
  } catch (err) {
    return err;
  }
}

/** Poll until cond() holds (no timing assertion: the test's own timeout is the bound). */
export async function until(cond: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface RawConn {
  readonly id: number;
  readonly socket: Socket<RawState>;
  /** Every byte received so far, latin1. */
  received: string;
  /** Request heads seen so far (complete ones). */
  requests: number;
  closed: boolean;
}

interface RawState {
  conn: RawConn;
}

/**
 * A raw TCP backend. `onRequest(conn, n, head)` runs for each complete request head (n counts
 * requests on that connection from 0) and writes whatever it likes. Request bodies are not
 * parsed: scripts that need them look at conn.received.
 */
export class RawServer {
  readonly conns: RawConn[] = [];
  private readonly listener: TCPSocketListener<RawState>;
  private scanned = new Map<RawConn, number>();
  private chunked = new Set<RawConn>();

  constructor(private readonly onRequest: (conn: RawConn, n: number, head: string) => void) {
    const self = this;
    this.listener = Bun.listen<RawState>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          const conn: RawConn = { id: self.conns.length, socket, received: "", requests: 0, closed: false };
          socket.data = { conn };
          self.conns.push(conn);
        },
        data(socket, data) {
          const conn = socket.data.conn;
          conn.received += Buffer.from(data).toString("latin1");
          let from = self.scanned.get(conn) ?? 0;
          for (;;) {
            if (self.chunked.has(conn)) {
              // Inside a chunked request body: skip to its end (test bodies are small and plain).
              const endBody = conn.received.indexOf("0\r\n\r\n", from);
              if (endBody < 0) break;
              from = endBody + 5;
              self.scanned.set(conn, from);
              self.chunked.delete(conn);
            }
            const end = conn.received.indexOf("\r\n\r\n", from);
            if (end < 0) break;
            const head = conn.received.slice(from, end + 4);
            from = end + 4;
            self.scanned.set(conn, from);
            // Skip over a declared request body so it is not mistaken for the next head.
            const cl = /\r\ncontent-length: (\d+)/i.exec(head);
            if (cl) {
              from += Number(cl[1]);
              self.scanned.set(conn, from);
            }
            if (/\r\ntransfer-encoding: chunked/i.test(head)) self.chunked.add(conn);
            const n = conn.requests++;
            self.onRequest(conn, n, head);
          }
        },
        close(socket) {
          socket.data.conn.closed = true;
        },
        error() {},
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  stop(): void {
    this.listener.stop(true);
  }
}

export const enc = new TextEncoder();

/** Deterministic bytes: position i holds (i * 31 + (i >> 8)) & 255. */
export function pattern(offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let j = 0; j < length; j++) {
    const i = offset + j;
    out[j] = (i * 31 + (i >> 8)) & 255;
  }
  return out;
}

/** A request body stream of `total` pattern bytes in `chunk`-sized pieces, produced on demand. */
export function patternStream(total: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= total) {
        c.close();
        return;
      }
      const n = Math.min(chunk, total - sent);
      c.enqueue(pattern(sent, n));
      sent += n;
    },
  });
}

export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** The body as a stream; fails the test when the client handed over bytes or nothing. */
export function streamOf(body: ReadableStream<Uint8Array> | Uint8Array | null): ReadableStream<Uint8Array> {
  if (body === null || body instanceof Uint8Array) throw new Error("expected a streamed body");
  return body;
}

/** A parser sink that keeps what it is given (copied: body views are valid only during the call). */
export class Collector implements ResponseSink {
  heads = 0;
  body: Uint8Array[] = [];
  onHead(): void {
    this.heads++;
  }
  onBody(chunk: Uint8Array): void {
    this.body.push(chunk.slice());
  }
}

/**
 * Clients and raw servers a test file creates, closed after each test: `const t = tracked();
 * afterEach(t.closeAll);` then `t.client()`, `t.raw(onRequest)`.
 */
export function tracked() {
  const clients: Http1Client[] = [];
  const raws: RawServer[] = [];
  return {
    client(): Http1Client {
      const c = new Http1Client();
      clients.push(c);
      return c;
    },
    raw(onRequest: ConstructorParameters<typeof RawServer>[0]): RawServer {
      const s = new RawServer(onRequest);
      raws.push(s);
      return s;
    },
    closeAll(): void {
      for (const c of clients.splice(0)) c.close();
      for (const s of raws.splice(0)) s.stop();
    },
  };
}
