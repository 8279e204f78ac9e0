// A real redis-server for tests, on a free 127.0.0.1 port, with no persistence. stop() kills it
// (SIGKILL, like a crash) and restart() brings it back on the same port, so tests can exercise
// an outage and the recovery. Never a mock: the Lua script and the client's reconnects are part
// of what is tested.

import type { Subprocess } from "bun";
import { RedisClient } from "bun";

export const REDIS_SERVER = "/usr/bin/redis-server";

export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** Running now? */
  readonly running: boolean;
  /** SIGKILL the server and wait for the exit. Idempotent. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: no persistence) and wait until it answers. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

/** A port nobody listens on right now: bind port 0, read it, close. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export async function startRedis(opts: { startTimeoutMs?: number } = {}): Promise<TestRedis> {
  const port = freePort();
  const url = `redis://127.0.0.1:${port}`;
  let proc: Subprocess<"ignore", "ignore", "pipe"> | null = null;

  const spawn = async (): Promise<void> => {
    proc = Bun.spawn(
      [REDIS_SERVER, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--loglevel", "warning"],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    await waitUntilAnswers(url, proc, opts.startTimeoutMs ?? 5000);
  };

  await spawn();
  return {
    port,
    url,
    get running() {
      return proc !== null && proc.exitCode === null && proc.signalCode === null;
    },
    async stop() {
      const p = proc;
      if (p === null) return;
      proc = null;
      p.kill("SIGKILL"); // also ends a paused server
      await p.exited;
    },
    async restart() {
      if (proc !== null) return;
      await spawn();
    },
    pause() {
      proc?.kill("SIGSTOP");
    },
    resume() {
      proc?.kill("SIGCONT");
    },
  };
}

/** PING with a fresh client until PONG (the server needs a few ms to bind). */
async function waitUntilAnswers(url: string, proc: Subprocess<"ignore", "ignore", "pipe">, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${await new Response(proc.stderr).text()}`);
    const c = new RedisClient(url, { autoReconnect: false, connectionTimeout: 200, enableOfflineQueue: false });
    try {
      await c.connect();
      if ((await c.ping()) === "PONG") return;
    } catch {
      // not up yet
    } finally {
      c.close();
    }
    if (performance.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`redis-server on ${url} did not answer within ${timeoutMs} ms`);
    }
    await Bun.sleep(10);
  }
}
