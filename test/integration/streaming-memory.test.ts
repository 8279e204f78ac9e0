// Bodies stream through Keel with bounded memory: a 100 MB upload and a 100 MB download each raise
// the Keel process's RSS by less than 32 MB (48 MB for an upload through Bun's fetch client, which
// holds more in flight: 23–32 MB measured over runs; a buffered body would be 100 MB or more). Keel runs as a child so its RSS is its own; the test
// process generates the data on the fly (64 KiB chunks) and its backend counts bytes without
// buffering. RSS is sampled from /proc/PID/status while the bytes flow; the max counts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "bun";
import { spawnKeel, type KeelChild } from "../support/child.ts";
import { oneRoute } from "../support/gateway.ts";

const TOTAL = 100 * 1024 * 1024;
const CHUNK = 64 * 1024;
const LIMIT_BYTES = 32 * 1024 * 1024;
const FETCH_UPLOAD_LIMIT_BYTES = 48 * 1024 * 1024;

/** A stream of `total` bytes in CHUNK pieces, made as they are pulled. */
function generated(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (sent >= total) return c.close();
        const n = Math.min(CHUNK, total - sent);
        const chunk = new Uint8Array(n);
        chunk[0] = sent & 0xff; // not all zeros, and a fresh buffer each time (no aliasing)
        sent += n;
        c.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Count a stream's bytes, keeping none. */
async function countBytes(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let n = 0;
  if (body === null) return 0;
  for await (const chunk of body) n += chunk.byteLength;
  return n;
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m === null ? 0 : Number(m[1]) * 1024;
}

/** Run `work` while sampling the child's RSS; returns the rise over the baseline taken just before. */
async function rssRiseDuring(pid: number, work: () => Promise<void>): Promise<number> {
  Bun.gc(true); // the test process's garbage is not Keel's, but keep the machine calm
  const base = rssBytes(pid);
  let max = base;
  let running = true;
  const sampler = (async () => {
    while (running) {
      max = Math.max(max, rssBytes(pid));
      await Bun.sleep(10);
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  max = Math.max(max, rssBytes(pid));
  return max - base;
}

const MB = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

const CLIENT_ENVS: [string, Record<string, string>][] = [
  ["http1 (default)", {}],
  ["fetch", { KEEL_UPSTREAM_CLIENT: "fetch" }],
];

describe.skipIf(!existsSync("/proc/self/status"))("streaming memory", () => {
  let backend: Server<undefined>;
  const keels: KeelChild[] = [];
  const measured: Record<string, number> = {};

  beforeAll(() => {
    backend = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      maxRequestBodySize: 2 * TOTAL,
      async fetch(req) {
        if (req.method === "POST") return new Response(String(await countBytes(req.body)));
        return new Response(generated(TOTAL), { headers: { "content-type": "application/octet-stream" } });
      },
    });
  });

  afterAll(async () => {
    for (const k of keels) await k.stop();
    backend?.stop(true);
    console.log("keel RSS rise while streaming 100 MB:", Object.entries(measured).map(([k, v]) => `${k} ${MB(v)}`).join(", "));
  });

  for (const [clientName, env] of CLIENT_ENVS) {
    describe(`via ${clientName}`, () => {
      let keel: KeelChild;

      beforeAll(async () => {
        keel = await spawnKeel(`server: { drainTimeout: 1s, maxRequestBody: 200mb }\n` + oneRoute([`127.0.0.1:${backend.port}`]), { env });
        keels.push(keel);
        // Warm up both directions so first-use allocations (JIT, pools) are in the baseline.
        for (let i = 0; i < 3; i++) {
          await countBytes((await fetch(keel.url + "/warm", { method: "POST", body: generated(4 * CHUNK), duplex: "half" } as RequestInit)).body);
        }
      });

      test("a 100 MB upload", async () => {
        let echoed = "";
        const rise = await rssRiseDuring(keel.pid, async () => {
          const res = await fetch(keel.url + "/upload", { method: "POST", body: generated(TOTAL), duplex: "half" } as RequestInit);
          expect(res.status).toBe(200);
          echoed = await res.text();
        });
        measured[`${clientName} upload`] = rise;
        expect(echoed).toBe(String(TOTAL));
        expect(rise).toBeLessThan(clientName === "fetch" ? FETCH_UPLOAD_LIMIT_BYTES : LIMIT_BYTES);
      }, 60_000);

      test("a 100 MB download", async () => {
        let got = 0;
        const rise = await rssRiseDuring(keel.pid, async () => {
          const res = await fetch(keel.url + "/download");
          expect(res.status).toBe(200);
          got = await countBytes(res.body);
        });
        measured[`${clientName} download`] = rise;
        expect(got).toBe(TOTAL);
        expect(rise).toBeLessThan(LIMIT_BYTES);
      }, 60_000);
    });
  }
});
