// One keep-alive TCP connection to an endpoint: writes a request, feeds the response bytes to the
// parser, and hands the body out as a stream with backpressure (socket.pause/resume). It carries
// one exchange at a time; the pool decides whether it carries another.

import type { Socket, SocketHandler } from "bun";
import type { ErrorCode } from "../../errors.ts";
import type { UpstreamRequest } from "../client.ts";
import { BODY_STRATEGY, Exchange, PH_BODY, PH_DONE, PH_HEAD, fixedBody } from "./exchange.ts";
import type { UpstreamLimit } from "./limit.ts";
import { FEED_DONE, FEED_MORE, FRAMING_NONE, ResponseParser, type ResponseSink } from "./response-parser.ts";

/** What a connection needs from its pool. */
export interface ConnectionPool {
  readonly label: string;
  /** The exchange ended cleanly and the connection may carry another: pool it (or close it). */
  release(conn: Connection): void;
  /** The socket is gone. */
  connectionClosed(conn: Connection): void;
  /** The connect failed, timed out or was abandoned: the connection never opened. */
  connectFailed(conn: Connection): void;
  /** Connected: account for the new connection. */
  connectionOpened(conn: Connection): void;
  /** A reused connection died before any response byte: send the request once more, fresh. */
  retry(ex: Exchange): void;
}

export const C_CONNECTING = 0;
export const C_ACTIVE = 1;
export const C_IDLE = 2;
export const C_CLOSED = 3;

const NON_ASCII = /[^\x00-\x7f]/;
const TARGET_BAD = /[\s\0]/;
/** Chunks up to this size are framed into one write (one syscall); larger ones are written in three. */
const COALESCE_CHUNK = 16 * 1024;

export class Connection implements ResponseSink {
  state = C_CONNECTING;
  socket: Socket<Connection> | null = null;
  ex: Exchange | null = null;
  /** Exchange to start once connected. */
  pendingEx: Exchange | null = null;
  connectTimer: ReturnType<typeof setTimeout> | null = null;
  /** Exchanges started on this connection. */
  uses = 0;
  /** The upstream this connection is counted against (set by the pool when opening it). */
  limit: UpstreamLimit | null = null;
  idleSince = 0;
  paused = false;
  readonly parser: ResponseParser = new ResponseParser(this);
  /** Reader of the request body being uploaded, cancelled if the socket goes away first. */
  bodyReader: { cancel(reason?: unknown): Promise<void> } | null = null;
  private out: string | Uint8Array | null = null;
  private drainWaiter: ((ok: boolean) => void) | null = null;
  private closeHandled = false;

  constructor(
    readonly pool: ConnectionPool,
    readonly generation: number,
  ) {}

  get closed(): boolean {
    return this.state === C_CLOSED;
  }

  // --- connect ---------------------------------------------------------------------------

  onOpen(socket: Socket<Connection>): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    this.socket = socket;
    if (this.state === C_CLOSED) {
      // The connect timed out (or the client closed) meanwhile.
      socket.terminate();
      return;
    }
    socket.setNoDelay(true);
    this.state = C_ACTIVE;
    this.pool.connectionOpened(this);
    const ex = this.pendingEx;
    this.pendingEx = null;
    if (ex !== null && ex.phase === PH_HEAD && ex.conn === null) this.start(ex);
    else this.pool.release(this); // the request went away while connecting: keep the fresh socket
  }

  onConnectFailed(code: ErrorCode, detail: string): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
    if (this.state === C_CLOSED) return;
    this.state = C_CLOSED;
    this.closeHandled = true;
    const ex = this.pendingEx;
    this.pendingEx = null;
    if (ex !== null) ex.failWith(code, detail);
    this.pool.connectFailed(this);
  }

  // --- request ---------------------------------------------------------------------------

  start(ex: Exchange): void {
    this.ex = ex;
    ex.conn = this;
    ex.onReusedConn = this.uses > 0;
    ex.gotBytes = false;
    this.uses++;
    const req = ex.req;
    this.parser.reset(req.method === "HEAD");
    const ok = this.writeOut(ex.head);
    if (req.body === null) {
      ex.requestSent = true;
      return;
    }
    void pumpBody(this, ex, req.body, req.bodyLength, ok);
  }

  /** Write; false when not all was taken (the rest waits for drain) or the socket is closed. */
  writeOut(data: string | Uint8Array): boolean {
    const s = this.socket;
    if (s === null || this.state === C_CLOSED) return false;
    const len = typeof data === "string" ? data.length : data.byteLength;
    const n = s.write(data);
    if (n === len) return true;
    if (n < 0) {
      // The socket is gone; its close event may still be queued. Handle it now.
      this.destroy();
      return false;
    }
    this.out = typeof data === "string" ? data.slice(n) : data.subarray(n);
    return false;
  }

  /** Resolves true when everything written so far has left, false if the socket closed first. */
  waitDrain(): Promise<boolean> {
    if (this.state === C_CLOSED) return Promise.resolve(false);
    if (this.out === null) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      this.drainWaiter = resolve;
    });
  }

  onDrain(): void {
    const out = this.out;
    if (out !== null) {
      const s = this.socket!;
      const len = typeof out === "string" ? out.length : out.byteLength;
      const n = s.write(out);
      if (n < len) {
        if (n > 0) this.out = typeof out === "string" ? out.slice(n) : out.subarray(n);
        return;
      }
      this.out = null;
    }
    const w = this.drainWaiter;
    if (w !== null) {
      this.drainWaiter = null;
      w(true);
    }
  }

  // --- response --------------------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    const ex = this.ex;
    if (ex === null) {
      // Bytes nobody asked for (a late 408, a second response): never reuse this socket.
      this.destroy();
      return;
    }
    ex.gotBytes = true;
    const parser = this.parser;
    const rc = parser.feed(chunk);
    if (rc === FEED_MORE) {
      // A caller that buffers the body anyway gets it whole (as bytes) unless it outgrows the cap.
      if (ex.phase === PH_HEAD && parser.headDone) {
        const buffer = ex.req.bufferBody ?? 0;
        if (buffer === 0 || ex.stashed > buffer) this.deliverStreaming(ex);
      }
      return;
    }
    if (rc === FEED_DONE) {
      this.complete(ex, parser.consumed === chunk.length);
      return;
    }
    ex.failWith(parser.errorCode, parser.errorDetail);
    this.destroy();
  }

  onHead(): void {}

  onBody(chunk: Uint8Array): void {
    const ex = this.ex!;
    const c = ex.controller;
    if (c === null) {
      ex.stash(chunk); // the head is in the same chunk: the stream does not exist yet
      return;
    }
    c.enqueue(chunk);
    if (c.desiredSize! <= 0 && !this.paused) this.pauseReading();
  }

  private deliverStreaming(ex: Exchange): void {
    ex.phase = PH_BODY;
    const parser = this.parser;
    const body = new ReadableStream<Uint8Array>(ex, BODY_STRATEGY);
    ex.resolve({ ok: true, response: { status: parser.status, headers: parser.headers, body, bodyLength: parser.contentLength } });
    if (ex.controller!.desiredSize! <= 0) this.pauseReading();
  }

  /** The response ended; `clean` = nothing followed it in the last chunk. */
  private complete(ex: Exchange, clean: boolean): void {
    const parser = this.parser;
    if (ex.phase === PH_HEAD) {
      // Fast path: the whole response came with its head; the stream is born closed.
      const first = ex.first;
      const body = parser.framing === FRAMING_NONE || first === null ? null : fixedBody(first, ex.more);
      ex.first = null;
      ex.more = null;
      ex.finish();
      ex.resolve({ ok: true, response: { status: parser.status, headers: parser.headers, body, bodyLength: parser.contentLength } });
    } else {
      ex.finish();
      ex.controller!.close();
    }
    this.ex = null;
    if (ex.requestSent) this.bodyReader = null; // the upload is complete; else destroy() below cancels it
    // Reuse only if both messages ended exactly: nothing after the response, nothing of the request unsent.
    if (clean && parser.keepAlive && ex.requestSent && this.out === null && this.state === C_ACTIVE) {
      if (this.paused) this.resumeReading();
      this.pool.release(this);
    } else {
      this.destroy();
    }
  }

  pauseReading(): void {
    const s = this.socket;
    if (s !== null && !this.paused) {
      this.paused = true;
      s.pause();
    }
  }

  resumeReading(): void {
    const s = this.socket;
    if (s !== null && this.paused) {
      this.paused = false;
      s.resume();
    }
  }

  /** The exchange is leaving this connection (failed, aborted, cancelled). */
  detach(ex: Exchange): void {
    if (this.ex === ex) this.ex = null;
  }

  /** Close abruptly (errors, aborts): the connection is not reusable. */
  destroy(): void {
    if (this.state === C_CLOSED && this.closeHandled) return;
    const s = this.socket;
    this.handleClose(null);
    if (s !== null) s.terminate();
  }

  /** Close politely (idle timeout, pool full, client closed). */
  end(): void {
    const s = this.socket;
    this.handleClose(null);
    if (s !== null) s.end();
  }

  handleClose(err: Error | null | undefined): void {
    if (this.closeHandled) return;
    this.closeHandled = true;
    const prev = this.state;
    this.state = C_CLOSED;
    this.out = null;
    const w = this.drainWaiter;
    if (w !== null) {
      this.drainWaiter = null;
      w(false);
    }
    if (prev !== C_CONNECTING) this.pool.connectionClosed(this);
    else {
      // Closed before it opened (no connectError came): the waiting exchange must not hang.
      const pending = this.pendingEx;
      this.pendingEx = null;
      if (pending !== null) pending.failWith("KEEL_UPSTREAM_UNREACHABLE", withCause("closed while connecting", err));
      this.pool.connectFailed(this);
    }
    const reader = this.bodyReader;
    if (reader !== null) {
      // Stop reading the client's upload (an early response, an abort, a reset): nobody will send it.
      this.bodyReader = null;
      void reader.cancel().catch(noop);
    }
    const ex = this.ex;
    if (ex === null) return;
    this.ex = null;
    if (ex.phase === PH_HEAD && this.parser.headDone) {
      // A body being buffered (bufferBody): the close is its end (close-delimited) or a reset mid-body.
      if (this.parser.eof() === FEED_DONE) {
        const parser = this.parser;
        const first = ex.first;
        const body = first === null ? null : fixedBody(first, ex.more);
        ex.first = null;
        ex.more = null;
        ex.finish();
        ex.resolve({ ok: true, response: { status: parser.status, headers: parser.headers, body, bodyLength: parser.contentLength } });
      } else {
        ex.failWith("KEEL_UPSTREAM_RESET_MID_RESPONSE", withCause(this.parser.errorDetail, err));
      }
      return;
    }
    if (ex.phase === PH_HEAD) {
      // The classic keep-alive race: the backend closed an idle socket as we reused it.
      if (ex.onReusedConn && !ex.gotBytes && ex.req.body === null && !ex.retried) {
        ex.retried = true;
        ex.conn = null;
        this.pool.retry(ex);
        return;
      }
      this.parser.eof();
      ex.failWith("KEEL_UPSTREAM_RESET", withCause(this.parser.errorDetail, err));
      return;
    }
    if (ex.phase === PH_BODY) {
      if (this.parser.eof() === FEED_DONE) {
        // Close-delimited body: the close is its end.
        ex.finish();
        ex.controller!.close();
      } else {
        ex.failWith("KEEL_UPSTREAM_RESET_MID_RESPONSE", withCause(this.parser.errorDetail, err));
      }
    }
  }
}

function withCause(detail: string, err: Error | null | undefined): string {
  if (err === null || err === undefined) return detail;
  const code = (err as { code?: string }).code;
  return `${detail} (${code ?? err.message})`;
}

/** s has exactly `lines` CRLFs, no bare CR or LF and no NUL: no field can smuggle a line in. */
function onlyLineBreaks(s: string, lines: number): boolean {
  if (s.indexOf("\0") >= 0) return false;
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) {
    if (s.charCodeAt(i - 1) !== 13) return false;
    n++;
  }
  if (n !== lines) return false;
  for (let i = s.indexOf("\r"); i >= 0; i = s.indexOf("\r", i + 1)) n--;
  return n === 0;
}

const BODY_METHODS_NEED_LENGTH: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

/**
 * The request head as one string (a latin1 Buffer when a field has non-ASCII bytes: a string write
 * would encode them as UTF-8), or null when a field would break the framing.
 */
export function encodeHead(req: UpstreamRequest): string | Uint8Array | null {
  const s = serializeHead(req);
  if (s === null) return null;
  return NON_ASCII.test(s) ? Buffer.from(s, "latin1") : s;
}

/** The request head as one string, or null when a field would break the framing. */
export function serializeHead(req: UpstreamRequest): string | null {
  const h = req.headers;
  const target = req.target;
  if (TARGET_BAD.test(target) || TARGET_BAD.test(req.method)) return null;
  let s = `${req.method} ${target} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < h.length; i += 2) s += `${h[i]}: ${h[i + 1]}\r\n`;
  if (!onlyLineBreaks(s, 1 + (h.length >> 1))) return null;
  if (req.body !== null) {
    s += req.bodyLength >= 0 ? `content-length: ${req.bodyLength}\r\n\r\n` : "transfer-encoding: chunked\r\n\r\n";
  } else if (BODY_METHODS_NEED_LENGTH.has(req.method)) {
    s += "content-length: 0\r\n\r\n";
  } else {
    s += "\r\n";
  }
  return s;
}

/**
 * Stream the request body to the socket, respecting partial writes (the rest waits for drain), so
 * a 100 MB upload never sits in memory. Only requests with a body pay for this async function.
 */
async function pumpBody(conn: Connection, ex: Exchange, body: ReadableStream<Uint8Array>, length: number, headWritten: boolean): Promise<void> {
  let reader: { cancel(reason?: unknown): Promise<void> } | null = null;
  try {
    if (!headWritten && !(await conn.waitDrain())) return;
    const rd = body.getReader();
    reader = rd;
    conn.bodyReader = rd;
    const chunked = length < 0;
    if (length === 0) ex.requestSent = true;
    let sent = 0;
    for (;;) {
      const r = await rd.read();
      if (ex.conn !== conn) {
        // The exchange ended (response complete, abort, reset): stop reading the client.
        void rd.cancel().catch(noop);
        return;
      }
      if (r.done) break;
      const v = r.value;
      const n = v.byteLength;
      if (n === 0) continue;
      let ok: boolean;
      if (chunked) {
        const size = n.toString(16);
        if (n <= COALESCE_CHUNK) {
          const buf = new Uint8Array(size.length + 4 + n);
          for (let i = 0; i < size.length; i++) buf[i] = size.charCodeAt(i);
          let p = size.length;
          buf[p++] = 13;
          buf[p++] = 10;
          buf.set(v, p);
          p += n;
          buf[p++] = 13;
          buf[p] = 10;
          ok = conn.writeOut(buf);
        } else {
          ok = (conn.writeOut(`${size}\r\n`) || (await conn.waitDrain())) && (conn.writeOut(v) || (await conn.waitDrain())) && conn.writeOut("\r\n");
        }
      } else {
        if (sent + n > length) {
          failRequest(conn, ex, "KEEL_INTERNAL", `request body longer than its declared length ${length}`);
          void rd.cancel().catch(noop);
          return;
        }
        ok = conn.writeOut(v);
      }
      sent += n;
      if (!ok && !(await conn.waitDrain())) {
        void rd.cancel().catch(noop);
        return;
      }
      // Everything declared is on the wire: the connection may be reused once the response ends.
      if (sent === length) ex.requestSent = true;
    }
    if (!chunked && sent !== length) {
      failRequest(conn, ex, "KEEL_INTERNAL", `request body shorter (${sent}) than its declared length ${length}`);
      return;
    }
    if (chunked) {
      if (!conn.writeOut("0\r\n\r\n") && !(await conn.waitDrain())) return;
      ex.requestSent = true;
    }
    if (conn.bodyReader === rd) conn.bodyReader = null;
  } catch (err) {
    // Reading the client's body failed: the client went away mid-upload.
    failRequest(conn, ex, "KEEL_CLIENT_CLOSED", `request body stream failed: ${(err as Error)?.message ?? String(err)}`);
    if (reader !== null) void reader.cancel().catch(noop);
  }
}

function failRequest(conn: Connection, ex: Exchange, code: ErrorCode, detail: string): void {
  if (ex.conn === conn) ex.failWith(code, detail);
  conn.destroy();
}

function noop(): void {}

/** One handler object for every socket; the Connection rides in socket.data. */
export const HANDLERS: SocketHandler<Connection> = {
  open(socket) {
    socket.data.onOpen(socket);
  },
  data(socket, chunk) {
    socket.data.onData(chunk);
  },
  drain(socket) {
    socket.data.onDrain();
  },
  close(socket, err) {
    socket.data.handleClose(err);
  },
  error(socket, err) {
    // A handler threw (a bug): fail the exchange rather than leave it hanging.
    const conn = socket.data;
    const ex = conn.ex;
    if (ex !== null && ex.phase !== PH_DONE) ex.failWith("KEEL_INTERNAL", `upstream client error: ${err.message}`);
    conn.destroy();
  },
  connectError(socket, err) {
    const code = (err as { code?: string }).code;
    const conn = socket.data;
    if (code === "ECONNREFUSED") conn.onConnectFailed("KEEL_UPSTREAM_CONNECT_REFUSED", "connection refused");
    else conn.onConnectFailed("KEEL_UPSTREAM_UNREACHABLE", `cannot connect (${code ?? err.message})`);
  },
};
