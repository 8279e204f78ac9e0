// Test backends on real sockets (127.0.0.1, port 0): a recording Bun.serve backend, a raw
// Bun.listen backend that answers with exact bytes (or misbehaves), and a port nobody listens on.

import type { Server, Socket, TCPSocketListener } from "bun";

export interface Recorded {
  readonly method: string;
  /** Path plus query as the backend saw it. */
  readonly target: string;
  readonly headers: Headers;
  readonly body: string;
}

export interface Backend {
  readonly server: Server<undefined>;
  readonly port: number;
  /** "127.0.0.1:PORT" (what Keel should send as Host). */
  readonly authority: string;
  readonly url: string;
  readonly requests: Recorded[];
  stop(): void;
}

export type BackendHandler = (req: Request, rec: Recorded, server: Server<undefined>) => Response | Promise<Response>;

/** Default answer: 200 JSON echo of what arrived. */
const echo: BackendHandler = (_req, rec) =>
  Response.json({ method: rec.method, target: rec.target, body: rec.body }, { headers: { "x-backend": "echo" } });

/** A Bun.serve backend that records every request (method, target, headers, body text). */
export function startBackend(handler: BackendHandler = echo): Backend {
  const requests: Recorded[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req, srv) {
      const u = req.url;
      const p = u.indexOf("/", u.indexOf("//") + 2);
      const rec: Recorded = {
        method: req.method,
        target: p < 0 ? "/" : u.slice(p),
        headers: new Headers(req.headers),
        body: req.body === null ? "" : await req.text(),
      };
      requests.push(rec);
      return handler(req, rec, srv);
    },
  });
  const port = server.port!;
  return {
    server,
    port,
    authority: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => void server.stop(true),
  };
}

export interface RawBackend {
  readonly port: number;
  readonly authority: string;
  /** Every byte each connection sent, as latin1 text, one entry per connection. */
  readonly received: string[];
  /** Connections accepted so far. */
  readonly connections: number;
  /** Resolves when some accepted connection has closed (from either side). */
  readonly closed: Promise<void>;
  /** Accepted connections closed so far. */
  readonly closedCount: number;
  stop(): void;
}

export interface RawHooks {
  /** Called with the connection's bytes so far whenever more arrive; return what to do. */
  onData(sofar: string, socket: Socket<RawConn>): void;
}

export interface RawConn {
  index: number;
}

/** A raw TCP backend (Bun.listen) for exact bytes and misbehaviour: resets, stalls, lies. */
export function startRawBackend(hooks: RawHooks): RawBackend {
  const received: string[] = [];
  let connections = 0;
  let closedCount = 0;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const sockets = new Set<Socket<RawConn>>();
  const listener: TCPSocketListener<RawConn> = Bun.listen<RawConn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { index: connections++ };
        received.push("");
        sockets.add(s);
      },
      data(s, chunk) {
        received[s.data.index] += Buffer.from(chunk).toString("latin1");
        hooks.onData(received[s.data.index]!, s);
      },
      close(s) {
        sockets.delete(s);
        closedCount++;
        resolveClosed();
      },
      error() {},
    },
  });
  return {
    port: listener.port,
    authority: `127.0.0.1:${listener.port}`,
    received,
    get connections() {
      return connections;
    },
    closed,
    get closedCount() {
      return closedCount;
    },
    stop() {
      for (const s of sockets) s.terminate();
      listener.stop(true);
    },
  };
}

/** True once a request head (and its Content-Length body, if any) has fully arrived. */
export function requestComplete(sofar: string): boolean {
  const end = sofar.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(sofar.slice(0, end));
  return m === null || sofar.length - (end + 4) >= Number(m[1]);
}

/** A TCP port on 127.0.0.1 that nobody listens on (bound once, then released). */
export function deadPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}
