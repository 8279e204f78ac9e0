// SIGTERM drains `keel run`: not ready, no new connections, in-flight requests finish, exit 0.
// With a drain timeout the process exits 0 even when a request never finishes.

import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { spawnKeel, type KeelChild } from "../support/child.ts";
import { oneRoute, waitFor } from "../support/gateway.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A backend whose requests wait until release() (or until fallbackMs, so nothing hangs forever). */
function slowBackend(fallbackMs: number | null) {
  let arrived = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const server: Server<undefined> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch() {
      arrived++;
      await (fallbackMs === null ? released : Promise.race([released, Bun.sleep(fallbackMs)]));
      return new Response("slow but done");
    },
  });
  cleanups.push(() => server.stop(true));
  return { authority: `127.0.0.1:${server.port}`, arrived: () => arrived, release };
}

/** Try a fresh TCP connection: "refused" when nothing accepts, else "accepted". */
async function connectOutcome(port: number): Promise<"refused" | "accepted"> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return "accepted";
  } catch {
    return "refused";
  }
}

// `keel run` picks its client from KEEL_UPSTREAM_CLIENT; drain must hold for both.
const CLIENT_ENVS: [string, Record<string, string>][] = [
  ["http1 (default)", {}],
  ["fetch", { KEEL_UPSTREAM_CLIENT: "fetch" }],
];

for (const [clientName, env] of CLIENT_ENVS) {
  describe(`drain on SIGTERM via ${clientName}`, () => {
    test("in-flight request completes with 200, /readyz is 503, new connections are refused, exit 0", async () => {
      // Answers when the test has looked at the draining gateway (release below), at the latest after 5 s.
      const be = slowBackend(5000);
      const keel: KeelChild = await spawnKeel("server: { drainTimeout: 10s }\n" + oneRoute([be.authority]), { env });
      cleanups.push(() => keel.stop());
      // Sanity: ready before the signal.
      expect((await fetch(keel.adminUrl + "/readyz")).status).toBe(200);

      const slow = fetch(keel.url + "/slow").then(async (r) => ({ status: r.status, body: await r.text() }));
      await waitFor(() => be.arrived() === 1, 5000, "the slow request at the backend");
      keel.proc.kill("SIGTERM");
      await keel.waitForOutput(/SIGTERM received, draining/);

      const ready = await fetch(keel.adminUrl + "/readyz");
      expect(ready.status).toBe(503);
      expect(await connectOutcome(keel.port)).toBe("refused");

      be.release();
      expect(await slow).toEqual({ status: 200, body: "slow but done" });
      expect(await keel.exited).toBe(0);
      expect(keel.output()).toContain("keel: stopped");
    }, 15_000);

    test("a response body still streaming at SIGTERM is delivered whole before the exit", async () => {
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const be: Server<undefined> = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch() {
          let i = 0;
          return new Response(
            new ReadableStream({
              async pull(c) {
                if (i === 1) await Promise.race([released, Bun.sleep(5000)]); // the rest waits for the signal
                if (i++ >= 5) return c.close();
                c.enqueue(new TextEncoder().encode(`chunk${i};`));
              },
            }),
          );
        },
      });
      cleanups.push(() => be.stop(true));
      cleanups.push(() => release());
      const keel = await spawnKeel("server: { drainTimeout: 10s }\n" + oneRoute([`127.0.0.1:${be.port}`]), { env });
      cleanups.push(() => keel.stop());

      const res = await fetch(keel.url + "/download");
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = dec.decode((await reader.read()).value);
      expect(text).toBe("chunk1;");
      keel.proc.kill("SIGTERM");
      await keel.waitForOutput(/SIGTERM received, draining/);
      release();
      for (;;) {
        const r = await reader.read();
        if (r.done) break;
        text += dec.decode(r.value);
      }
      expect(text).toBe("chunk1;chunk2;chunk3;chunk4;chunk5;");
      expect(await keel.exited).toBe(0);
    }, 15_000);

    test("drain timeout: a request that never finishes is cut off and the process still exits 0", async () => {
      const be = slowBackend(null); // never answers on its own
      const keel = await spawnKeel("server: { drainTimeout: 300ms }\n" + oneRoute([be.authority]), { env });
      cleanups.push(() => keel.stop());
      cleanups.push(() => be.release());

      const stuck = fetch(keel.url + "/never").then(
        (r) => r.status,
        (e: unknown) => e,
      );
      await waitFor(() => be.arrived() === 1, 5000, "the request at the backend");
      keel.proc.kill("SIGTERM");
      expect(await keel.exited).toBe(0);
      expect(keel.output()).toContain("drain timeout, 1 request(s) cut off");
      // The client is not left hanging: its connection was closed (or it got an answer).
      await stuck;
    }, 15_000);
  });
}
