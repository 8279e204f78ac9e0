// One Redis connection per Redis URL per process, carrying every shared policy's takes, and the
// health bit the limiters read on every decision.
//
// Takes queued during one event-loop turn leave together at its end (setImmediate): up to
// MAX_TAKE_KEYS keys per EVALSHA (take-script.ts), the calls pipelined.
//
// Client: Bun's built-in RedisClient (RESP3, pipelines everything sent in one tick). Its own
// reconnect is turned off (autoReconnect: false) and so is its offline queue: a call made while
// disconnected fails at once instead of waiting. The built-in reconnect backs off up to 2 s
// (recovery took ~1.1 s after a restart here), stops after maxRetries, and had bugs around
// replies pending across a reconnect (oven-sh/bun #27861, #34374, #41829). So this store keeps
// one client per connection and replaces it: whatever was pending on a dead client is rejected
// by close() and can never be matched to a reply on the new one.
//
// Health (up / down), what flips it and how fast (defaults):
//   up → down: the client's onclose (a killed server: within a few ms), a call failing with a
//              connection error, or no reply for callTimeoutMs (500 ms) while a call is out (a
//              hung server or a black-holed network). A PING goes out when nothing else was sent
//              for heartbeatMs (250 ms), so a quiet store still notices: worst case about
//              heartbeat + callTimeout + tick ≈ 800 ms.
//   down → up: every probeIntervalMs (250 ms) a fresh client connects (connectTimeoutMs) and
//              loads the script (SCRIPT LOAD); when both answer, it becomes the client.
// A server error reply (e.g. OOM, READONLY) fails that take but leaves the store up: the server
// answers, and a reconnect would not change its answer.
import { RedisClient } from "bun";
import type { LeaseJob, LeaseStore } from "./lease-store.ts";
import { MAX_TAKE_KEYS, parseTakeReplies, TAKE_SCRIPT, TAKE_SHA } from "./take-script.ts";

export interface RedisLeaseStoreOptions {
  /** Namespace of the bucket keys. Default "keel:rl:". */
  readonly prefix?: string;
  /** Longest a connect (TCP + HELLO) may take. Default 500 ms. */
  readonly connectTimeoutMs?: number;
  /** No reply for this long while a call is out → down. Default 500 ms. */
  readonly callTimeoutMs?: number;
  /** PING when nothing was sent for this long while up. Default 250 ms. */
  readonly heartbeatMs?: number;
  /** A reconnect attempt this often while down. Default 250 ms. */
  readonly probeIntervalMs?: number;
  /** Period of the one housekeeping timer. Default 50 ms. */
  readonly tickMs?: number;
}

export class RedisLeaseStore implements LeaseStore {
  readonly url: string;
  readonly prefix: string;

  /** Takes sent to Redis (one per key; several keys share a call). */
  leaseRequests = 0;
  /** EVALSHA calls that carried them. */
  takeCalls = 0;
  /** Of those, takes for a key that had been granted a lease before. */
  leaseRefreshes = 0;
  /** Tokens granted by Redis. */
  tokensGranted = 0;
  /** Failed calls: connection errors, timeouts, error replies, replies of the wrong shape. */
  redisErrors = 0;
  /** up → down and down → up transitions. */
  modeSwitches = 0;
  /** Reconnect attempts that failed. */
  probeFailures = 0;
  /** Why the store last went down (for logs): "closed", "timeout", an error code. */
  lastDownReason = "not connected yet";

  private isUp = false;
  private closed = false;
  private client: RedisClient | null = null;
  private readonly queue: LeaseJob[] = [];
  private flushScheduled = false;
  /** Calls sent on the current client and not answered yet. */
  private inflight = 0;
  /** Last time the server showed progress (a reply, or the first call out after a quiet spell). */
  private progressAt = 0;
  private lastSendAt = 0;
  private probing: RedisClient | null = null;
  private probeStartedAt = 0;
  private nextProbeAt = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly upWaiters: Array<() => void> = [];

  private readonly connectTimeoutMs: number;
  private readonly callTimeoutMs: number;
  private readonly heartbeatMs: number;
  private readonly probeIntervalMs: number;
  private readonly tickMs: number;
  private readonly flushBound = () => this.flush();

  constructor(url: string, options: RedisLeaseStoreOptions = {}) {
    this.url = url;
    this.prefix = options.prefix ?? "keel:rl:";
    this.connectTimeoutMs = options.connectTimeoutMs ?? 500;
    this.callTimeoutMs = options.callTimeoutMs ?? 500;
    this.heartbeatMs = options.heartbeatMs ?? 250;
    this.probeIntervalMs = options.probeIntervalMs ?? 250;
    this.tickMs = options.tickMs ?? 50;
  }

  /** Connected and answering (gauge: 1/0). */
  get up(): boolean {
    return this.isUp;
  }

  /** Starts connecting and the housekeeping timer. Idempotent. */
  start(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(tickStore, this.tickMs, this);
    (this.timer as { unref?: () => void }).unref?.();
    this.probe(performance.now());
  }

  /** Resolves true once up, or false after timeoutMs (the store keeps trying in the background). */
  ready(timeoutMs: number): Promise<boolean> {
    this.start();
    if (this.isUp) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(this.isUp), timeoutMs);
      (t as { unref?: () => void }).unref?.();
      this.upWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  request(job: LeaseJob): boolean {
    if (!this.isUp) return false;
    this.queue.push(job);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the current event-loop turn, not in a microtask: every request handled in this turn
      // (one per microtask checkpoint) adds its take to the same call.
      setImmediate(this.flushBound);
    }
    return true;
  }

  /** Stops the timer, closes the connection; queued and pending takes settle as failed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.isUp = false;
    this.lastDownReason = "closed";
    const c = this.client;
    this.client = null;
    c?.close();
    this.probing?.close();
    this.probing = null;
    this.failQueued();
  }

  /**
   * Sends every take queued since the last flush: up to MAX_TAKE_KEYS keys per EVALSHA (one
   * command, one reply, one promise for all of them), the calls pipelined.
   */
  private flush(): void {
    this.flushScheduled = false;
    const client = this.client;
    if (!this.isUp || client === null) {
      this.failQueued();
      return;
    }
    const now = performance.now();
    const jobs = this.queue.splice(0);
    for (let start = 0; start < jobs.length; start += MAX_TAKE_KEYS) {
      const batch = start === 0 && jobs.length <= MAX_TAKE_KEYS ? jobs : jobs.slice(start, start + MAX_TAKE_KEYS);
      const n = batch.length;
      const args: string[] = new Array(2 + 5 * n);
      args[0] = TAKE_SHA;
      args[1] = String(n);
      for (let i = 0; i < n; i++) {
        const job = batch[i]!;
        job.prepare(now);
        if (job.refresh) this.leaseRefreshes++;
        const a = 2 + n + 4 * i;
        args[2 + i] = job.redisKey;
        args[a] = String(job.chargeNow);
        args[a + 1] = String(job.want);
        args[a + 2] = job.bucket.intervalUs;
        args[a + 3] = job.bucket.burst;
      }
      this.leaseRequests += n;
      this.takeCalls++;
      this.send(client, "EVALSHA", args, now).then(
        (reply) => this.answered(client, batch, reply),
        (err) => this.takeFailed(client, batch, args, err),
      );
    }
  }

  private send(client: RedisClient, command: string, args: string[], now: number): Promise<unknown> {
    if (this.inflight === 0) this.progressAt = now;
    this.inflight++;
    this.lastSendAt = now;
    try {
      return client.send(command, args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Bookkeeping for any reply or rejection of a call sent on `client`. */
  private settled(client: RedisClient): void {
    if (client !== this.client) return; // a replaced client: its calls no longer count
    this.inflight--;
    this.progressAt = performance.now();
  }

  private answered(client: RedisClient, jobs: LeaseJob[], raw: unknown): void {
    this.settled(client);
    const replies = parseTakeReplies(raw, jobs.length);
    if (replies === null) this.redisErrors++;
    const now = performance.now();
    for (let i = 0; i < jobs.length; i++) {
      const reply = replies === null ? null : replies[i]!;
      if (reply !== null) this.tokensGranted += reply.granted;
      jobs[i]!.settle(reply, now);
    }
  }

  private takeFailed(client: RedisClient, jobs: LeaseJob[], args: string[], err: unknown): void {
    this.settled(client);
    const code = errorCode(err);
    if (code === "ERR_REDIS_SERVER_ERROR" && errorMessage(err).startsWith("NOSCRIPT") && client === this.client && this.isUp) {
      // The server lost its script cache (restart, SCRIPT FLUSH, failover): send the source once;
      // EVAL caches it again for the next EVALSHA.
      const evalArgs = args.slice();
      evalArgs[0] = TAKE_SCRIPT;
      this.send(client, "EVAL", evalArgs, performance.now()).then(
        (reply) => this.answered(client, jobs, reply),
        (e) => this.takeFailed(client, jobs, evalArgs, e),
      );
      return;
    }
    // Calls of a replaced client were rejected by our own close(): the outage is counted already.
    if (client === this.client) {
      this.redisErrors++;
      if (code !== "ERR_REDIS_SERVER_ERROR") this.goDown(client, code || "call failed");
    }
    const now = performance.now();
    for (const job of jobs) job.settle(null, now);
  }

  private failQueued(): void {
    if (this.queue.length === 0) return;
    const now = performance.now();
    for (const job of this.queue.splice(0)) {
      job.prepare(now);
      job.settle(null, now);
    }
  }

  /** Housekeeping, every tickMs: hung-call watchdog and heartbeat while up, reconnects while down. */
  tick(now: number): void {
    if (this.closed) return;
    if (this.isUp) {
      if (this.inflight > 0 && now - this.progressAt > this.callTimeoutMs) {
        this.redisErrors++;
        this.goDown(this.client, "timeout");
      } else if (this.inflight === 0 && now - this.lastSendAt >= this.heartbeatMs) {
        this.heartbeat(now);
      }
      return;
    }
    if (this.probing !== null) {
      // A server that accepts and never answers would keep the probe pending forever.
      if (now - this.probeStartedAt > this.connectTimeoutMs + this.callTimeoutMs) {
        const p = this.probing;
        this.probing = null;
        p.close();
      }
      return;
    }
    if (now >= this.nextProbeAt) this.probe(now);
  }

  private heartbeat(now: number): void {
    const client = this.client;
    if (client === null) return;
    this.send(client, "PING", [], now).then(
      () => this.settled(client),
      (err) => {
        if (client !== this.client) return;
        this.settled(client);
        this.redisErrors++;
        const code = errorCode(err);
        if (code !== "ERR_REDIS_SERVER_ERROR") this.goDown(client, code || "ping failed");
      },
    );
  }

  /** Connect a fresh client and load the script; on success it becomes the client and the store is up. */
  private probe(now: number): void {
    this.nextProbeAt = now + this.probeIntervalMs;
    this.probeStartedAt = now;
    const c = new RedisClient(this.url, {
      autoReconnect: false,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      connectionTimeout: this.connectTimeoutMs,
    });
    this.probing = c;
    c.onclose = (err) => {
      if (c === this.client) this.goDown(c, errorCode(err) || "closed");
    };
    c.connect()
      .then(() => c.send("SCRIPT", ["LOAD", TAKE_SCRIPT]))
      .then(
        (sha) => {
          if (this.probing !== c || this.closed) {
            c.close();
            return;
          }
          this.probing = null;
          if (sha !== TAKE_SHA) {
            this.probeFailures++;
            this.lastDownReason = "script sha mismatch";
            c.close();
            return;
          }
          this.goUp(c);
        },
        (err) => {
          if (this.probing === c) this.probing = null;
          this.probeFailures++;
          this.lastDownReason = errorCode(err) || "connect failed";
          c.close();
        },
      );
  }

  private goUp(c: RedisClient): void {
    this.client = c;
    this.inflight = 0;
    this.lastSendAt = performance.now();
    this.isUp = true;
    this.modeSwitches++;
    for (const w of this.upWaiters.splice(0)) w();
  }

  /** Only the current client can take the store down; closing it rejects its pending calls. */
  private goDown(client: RedisClient | null, reason: string): void {
    if (client === null || client !== this.client || !this.isUp) return;
    this.isUp = false;
    this.client = null;
    this.inflight = 0;
    this.modeSwitches++;
    this.lastDownReason = reason;
    this.nextProbeAt = performance.now() + this.probeIntervalMs;
    client.close();
  }
}

function tickStore(store: RedisLeaseStore): void {
  store.tick(performance.now());
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function errorMessage(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message;
  return typeof m === "string" ? m : "";
}
