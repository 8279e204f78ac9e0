// A client that sends exact bytes over TCP and returns exactly what came back, for requests a
// well-behaved client (fetch) would never send: absolute-form targets, hop-by-hop headers, CONNECT.

export interface RawResult {
  /** Everything received, latin1. */
  readonly text: string;
  /** The connection was closed by the peer (rather than by our timeout). */
  readonly closedByPeer: boolean;
}

/**
 * Send `bytes`, collect until the peer closes, or until `until(text)` is true, or timeoutMs passes.
 * Always closes the socket before returning.
 */
export async function rawRequest(
  port: number,
  bytes: string | Uint8Array,
  opts: { until?: (text: string) => boolean; timeoutMs?: number } = {},
): Promise<RawResult> {
  let text = "";
  let closedByPeer = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        text += Buffer.from(chunk).toString("latin1");
        if (opts.until?.(text)) done();
      },
      close() {
        closedByPeer = true;
        done();
      },
      error() {
        closedByPeer = true;
        done();
      },
    },
  });
  socket.write(bytes);
  const timer = setTimeout(done, opts.timeoutMs ?? 4000);
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    socket.end();
  }
  return { text, closedByPeer };
}

export interface ParsedResponse {
  readonly status: number;
  /** Lower-case names; repeated fields keep every value. */
  readonly headers: [string, string][];
  readonly body: string;
  get(name: string): string | null;
  all(name: string): string[];
}

/** Parse the first response in `text` (Content-Length or chunked framing, or to the end). */
export function parseResponse(text: string): ParsedResponse {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const lines = text.slice(0, end).split("\r\n");
  const status = Number(lines[0]!.split(" ")[1]);
  const headers = lines.slice(1).map((l): [string, string] => {
    const c = l.indexOf(":");
    return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
  });
  const all = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const rest = text.slice(end + 4);
  let body = rest;
  const cl = all("content-length")[0];
  if (cl !== undefined) body = rest.slice(0, Number(cl));
  else if (all("transfer-encoding")[0]?.toLowerCase() === "chunked") {
    body = "";
    let p = 0;
    for (;;) {
      const eol = rest.indexOf("\r\n", p);
      if (eol < 0) break;
      const n = parseInt(rest.slice(p, eol), 16);
      if (!(n > 0)) break;
      body += rest.slice(eol + 2, eol + 2 + n);
      p = eol + 2 + n + 2;
    }
  }
  return { status, headers, body, all, get: (name) => all(name)[0] ?? null };
}

/** A full response has arrived (for rawRequest's `until`). */
export function responseComplete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const m = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (m !== null) return text.length - (end + 4) >= Number(m[1]);
  if (head.includes("transfer-encoding: chunked")) return text.endsWith("0\r\n\r\n");
  return false;
}
