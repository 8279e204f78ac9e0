// Load for the worker-kill checks (bench/ops/worker-kill.ts and test/integration/workers.test.ts):
// many short keep-alive connections, each carrying a few requests in turn and then closed, so the
// kernel keeps spreading new connections over the workers (SO_REUSEPORT). A connection belongs to
// the worker named by its first response's x-keel-worker header (keel run --debug-worker-header);
// a failure on it is that worker's. A failure before any response (refused, or reset at accept)
// cannot be attributed and is counted apart, with its time.

import type { Socket } from "bun";

export interface WorkerCount {
  ok: number;
  failed: number;
}

export interface LoadStats {
  ok: number;
  failed: number;
  /** By x-keel-worker value. */
  byWorker: Record<string, WorkerCount>;
  /** Failures on connections that never got a response (whose worker is unknown). */
  unattributed: number;
  /** performance.now() of every failure, attributed or not (ms). */
  failureTimes: number[];
  /** Failures by worker ("?" = unattributed), with the error. */
  failures: { worker: string; at: number; error: string }[];
}

export interface LoadOptions {
  readonly port: number;
  readonly host?: string;
  /** Connections open at once (each its own loop). */
  readonly connections: number;
  /** Requests per connection before it is closed and a new one opened. */
  readonly requestsPerConnection: number;
  readonly path?: string;
  /** Pause between a loop's requests, ms (0 = back to back). */
  readonly pauseMs?: number;
  /** A request with no complete answer by then is a failure. */
  readonly timeoutMs?: number;
}

export class KeepAliveLoad {
  readonly stats: LoadStats = { ok: 0, failed: 0, byWorker: {}, unattributed: 0, failureTimes: [], failures: [] };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly opts: LoadOptions) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.opts.connections; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<LoadStats> {
    this.running = false;
    await Promise.all(this.loops);
    return this.stats;
  }

  private count(worker: string | null, ok: boolean, error = ""): void {
    const s = this.stats;
    if (ok) s.ok++;
    else {
      s.failed++;
      const at = performance.now();
      s.failureTimes.push(at);
      s.failures.push({ worker: worker ?? "?", at, error });
      if (worker === null) s.unattributed++;
    }
    if (worker !== null) {
      const w = (s.byWorker[worker] ??= { ok: 0, failed: 0 });
      if (ok) w.ok++;
      else w.failed++;
    }
  }

  private async loop(): Promise<void> {
    const o = this.opts;
    while (this.running) {
      let conn: Conn | null = null;
      let worker: string | null = null;
      try {
        conn = await Conn.open(o.host ?? "127.0.0.1", o.port);
        for (let i = 0; i < o.requestsPerConnection && this.running; i++) {
          const r = await conn.get(o.path ?? "/", o.timeoutMs ?? 5000);
          worker ??= r.worker;
          this.count(worker, r.status < 500);
          if (o.pauseMs) await Bun.sleep(o.pauseMs);
        }
      } catch (err) {
        this.count(worker, false, String((err as Error)?.message ?? err));
        await Bun.sleep(1); // do not spin on a refused port
      } finally {
        conn?.close();
      }
    }
  }
}

interface Answer {
  readonly status: number;
  readonly worker: string | null;
}

/** One HTTP/1.1 keep-alive connection, one request at a time. */
class Conn {
  private buf = "";
  private waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;
  private socket!: Socket<undefined>;

  static async open(host: string, port: number): Promise<Conn> {
    const c = new Conn();
    c.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, chunk) => c.onData(chunk),
        close: () => c.fail(new Error("connection closed")),
        error: (_s, err) => c.fail(err),
      },
    });
    return c;
  }

  get(path: string, timeoutMs: number): Promise<Answer> {
    if (this.dead !== null) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error("timeout")), timeoutMs);
      this.waiting = {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: load\r\n\r\n`);
    });
  }

  close(): void {
    this.dead ??= new Error("closed");
    this.socket?.end();
  }

  private fail(err: Error): void {
    this.dead ??= err;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(err);
  }

  private onData(chunk: Uint8Array): void {
    this.buf += Buffer.from(chunk).toString("latin1");
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0 || this.waiting === null) return;
    const head = this.buf.slice(0, end).toLowerCase();
    const status = Number(head.slice(9, 12));
    const worker = /\r\nx-keel-worker: *([^\r]*)/.exec(head)?.[1] ?? null;
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    let total: number;
    if (length !== null) {
      total = end + 4 + Number(length[1]);
      if (this.buf.length < total) return;
    } else {
      const last = this.buf.indexOf("\r\n0\r\n\r\n", end);
      if (last < 0) return;
      total = last + 7;
    }
    this.buf = this.buf.slice(total);
    const w = this.waiting;
    this.waiting = null;
    w.resolve({ status, worker });
  }
}
