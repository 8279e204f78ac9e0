// Buffering a body up to a cap. The stream is cancelled the moment the cap is passed, so an
// oversized upload stops costing memory (and, upstream, bandwidth) right there.

import type { ReadBodyResult } from "./types.ts";

const EMPTY = new Uint8Array(0);

/**
 * Reads a body (bytes, a stream or null) into one Uint8Array, stopping (and cancelling the stream)
 * as soon as it passes maxBytes, or when `stop` fires (→ reason "stopped"). Never throws: a stream
 * error → { ok: false, reason: "stream-error" }.
 */
export async function readBody(body: Uint8Array | ReadableStream<Uint8Array> | null, maxBytes: number, stop?: AbortSignal): Promise<ReadBodyResult> {
  if (body === null) return { ok: true, bytes: EMPTY.slice() };
  if (body instanceof Uint8Array) return body.length > maxBytes ? { ok: false, reason: "too-large", received: body.length } : { ok: true, bytes: body };
  let reader;
  try {
    reader = body.getReader();
  } catch (error) {
    return { ok: false, reason: "stream-error", error }; // e.g. already locked by another reader
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  let stopped = false;
  const onStop = () => {
    stopped = true;
    void cancelQuietly(reader, "stopped by the caller");
  };
  if (stop !== undefined) {
    if (stop.aborted) onStop();
    else stop.addEventListener("abort", onStop, { once: true });
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (stopped) return { ok: false, reason: "stopped", received };
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        await cancelQuietly(reader, "not a byte stream");
        return { ok: false, reason: "stream-error", error: new TypeError("body stream produced a chunk that is not a Uint8Array") };
      }
      received += value.length;
      if (received > maxBytes) {
        await cancelQuietly(reader, "body over the size limit");
        return { ok: false, reason: "too-large", received };
      }
      if (value.length > 0) chunks.push(value);
    }
  } catch (error) {
    if (stopped) return { ok: false, reason: "stopped", received };
    return { ok: false, reason: "stream-error", error };
  } finally {
    stop?.removeEventListener("abort", onStop);
  }
  return { ok: true, bytes: concat(chunks, received) };
}

async function cancelQuietly(reader: { cancel(reason?: unknown): Promise<void> }, reason: string): Promise<void> {
  try {
    await reader.cancel(reason);
  } catch {
    // Cancelling a stream that already failed may reject; there is nothing more to stop.
  }
}

function concat(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
