// Fault: a client that reads a large streamed response slowly. Keel must pass the backpressure on
// (stop reading the backend while the client's socket is full), not buffer the body: a 200 MB
// download read by a client that first stops reading, then reads at a trickle, raises Keel's RSS by
// less than 64 MB, and while the client reads nothing the backend is held back too. Keel runs as a
// child process so its RSS (/proc/PID/status) is its own. Fast clients streaming 100 MB both ways
// are ../streaming-memory.test.ts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "bun";
import { spawnKeel, type KeelChild } from "../../support/child.ts";
import { oneRoute, waitFor, type TestGateway } from "../../support/gateway.ts";
import { expectNothingInFlight } from "../resilience/helpers.ts";

const MB = 1024 * 1024;
const TOTAL = 200 * MB;
const WARM = 4 * MB;
const CHUNK = 64 * 1024;
const RSS_BOUND = 64 * MB;
/** What may sit between the backend and a client that reads nothing: socket buffers on both hops and Keel's. */
const HELD_BOUND = 64 * MB;
/** The trickle: this many bytes per 10 ms step (≈ 100 MB/s at most, a fraction of what loopback carries). */
const STEP_BYTES = 1024 * 1024;

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;

/** Bytes the backend has handed to its socket for the current download. */
let produced = 0;
let backend: Server<undefined>;
let keel: KeelChild;

/** `total` bytes made as they are pulled (no buffering on the backend side either). */
function generated(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (sent >= total) return c.close();
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        if (total === TOTAL) produced = sent;
        c.enqueue(new Uint8Array(n).fill(sent & 0xff));
      },
    },
    { highWaterMark: 0 },
  );
}

describe.skipIf(!existsSync("/proc/self/status"))("a client that reads slowly", () => {
  beforeAll(async () => {
    backend = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: (req) => new Response(generated(req.url.endsWith("/big") ? TOTAL : WARM), { headers: { "content-type": "application/octet-stream" } }),
    });
    keel = await spawnKeel(`server: { drainTimeout: 200ms, idleTimeout: 30s }\n` + oneRoute([`127.0.0.1:${backend.port}`]));
    // First-use allocations (JIT, pools, buffers) belong in the baseline.
    for (let i = 0; i < 3; i++) await (await fetch(keel.url + "/warm")).arrayBuffer();
  });

  afterAll(async () => {
    await keel?.stop();
    backend?.stop(true);
  });

  test("200 MB read at a trickle: the backend is held back, Keel's RSS rises < 64 MB, nothing left in flight", async () => {
    const base = rssOf(keel.pid);
    let peak = base;
    let received = 0;
    let allowance = 0;
    let tail = "";
    let closed = false;
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port: keel.port,
      socket: {
        data(s, chunk) {
          received += chunk.byteLength;
          tail = (tail + Buffer.from(chunk.subarray(Math.max(0, chunk.byteLength - 8))).toString("latin1")).slice(-8);
          if (received >= allowance) s.pause();
        },
        close() {
          closed = true;
        },
      },
    });
    try {
      sock.write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
      // Phase 1: read one step, then nothing until the backend has stopped sending.
      allowance = STEP_BYTES;
      let last = -1;
      await waitFor(
        async () => {
          peak = Math.max(peak, rssOf(keel.pid));
          const still = produced === last && produced > 0;
          last = produced;
          await Bun.sleep(100);
          return still;
        },
        8000,
        "the backend to be held back",
      );
      const held = produced - received;
      expect(produced).toBeLessThan(TOTAL);
      expect(held).toBeLessThan(HELD_BOUND);
      // Phase 2: the rest at a trickle.
      while (!tail.endsWith("0\r\n\r\n") && !closed) {
        allowance = received + STEP_BYTES;
        sock.resume();
        await Bun.sleep(10);
        peak = Math.max(peak, rssOf(keel.pid));
      }
      console.log(`slow reader: ${(held / MB).toFixed(1)} MB between backend and client while paused; Keel RSS +${((peak - base) / MB).toFixed(1)} MB over ${(TOTAL / MB).toFixed(0)} MB`);
      expect(tail.endsWith("0\r\n\r\n")).toBe(true); // the chunked body ended properly
      expect(received).toBeGreaterThan(TOTAL);
      expect(produced).toBe(TOTAL);
      expect(peak - base).toBeLessThan(RSS_BOUND);
    } finally {
      sock.terminate();
    }
    // Only adminUrl is read from the gateway here.
    await expectNothingInFlight({ adminUrl: keel.adminUrl } as TestGateway);
    const next = await fetch(keel.url + "/warm");
    expect(next.status).toBe(200);
    expect((await next.arrayBuffer()).byteLength).toBe(WARM);
  }, 30_000);
});
