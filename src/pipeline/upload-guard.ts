// Counts a request body on its way to the upstream, without buffering it: past the route's
// maxRequestBody it fails the stream (the upstream exchange stops, the client gets a 413), and it
// marks the body complete so the exchange watch can tell a stalled upload (408) from a slow
// upstream. Only requests with a body pay for it.

import type { WatchedExchange } from "./exchange-watch.ts";

export class UploadGuard {
  received = 0;
  tooLarge = false;

  constructor(
    private readonly max: number,
    private readonly exchange: WatchedExchange,
  ) {}

  wrap(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
    return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(this));
  }

  /** TransformStream transformer: called per chunk. */
  transform(chunk: Uint8Array, c: TransformStreamDefaultController<Uint8Array>): void {
    this.received += chunk.byteLength;
    if (this.received > this.max) {
      this.tooLarge = true;
      c.error(new Error(`request body over ${this.max} bytes`));
      return;
    }
    c.enqueue(chunk);
  }

  /** TransformStream transformer: the whole body arrived. */
  flush(): void {
    this.exchange.uploadDone = true;
  }
}
