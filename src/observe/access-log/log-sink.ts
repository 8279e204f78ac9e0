// Where access-log chunks go: stdout or a file opened for append. Writes run on libuv's thread
// pool (fs.write with a callback), so a slow disk or a full pipe never blocks the event loop.
// One write is in flight at a time: chunks stay in order, and reopen() swaps the descriptor
// between two writes, so a rotation loses nothing.

import { closeSync, openSync, write } from "node:fs";

export interface LogSink {
  /** Writes the whole chunk, then calls done (with the error, if any). Never called again before done. */
  write(chunk: Uint8Array, done: (err: Error | null) => void): void;
  /** Open the path again (logrotate renamed the file); the next write goes to the new file. */
  reopen(): { ok: true } | { ok: false; error: string };
  close(): void;
}

export const STDOUT = "stdout";

/** A file appended to (created 0644 if absent), or stdout (fd 1, never closed). */
export class FdSink implements LogSink {
  private fd: number;
  private retired: number[] = [];
  private writing = false;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  static open(path: string): { ok: true; sink: FdSink } | { ok: false; error: string } {
    if (path === STDOUT) return { ok: true, sink: new FdSink(path, 1) };
    try {
      return { ok: true, sink: new FdSink(path, openSync(path, "a", 0o644)) };
    } catch (err) {
      return { ok: false, error: `cannot open access log ${path}: ${(err as Error).message}` };
    }
  }

  write(chunk: Uint8Array, done: (err: Error | null) => void): void {
    this.writing = true;
    this.writeFrom(chunk, 0, done);
  }

  private writeFrom(chunk: Uint8Array, offset: number, done: (err: Error | null) => void): void {
    write(this.fd, chunk, offset, chunk.length - offset, null, (err, n) => {
      if (err === null && offset + n < chunk.length) return this.writeFrom(chunk, offset + n, done);
      this.writing = false;
      this.closeRetired();
      done(err);
    });
  }

  reopen(): { ok: true } | { ok: false; error: string } {
    if (this.path === STDOUT) return { ok: true };
    let fd: number;
    try {
      fd = openSync(this.path, "a", 0o644);
    } catch (err) {
      // Keep writing to the old file rather than losing lines.
      return { ok: false, error: `cannot reopen access log ${this.path}: ${(err as Error).message}` };
    }
    // A write in flight still uses the old descriptor: close it once that write is done.
    this.retired.push(this.fd);
    this.fd = fd;
    if (!this.writing) this.closeRetired();
    return { ok: true };
  }

  close(): void {
    this.retired.push(this.fd);
    this.fd = -1;
    if (!this.writing) this.closeRetired();
  }

  private closeRetired(): void {
    for (const fd of this.retired.splice(0)) if (fd > 2) closeQuietly(fd);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}
