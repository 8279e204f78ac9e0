import { afterAll, describe, expect, test } from "bun:test";
import { readBody } from "../../../src/normalize/json/read-body.ts";

const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

/** A pull stream of `chunks` chunks of `size` bytes (Infinity: endless) that records pulls and its cancel reason. */
function source(size: number, chunks: number) {
  const seen = { pulls: 0, cancelled: null as unknown };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulls++;
        if (seen.pulls > chunks) controller.close();
        else controller.enqueue(bytes(size));
      },
      cancel(reason) {
        seen.cancelled = reason ?? "cancelled";
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

describe("bytes and null", () => {
  test("null is an empty body", async () => {
    const r = await readBody(null, 10);
    expect(r.ok && r.bytes.length).toBe(0);
  });

  test("a byte array within the cap is returned as is; one byte over is too large", async () => {
    const body = bytes(10);
    expect(await readBody(body, 10)).toEqual({ ok: true, bytes: body });
    expect(await readBody(bytes(11), 10)).toEqual({ ok: false, reason: "too-large", received: 11 });
  });
});

describe("streams", () => {
  test("chunks are joined in order", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1, 2]));
        c.enqueue(new Uint8Array([]));
        c.enqueue(new Uint8Array([3]));
        c.close();
      },
    });
    const r = await readBody(stream, 3);
    expect(r.ok && [...r.bytes]).toEqual([1, 2, 3]);
  });

  test("exactly the cap passes; one byte over is too large and cancels the stream there", async () => {
    const fits = source(5, 2);
    expect((await readBody(fits.stream, 10)).ok).toBe(true);
    const over = source(5, 3);
    const r = await readBody(over.stream, 14);
    expect(r).toEqual({ ok: false, reason: "too-large", received: 15 });
    expect(over.seen.cancelled).not.toBeNull();
    expect(over.seen.pulls).toBe(3);
  });

  test("an endless stream stops at the cap", async () => {
    const endless = source(1000, Infinity);
    const r = await readBody(endless.stream, 10_000);
    expect(r).toEqual({ ok: false, reason: "too-large", received: 11_000 });
    expect(endless.seen.pulls).toBe(11);
    expect(endless.seen.cancelled).not.toBeNull();
  });

  test("a stream that errors", async () => {
    const boom = new Error("socket reset");
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (!sent) {
          sent = true;
          c.enqueue(bytes(3));
        } else c.error(boom);
      },
    });
    expect(await readBody(stream, 100)).toEqual({ ok: false, reason: "stream-error", error: boom });
  });

  test("a locked stream and a stream of strings are stream errors, not throws", async () => {
    const locked = new ReadableStream<Uint8Array>();
    locked.getReader();
    expect(await readBody(locked, 100)).toMatchObject({ ok: false, reason: "stream-error" });
    const strings = new ReadableStream({ start: (c) => c.enqueue("text") }) as unknown as ReadableStream<Uint8Array>;
    expect(await readBody(strings, 100)).toMatchObject({ ok: false, reason: "stream-error" });
  });
});

describe("request bodies over a real socket", () => {
  let handled: (r: unknown) => void = () => {};
  let started: () => void = () => {};
  const server = Bun.serve({
    port: 0,
    async fetch(req) {
      started();
      const r = await readBody(req.body, 100);
      handled(r.ok ? { ok: true, length: r.bytes.length } : r);
      return new Response(null, { status: r.ok ? 204 : 413 });
    },
  });
  afterAll(() => server.stop(true));

  const next = (): Promise<unknown> => new Promise((resolve) => (handled = resolve));

  test("within the cap", async () => {
    const result = next();
    const res = await fetch(server.url, { method: "POST", body: bytes(100) });
    expect(res.status).toBe(204);
    expect(await result).toEqual({ ok: true, length: 100 });
  });

  test("a streamed upload is stopped at the cap", async () => {
    const result = next();
    const upload = source(60, 5);
    const res = await fetch(server.url, { method: "POST", body: upload.stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(await result).toEqual({ ok: false, reason: "too-large", received: 120 });
  });

  test("a client that closes mid-body", async () => {
    const result = next();
    const begun = new Promise<void>((resolve) => (started = resolve));
    const socket = await Bun.connect({ hostname: server.hostname ?? "127.0.0.1", port: server.port!, socket: { data() {} } });
    socket.write("POST / HTTP/1.1\r\nHost: keel\r\nContent-Length: 50\r\n\r\n0123456789");
    await begun;
    socket.end();
    expect(await result).toMatchObject({ ok: false, reason: "stream-error" });
  });
});
