// A client that leaves cancels the upstream exchange: the backend sees its connection close (raw
// backend) or its req.signal abort (Bun.serve backend), and Keel counts nothing left in flight.

import { afterEach, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { requestComplete, startRawBackend } from "../support/backend.ts";
import { CLIENTS } from "../support/clients.ts";
import { oneRoute, startKeel, waitFor, type TestGateway } from "../support/gateway.ts";

/** Resolves with true when p settles within ms, false otherwise (for waiting, not timing). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);
}

for (const client of CLIENTS) {
  describe(`client disconnect via ${client.name}`, () => {
    const cleanups: (() => unknown)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    test("aborting while the backend stalls closes the backend's connection", async () => {
      const stall = startRawBackend({ onData() {} });
      cleanups.push(() => stall.stop());
      const gw: TestGateway = startKeel(oneRoute([stall.authority]), { client: client.make() });
      cleanups.push(() => gw.stop());

      const ac = new AbortController();
      const pending = fetch(gw.url + "/slow", { signal: ac.signal }).catch((e: unknown) => e);
      await waitFor(() => stall.received.length > 0 && requestComplete(stall.received[0]!), 4000, "the request at the backend");
      ac.abort();
      expect(await pending).toBeInstanceOf(Error);
      expect(await within(stall.closed, 4000)).toBe(true);
      await waitFor(() => gw.metrics.inFlight === 0, 4000, "in-flight back to 0");
    });

    test("aborting while a Bun.serve backend stalls aborts its req.signal", async () => {
      let signalled!: () => void;
      const aborted = new Promise<void>((r) => (signalled = r));
      let arrived = false;
      const be: Server<undefined> = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(req) {
          arrived = true;
          req.signal.addEventListener("abort", () => signalled());
          return new Promise<Response>(() => {}); // never answers
        },
      });
      cleanups.push(() => be.stop(true));
      const gw = startKeel(oneRoute([`127.0.0.1:${be.port}`]), { client: client.make() });
      cleanups.push(() => gw.stop());

      const ac = new AbortController();
      const pending = fetch(gw.url + "/slow", { signal: ac.signal }).catch((e: unknown) => e);
      await waitFor(() => arrived, 4000, "the request at the backend");
      ac.abort();
      await pending;
      expect(await within(aborted, 4000)).toBe(true);
      await waitFor(() => gw.metrics.inFlight === 0, 4000, "in-flight back to 0");
    });

    test("a client that leaves mid-upload: the backend's connection closes, nothing stays in flight", async () => {
      const sink = startRawBackend({ onData() {} }); // reads the upload, never answers
      cleanups.push(() => sink.stop());
      const gw = startKeel(oneRoute([sink.authority]), { client: client.make() });
      cleanups.push(() => gw.stop());

      const sock = await Bun.connect({ hostname: "127.0.0.1", port: gw.port, socket: { data() {} } });
      try {
        sock.write("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        sock.write(`4000\r\n${"u".repeat(0x4000)}\r\n`);
        await waitFor(() => (sink.received[0] ?? "").includes("uuuu"), 4000, "upload bytes at the backend");
      } finally {
        sock.terminate();
      }
      expect(await within(sink.closed, 4000)).toBe(true);
      await waitFor(() => gw.metrics.inFlight === 0, 4000, "in-flight back to 0");
    });

    test("cancelling mid-body stops the backend's endless stream", async () => {
      let cancelled!: () => void;
      const backendCancelled = new Promise<void>((r) => (cancelled = r));
      const chunk = new Uint8Array(16 * 1024).fill(120);
      const be: Server<undefined> = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch() {
          // An endless body: only a cancel (the downstream leaving) ends it.
          return new Response(
            new ReadableStream({
              async pull(c) {
                await Bun.sleep(5);
                c.enqueue(chunk);
              },
              cancel() {
                cancelled();
              },
            }),
          );
        },
      });
      cleanups.push(() => be.stop(true));
      const gw = startKeel(oneRoute([`127.0.0.1:${be.port}`]), { client: client.make() });
      cleanups.push(() => gw.stop());

      const ac = new AbortController();
      const res = await fetch(gw.url + "/endless", { signal: ac.signal });
      const reader = res.body!.getReader();
      let got = 0;
      while (got < 64 * 1024) got += (await reader.read()).value?.byteLength ?? 0;
      ac.abort();
      await reader.cancel().catch(() => {});
      expect(await within(backendCancelled, 4000)).toBe(true);
      await waitFor(() => gw.metrics.inFlight === 0, 4000, "in-flight back to 0");
    });
  });
}
