// Incremental HTTP/1.1 response parser (RFC 9112): a pure state machine over Uint8Array chunks.
// It finds the head, skips interim 1xx responses, decides the body framing (§6.3) and cuts the
// body into views of the input chunks (no copies). No Bun imports: unit-testable byte by byte.

import { isHopByHop } from "../../normalize/hop-by-hop.ts";
import type { ErrorCode } from "../../errors.ts";

/** feed()/eof() results. */
export const FEED_MORE = 0;
export const FEED_DONE = 1;
export const FEED_ERROR = -1;
export type FeedResult = typeof FEED_MORE | typeof FEED_DONE | typeof FEED_ERROR;

/** Body framing of the final response. */
export const FRAMING_NONE = 0; // HEAD, 204, 304, content-length: 0
export const FRAMING_LENGTH = 1;
export const FRAMING_CHUNKED = 2;
export const FRAMING_CLOSE = 3; // read until the server closes
export type Framing = typeof FRAMING_NONE | typeof FRAMING_LENGTH | typeof FRAMING_CHUNKED | typeof FRAMING_CLOSE;

/** Receives the parsed final head and the body bytes (views into the fed chunks, valid as long as they are). */
export interface ResponseSink {
  onHead(parser: ResponseParser): void;
  onBody(chunk: Uint8Array): void;
}

/** Interim and final heads together may not exceed this (a stream of 103s is bounded too). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Bound on one chunk-size line (size + extensions) and on the trailer section. */
const MAX_CHUNK_LINE = 64 * 1024;
const MAX_TRAILER_BYTES = 64 * 1024;

const S_HEAD = 0;
const S_BODY_LENGTH = 1;
const S_CHUNK_SIZE = 2; // first hex digit expected
const S_CHUNK_SIZE_MORE = 3; // more hex digits, ';', BWS or CR
const S_CHUNK_BWS = 4; // whitespace after the size: ';' or CR
const S_CHUNK_EXT = 5;
const S_CHUNK_SIZE_LF = 6;
const S_CHUNK_DATA = 7;
const S_CHUNK_DATA_CR = 8;
const S_CHUNK_DATA_LF = 9;
const S_TRAILER_START = 10;
const S_TRAILER_LINE = 11;
const S_TRAILER_LF = 12;
const S_TRAILER_END_LF = 13;
const S_BODY_CLOSE = 14;
const S_DONE = 15;
const S_ERROR = 16;

// tchar (RFC 9110 §5.6.2) lookup, built once.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

// Hex digit values, -1 for others.
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const BAD_HEAD_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/;

function nameHash(lower: string): number {
  let h = lower.length;
  for (let i = 0; i < lower.length; i++) h = (Math.imul(h, 31) + lower.charCodeAt(i)) | 0;
  return h;
}

// Header names most responses carry (and the framing / hop-by-hop ones), by hash of their lower-case form.
const KNOWN_NAMES = new Map<number, string>();
for (const name of [
  "content-type", "content-length", "date", "server", "connection", "transfer-encoding", "keep-alive", "cache-control",
  "etag", "last-modified", "vary", "set-cookie", "location", "content-encoding", "expires", "accept-ranges", "age",
  "x-request-id", "access-control-allow-origin", "access-control-allow-credentials", "strict-transport-security",
  "x-content-type-options", "x-frame-options", "content-security-policy", "pragma", "via", "trailer", "upgrade", "te",
  "proxy-connection", "proxy-authenticate", "proxy-authorization", "content-disposition", "content-language", "link",
  "retry-after", "www-authenticate", "x-powered-by", "alt-svc", "referrer-policy", "x-xss-protection", "content-range",
]) {
  const h = nameHash(name);
  if (!KNOWN_NAMES.has(h)) KNOWN_NAMES.set(h, name);
}

/** s[from..to) equals `lower` ignoring ASCII case (the name is already known to be a token). */
function sameLower(s: string, from: number, to: number, lower: string): boolean {
  if (to - from !== lower.length) return false;
  for (let i = from, j = 0; i < to; i++, j++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

export class ResponseParser {
  // Final head, valid after onHead.
  status = 0;
  /** Flat [name0, value0, ...], names lower-case, hop-by-hop fields removed. */
  headers: string[] = [];
  /** Declared content-length, -1 when none (or when overridden by transfer-encoding). */
  contentLength = -1;
  framing: Framing = FRAMING_NONE;
  /** The connection may carry another exchange after this one (if it also ends cleanly). */
  keepAlive = true;
  /** Index in the last fed chunk just past the end of the message (after FEED_DONE). */
  consumed = 0;
  errorCode: ErrorCode = "KEEL_UPSTREAM_BAD_RESPONSE";
  errorDetail = "";

  private state = S_HEAD;
  private isHead = false;
  private headBuf: Uint8Array | null = null;
  private headLen = 0;
  private headTotal = 0;
  private remaining = 0; // body bytes (length framing) or chunk bytes left
  private lineBytes = 0;
  private trailerBytes = 0;

  constructor(private readonly sink: ResponseSink) {}

  /** Prepare for the response to a new request. */
  reset(isHeadRequest: boolean): void {
    this.state = S_HEAD;
    this.isHead = isHeadRequest;
    this.headLen = 0;
    // A pooled connection should not hold on to a big head buffer from some earlier response.
    if (this.headBuf !== null && this.headBuf.length > 8192) this.headBuf = null;
    this.headTotal = 0;
    this.status = 0;
    this.headers = [];
    this.contentLength = -1;
    this.framing = FRAMING_NONE;
    this.keepAlive = true;
    this.consumed = 0;
    this.errorCode = "KEEL_UPSTREAM_BAD_RESPONSE";
    this.errorDetail = "";
  }

  /** True once the final head has been parsed. */
  get headDone(): boolean {
    return this.state !== S_HEAD && this.state !== S_ERROR;
  }

  feed(chunk: Uint8Array): FeedResult {
    const st = this.state;
    if (st === S_DONE || st === S_ERROR) return this.fail("bytes after the end of the response");
    let pos = 0;
    if (st === S_HEAD) {
      pos = this.feedHead(chunk, 0);
      if (pos < 0) return this.state === S_ERROR ? FEED_ERROR : FEED_MORE;
      if (this.state === S_DONE) {
        this.consumed = pos;
        return FEED_DONE;
      }
    }
    return this.feedBody(chunk, pos);
  }

  /** The peer closed the connection: a close-delimited body ends, anything else was cut short. */
  eof(): FeedResult {
    const st = this.state;
    if (st === S_BODY_CLOSE) {
      this.state = S_DONE;
      return FEED_DONE;
    }
    if (st === S_DONE) return FEED_DONE;
    if (st === S_ERROR) return FEED_ERROR;
    if (st === S_HEAD) {
      this.state = S_ERROR;
      this.errorCode = "KEEL_UPSTREAM_RESET";
      this.errorDetail = this.headLen > 0 || this.headTotal > 0 ? "connection closed inside the response head" : "connection closed before any response";
      return FEED_ERROR;
    }
    this.state = S_ERROR;
    this.errorCode = "KEEL_UPSTREAM_RESET_MID_RESPONSE";
    this.errorDetail = this.framing === FRAMING_LENGTH ? `connection closed with ${this.remaining} body bytes missing` : "connection closed inside a chunked body";
    return FEED_ERROR;
  }

  private fail(detail: string): FeedResult {
    this.state = S_ERROR;
    this.errorCode = "KEEL_UPSTREAM_BAD_RESPONSE";
    this.errorDetail = detail;
    return FEED_ERROR;
  }

  /**
   * Consume head bytes from chunk[pos..]. Returns the position after the final head (state is then
   * a body state or S_DONE), or -1 when more bytes are needed or on error.
   */
  private feedHead(chunk: Uint8Array, pos: number): number {
    const end = chunk.length;
    while (pos < end || this.headLen > 0) {
      const room = MAX_HEAD_BYTES - this.headTotal; // bytes this head may still have
      let buf: Uint8Array;
      let start: number;
      let stop: number; // index just past CRLFCRLF in buf
      let next: number; // position in chunk after this head
      if (this.headLen === 0) {
        stop = findHeadEnd(chunk, pos, end);
        if (stop < 0) {
          if (end - pos >= room) return this.failHead("response head larger than 64 KiB");
          this.stash(chunk, pos, end);
          return -1;
        }
        if (stop - pos > room) return this.failHead("response head larger than 64 KiB");
        buf = chunk;
        start = pos;
        next = stop;
      } else {
        // The head spans chunks: append (at most up to the limit) and search across the seam.
        const old = this.headLen;
        this.stash(chunk, pos, pos + Math.min(end - pos, room - old));
        buf = this.headBuf!;
        stop = findHeadEnd(buf, old > 3 ? old - 3 : 0, this.headLen);
        if (stop < 0) {
          if (this.headLen >= room) return this.failHead("response head larger than 64 KiB");
          return -1;
        }
        start = 0;
        next = pos + (stop - old);
        this.headLen = 0;
      }
      this.headTotal += stop - start;
      const r = this.parseHead(buf, start, stop);
      if (r < 0) return -1;
      pos = next;
      if (r === 1) return pos; // final head
      // interim 1xx: look for the next head
    }
    return -1;
  }

  private failHead(detail: string): number {
    this.fail(detail);
    return -1;
  }

  private stash(chunk: Uint8Array, from: number, to: number): void {
    const n = to - from;
    let buf = this.headBuf;
    if (buf === null || buf.length < this.headLen + n) {
      const grown = new Uint8Array(Math.max(this.headLen + n, buf === null ? 4096 : buf.length * 2));
      if (buf !== null) grown.set(buf.subarray(0, this.headLen));
      this.headBuf = buf = grown;
    }
    buf.set(chunk.subarray(from, to), this.headLen);
    this.headLen += n;
  }

  /** Parse one head in buf[start..stop) (stop is just past CRLFCRLF). 1 = final, 0 = interim, -1 = error. */
  private parseHead(buf: Uint8Array, start: number, stop: number): number {
    const s: string = latin1Slice.call(buf, start, stop - 2); // keep the CRLF ending the last line
    // Control characters other than HTAB are never valid in a head, nor is a CR outside CRLF
    // (bare LFs are caught line by line below). One native scan instead of a JS byte loop.
    if (BAD_HEAD_CHAR.test(s)) {
      this.fail("control character in the response head");
      return -1;
    }
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    let lf = s.indexOf("\n");
    if (lf < 13 || s.charCodeAt(lf - 1) !== 13) return this.badStatus(s, lf);
    const lineEnd = lf - 1;
    if (!s.startsWith("HTTP/1.") || s.charCodeAt(8) !== 32) return this.badStatus(s, lf);
    const minor = s.charCodeAt(7) - 48;
    const d0 = s.charCodeAt(9) - 48;
    const d1 = s.charCodeAt(10) - 48;
    const d2 = s.charCodeAt(11) - 48;
    if (minor < 0 || minor > 9 || d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return this.badStatus(s, lf);
    if (lineEnd > 12 && s.charCodeAt(12) !== 32) return this.badStatus(s, lf);
    const status = d0 * 100 + d1 * 10 + d2;
    if (status === 101) {
      this.fail("unexpected 101 Switching Protocols (no upgrade was requested)");
      return -1;
    }
    const interim = status < 200;

    const headers: string[] = [];
    let contentLength = -1;
    let clValue = ""; // as received, when it is a plain number (saves a number-to-string)
    let te: string | null = null;
    let close = false;
    let keepAliveToken = false;
    let named: string[] | null = null; // extra fields named by Connection
    let p = lf + 1;
    const n = s.length;
    while (p < n) {
      lf = s.indexOf("\n", p);
      // Every line ends in CRLF (no bare CR is left, see above).
      if (lf < 0 || s.charCodeAt(lf - 1) !== 13) {
        this.fail("header line not terminated by CRLF");
        return -1;
      }
      const colon = s.indexOf(":", p);
      if (colon <= p || colon > lf) {
        const c0 = s.charCodeAt(p);
        this.fail(c0 === 32 || c0 === 9 ? "obsolete line folding in a header" : "header line without a field name");
        return -1;
      }
      // Validate the name and hash its lower-case form in one pass.
      let hash = colon - p;
      let upper = false;
      for (let i = p; i < colon; i++) {
        let c = s.charCodeAt(i);
        if (c > 127 || TCHAR[c] === 0) {
          this.fail("invalid character in a header name");
          return -1;
        }
        if (c >= 65 && c <= 90) {
          c += 32;
          upper = true;
        }
        hash = (Math.imul(hash, 31) + c) | 0;
      }
      // Well-known names come back as interned constants: no substring, no toLowerCase.
      let name = KNOWN_NAMES.get(hash);
      if (name === undefined || !sameLower(s, p, colon, name)) {
        name = s.slice(p, colon);
        if (upper) name = name.toLowerCase();
      }
      // Trim optional whitespace (SP / HTAB only) around the value.
      let vs = colon + 1;
      let ve = lf - 1;
      while (vs < ve && (s.charCodeAt(vs) === 32 || s.charCodeAt(vs) === 9)) vs++;
      while (ve > vs && (s.charCodeAt(ve - 1) === 32 || s.charCodeAt(ve - 1) === 9)) ve--;
      const value = s.slice(vs, ve);
      p = lf + 1;
    switch (name) {
        case "content-length": {
          const v = parseContentLength(value);
          if (v < 0) {
            this.fail(`invalid content-length "${value}"`);
            return -1;
          }
          if (contentLength >= 0 && contentLength !== v) {
            this.fail("conflicting content-length headers");
            return -1;
          }
          contentLength = v;
          clValue = value;
          break;
        }
        case "transfer-encoding":
          te = te === null ? value : `${te}, ${value}`;
          break;
        case "connection":
          for (const raw of value.split(",")) {
            const t = trimOws(raw).toLowerCase();
            if (t === "close") close = true;
            else if (t === "keep-alive") keepAliveToken = true;
            else if (t !== "") (named ??= []).push(t);
          }
          break;
        default:
          // The other hop-by-hop fields (RFC 9110 §7.6.1) end here; one list serves both legs.
          if (!isHopByHop(name)) headers.push(name, value);
      }
    }
    if (interim) return 0; // 100, 102, 103...: wait for the final response

    if (named !== null) {
      for (let i = headers.length - 2; i >= 0; i -= 2) {
        if (named.includes(headers[i]!)) headers.splice(i, 2);
      }
    }
    let keepAlive = minor === 0 ? keepAliveToken && !close : !close;
    let framing: Framing;
    if (te !== null && !isChunkedOnly(te)) {
      // Other transfer codings would reach the client still encoded, without a way to say so.
      this.fail(`unsupported transfer-encoding "${te}"`);
      return -1;
    }
    if (this.isHead || status === 204 || status === 304) {
      framing = FRAMING_NONE;
    } else if (te !== null) {
      framing = FRAMING_CHUNKED;
      if (contentLength >= 0) {
        // Both: chunked wins (§6.3), but the sender is suspect; do not reuse the connection.
        keepAlive = false;
        contentLength = -1;
      }
    } else if (contentLength >= 0) {
      framing = contentLength === 0 ? FRAMING_NONE : FRAMING_LENGTH;
    } else {
      framing = FRAMING_CLOSE;
      keepAlive = false;
    }
    if (status === 204) contentLength = -1; // a 204 has no content to measure
    if (contentLength >= 0) headers.push("content-length", clValue.indexOf(",") < 0 ? clValue : String(contentLength));

    this.status = status;
    this.headers = headers;
    this.contentLength = contentLength;
    this.framing = framing;
    this.keepAlive = keepAlive;
    switch (framing) {
      case FRAMING_NONE:
        this.state = S_DONE;
        break;
      case FRAMING_LENGTH:
        this.state = S_BODY_LENGTH;
        this.remaining = contentLength;
        break;
      case FRAMING_CHUNKED:
        this.state = S_CHUNK_SIZE;
        this.remaining = 0;
        this.lineBytes = 0;
        this.trailerBytes = 0;
        break;
      default:
        this.state = S_BODY_CLOSE;
    }
    this.sink.onHead(this);
    return 1;
  }

  private badStatus(s: string, lf: number): number {
    const line = lf < 0 ? s : s.slice(0, Math.max(0, lf - 1));
    this.fail(`malformed status line "${line.length > 64 ? `${line.slice(0, 64)}...` : line}"`);
    return -1;
  }

  private feedBody(chunk: Uint8Array, pos: number): FeedResult {
    const end = chunk.length;
    const sink = this.sink;
    let st = this.state;
    if (st === S_BODY_LENGTH) {
      if (pos < end) {
        const n = Math.min(this.remaining, end - pos);
        this.remaining -= n;
        sink.onBody(pos === 0 && n === end ? chunk : chunk.subarray(pos, pos + n));
        pos += n;
      }
      if (this.remaining === 0) {
        this.state = S_DONE;
        this.consumed = pos;
        return FEED_DONE;
      }
      return FEED_MORE;
    }
    if (st === S_BODY_CLOSE) {
      if (pos < end) sink.onBody(pos === 0 ? chunk : chunk.subarray(pos));
      return FEED_MORE;
    }
    // Chunked.
    while (pos < end) {
      if (st === S_CHUNK_DATA) {
        const n = Math.min(this.remaining, end - pos);
        this.remaining -= n;
        sink.onBody(chunk.subarray(pos, pos + n));
        pos += n;
        if (this.remaining === 0) st = S_CHUNK_DATA_CR;
        continue;
      }
      const b = chunk[pos++]!;
      switch (st) {
        case S_CHUNK_SIZE:
        case S_CHUNK_SIZE_MORE: {
          const h = HEX[b]!;
          if (h >= 0) {
            this.remaining = this.remaining * 16 + h;
            if (this.remaining > Number.MAX_SAFE_INTEGER) return this.fail("chunk size too large");
            st = S_CHUNK_SIZE_MORE;
          } else if (st === S_CHUNK_SIZE) {
            return this.fail("invalid chunk size");
          } else if (b === 13) st = S_CHUNK_SIZE_LF;
          else if (b === 59) st = S_CHUNK_EXT; // ';'
          else if (b === 32 || b === 9) st = S_CHUNK_BWS;
          else return this.fail("invalid chunk size");
          break;
        }
        case S_CHUNK_BWS:
          if (b === 13) st = S_CHUNK_SIZE_LF;
          else if (b === 59) st = S_CHUNK_EXT;
          else if (b !== 32 && b !== 9) return this.fail("invalid chunk size line");
          break;
        case S_CHUNK_EXT:
          // Extensions are ignored; only their bytes are checked.
          if (b === 13) st = S_CHUNK_SIZE_LF;
          else if (isCtl(b)) return this.fail("invalid chunk extension");
          break;
        case S_CHUNK_SIZE_LF:
          if (b !== 10) return this.fail("chunk size line not terminated by CRLF");
          this.lineBytes = 0;
          if (this.remaining === 0) st = S_TRAILER_START;
          else st = S_CHUNK_DATA;
          break;
        case S_CHUNK_DATA_CR:
          if (b !== 13) return this.fail("chunk data longer than its size");
          st = S_CHUNK_DATA_LF;
          break;
        case S_CHUNK_DATA_LF:
          if (b !== 10) return this.fail("chunk data not followed by CRLF");
          st = S_CHUNK_SIZE;
          break;
        case S_TRAILER_START:
          if (b === 13) st = S_TRAILER_END_LF;
          else if (isCtl(b)) return this.fail("invalid trailer line");
          else st = S_TRAILER_LINE;
          break;
        case S_TRAILER_LINE:
          if (b === 13) st = S_TRAILER_LF;
          else if (isCtl(b)) return this.fail("invalid trailer line");
          break;
        case S_TRAILER_LF:
          if (b !== 10) return this.fail("trailer line not terminated by CRLF");
          st = S_TRAILER_START;
          break;
        case S_TRAILER_END_LF:
          if (b !== 10) return this.fail("trailer section not terminated by CRLF");
          this.state = S_DONE;
          this.consumed = pos;
          return FEED_DONE;
      }
      // Bound the size line and the trailers so a backend cannot make us scan forever.
      if (st === S_CHUNK_SIZE_MORE || st === S_CHUNK_BWS || st === S_CHUNK_EXT) {
        if (++this.lineBytes > MAX_CHUNK_LINE) return this.fail("chunk size line too long");
      } else if (st === S_TRAILER_LINE || st === S_TRAILER_LF || st === S_TRAILER_START) {
        if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail("trailer section too large");
      }
    }
    this.state = st;
    return FEED_MORE;
  }

}

/** Index just past the first CRLFCRLF in buf[from..end), or -1. */
function findHeadEnd(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  while (i + 3 < end) {
    i = buf.indexOf(13, i);
    if (i < 0 || i + 3 >= end) return -1;
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i + 4;
    i++;
  }
  return -1;
}

/** 1*DIGIT, or a list of identical values ("5, 5", RFC 9110 §8.6). -1 when invalid. */
export function parseContentLength(value: string): number {
  if (value.indexOf(",") >= 0) {
    let v = -1;
    for (const part of value.split(",")) {
      const x = parseContentLength(trimOws(part));
      if (x < 0 || (v >= 0 && x !== v)) return -1;
      v = x;
    }
    return v;
  }
  const n = value.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** A control byte other than HTAB: never valid in a chunk extension or a trailer line. */
function isCtl(b: number): boolean {
  return (b < 0x20 && b !== 9) || b === 0x7f;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isChunkedOnly(te: string): boolean {
  if (te.length === 7) return te.toLowerCase() === "chunked";
  return trimOws(te).toLowerCase() === "chunked";
}
