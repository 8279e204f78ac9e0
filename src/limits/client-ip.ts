// Who the client is, for rate-limit keys: the peer address, unless the peer is one of the
// configured trustedProxies; then X-Forwarded-For, read from the right (each proxy appends the
// address it saw, so only the part written by our own proxies can be believed):
// - trusted addresses are skipped; the first untrusted one is the client;
// - if every entry is trusted, the leftmost is the client (the chain ends inside our network);
// - a malformed entry stops the walk, and the last good address wins (the peer itself when the
//   rightmost entry is malformed): what lies left of garbage was not written by a proxy we trust;
// - entries are trimmed of spaces and tabs; empty entries ("a,,b") are skipped; "[v6]",
//   "[v6]:port" and "v4:port" are read as the address; "::ffff:1.2.3.4" (and its hex form) is
//   IPv4 and is returned as "1.2.3.4". Other entries are returned as written.
// Addresses are parsed by hand over index ranges: no regex, no split, no string per hop.

/** Compiled trustedProxies: IPv4 and IPv6 networks. */
export class CidrSet {
  /** [network, mask] pairs. */
  private readonly v4: Uint32Array;
  /** Groups of 8: network words 0-3, then mask words 0-3. */
  private readonly v6: Uint32Array;
  readonly isEmpty: boolean;
  // Keep-alive connections repeat their peer: remember the last answer.
  private lastPeer = "";
  private lastPeerTrusted = false;

  constructor(v4: Uint32Array, v6: Uint32Array) {
    this.v4 = v4;
    this.v6 = v6;
    this.isEmpty = v4.length === 0 && v6.length === 0;
  }

  /** Is this address (text) in the set? Unparseable text is not. */
  has(address: string): boolean {
    if (this.isEmpty) return false;
    if (address === this.lastPeer) return this.lastPeerTrusted;
    const kind = parseAddress(address, 0, address.length, WORDS);
    const trusted = kind !== INVALID && this.matches(kind, WORDS);
    this.lastPeer = address;
    this.lastPeerTrusted = trusted;
    return trusted;
  }

  /** For clientIp's walk: `words` as parseAddress filled them ([ipv4] for V4, 4 words for V6). */
  matches(kind: AddressKind, words: Uint32Array): boolean {
    if (kind === V4) {
      const a = words[0]!;
      const v4 = this.v4;
      for (let i = 0; i < v4.length; i += 2) if (((a & v4[i + 1]!) >>> 0) === v4[i]) return true;
      if (this.v6.length === 0) return false;
      // An IPv4 address is also ::ffff:a.b.c.d, which a wide IPv6 network (::/0) may hold.
      MAPPED[3] = a;
      return this.matchesV6(MAPPED);
    }
    return this.matchesV6(words);
  }

  private matchesV6(w: Uint32Array): boolean {
    const v6 = this.v6;
    for (let i = 0; i < v6.length; i += 8) {
      if (
        ((w[0]! & v6[i + 4]!) >>> 0) === v6[i] &&
        ((w[1]! & v6[i + 5]!) >>> 0) === v6[i + 1] &&
        ((w[2]! & v6[i + 6]!) >>> 0) === v6[i + 2] &&
        ((w[3]! & v6[i + 7]!) >>> 0) === v6[i + 3]
      ) {
        return true;
      }
    }
    return false;
  }
}

/**
 * "10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "::1", "::ffff:10.0.0.0/104" (= 10.0.0.0/8).
 * Host bits set below the prefix are ignored ("192.168.1.1/24" is 192.168.1.0/24).
 */
export function compileCidrs(list: readonly string[]): CidrSet | { error: string } {
  const v4: number[] = [];
  const v6: number[] = [];
  const words = new Uint32Array(4);
  for (const raw of list) {
    const text = raw.trim();
    const slash = text.indexOf("/");
    const addrEnd = slash === -1 ? text.length : slash;
    let kind = text.includes("%") ? INVALID : parseAddress(text, 0, addrEnd, words);
    if (kind === INVALID) return { error: `${JSON.stringify(raw)} is not an IP address or CIDR` };
    let prefix = kind === V4 ? 32 : 128;
    if (slash !== -1) {
      const digits = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(digits)) return { error: `${JSON.stringify(raw)} has no valid prefix length after "/"` };
      prefix = Number(digits);
    }
    // parseAddress already turned ::ffff:a.b.c.d into IPv4; its prefix counts IPv6 bits.
    if (kind === V4 && slash !== -1 && hasColon(text, 0, addrEnd)) {
      if (prefix < 96) {
        kind = V6;
        words.set([0, 0, 0xffff, words[0]!]);
      } else prefix -= 96;
    }
    if (prefix > (kind === V4 ? 32 : 128)) return { error: `${JSON.stringify(raw)} has a prefix length longer than the address` };
    if (kind === V4) {
      const mask = maskWord(prefix);
      v4.push((words[0]! & mask) >>> 0, mask);
    } else {
      const masks = [0, 1, 2, 3].map((i) => maskWord(Math.min(32, Math.max(0, prefix - 32 * i))));
      v6.push(...masks.map((m, i) => (words[i]! & m) >>> 0), ...masks);
    }
  }
  return new CidrSet(Uint32Array.from(v4), Uint32Array.from(v6));
}

/**
 * The client's address. `peer` is returned as given (pass it through plainIp first) when
 * nothing is trusted, when there is no X-Forwarded-For, or when the peer is not a trusted proxy.
 */
export function clientIp(peer: string, xForwardedFor: string | null, trusted: CidrSet): string {
  if (trusted.isEmpty || xForwardedFor === null || !trusted.has(peer)) return peer;
  const xff = xForwardedFor;
  // The last good address so far, as a range of xff; -1 = the peer.
  let goodStart = -1;
  let goodEnd = -1;
  let goodV4 = -1; // set when the good address is IPv4-mapped IPv6: returned in dotted form
  let end = xff.length;
  while (end >= 0) {
    const comma = end === 0 ? -1 : xff.lastIndexOf(",", end - 1);
    let s = comma + 1;
    let e = end;
    while (s < e && isBlank(xff.charCodeAt(s))) s++;
    while (e > s && isBlank(xff.charCodeAt(e - 1))) e--;
    if (s < e) {
      if (!unwrap(xff, s, e)) break;
      s = RANGE[0]!;
      e = RANGE[1]!;
      const kind = parseAddress(xff, s, e, WORDS);
      if (kind === INVALID) break;
      goodStart = s;
      goodEnd = e;
      goodV4 = kind === V4 && hasColon(xff, s, e) /* written as IPv6 */ ? WORDS[0]! : -1;
      if (!trusted.matches(kind, WORDS)) break;
    }
    if (comma === -1) break;
    end = comma;
  }
  if (goodStart === -1) return peer;
  return goodV4 !== -1 ? formatV4(goodV4) : xff.slice(goodStart, goodEnd);
}

type AddressKind = 0 | 4 | 6;
const INVALID = 0;
const V4 = 4;
const V6 = 6;

// Scratch space: one request is handled at a time, and nothing here awaits.
const WORDS = new Uint32Array(4);
const MAPPED = new Uint32Array([0, 0, 0xffff, 0]);
const GROUPS = new Uint16Array(8);
const RANGE = new Int32Array(2);

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Drops "[...]", "[...]:port" and "a.b.c.d:port" wrappers; the address range goes to RANGE. */
function unwrap(s: string, start: number, end: number): boolean {
  RANGE[0] = start;
  RANGE[1] = end;
  if (s.charCodeAt(start) === 0x5b /* [ */) {
    const close = s.indexOf("]", start);
    if (close === -1 || close >= end) return false;
    if (close + 1 < end && !isPort(s, close + 1, end)) return false;
    RANGE[0] = start + 1;
    RANGE[1] = close;
    return true;
  }
  const colon = s.indexOf(":", start);
  if (colon === -1 || colon >= end) return true;
  const dot = s.indexOf(".", start);
  if (dot !== -1 && dot < colon && s.lastIndexOf(":", end - 1) === colon) {
    // One colon after a dot: IPv4 with a port. (IPv6 has at least two colons.)
    if (!isPort(s, colon, end)) return false;
    RANGE[1] = colon;
  }
  return true;
}

/** ":" then 1-5 digits, over [start, end). */
function isPort(s: string, start: number, end: number): boolean {
  if (s.charCodeAt(start) !== 0x3a || end - start < 2 || end - start > 6) return false;
  for (let i = start + 1; i < end; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** An interface name or number after "%": letters, digits, "-", "_", "." (at least one). */
function isZone(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const lower = c | 0x20;
    if (!isDigit(c) && !(lower >= 0x61 && lower <= 0x7a) && c !== 0x2d && c !== 0x5f && c !== 0x2e) return false;
  }
  return true;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** Is there a ":" in s[start, end)? (An address parsed as IPv4 but written as IPv6: "::ffff:…".) */
function hasColon(s: string, start: number, end: number): boolean {
  const colon = s.indexOf(":", start);
  return colon !== -1 && colon < end;
}

/**
 * Parses s[start, end) as an IP address into `out`: V4 → out[0]; V6 → out[0..3]. IPv4-mapped
 * IPv6 comes back as V4. A zone ("%eth0") after an IPv6 address is ignored.
 */
function parseAddress(s: string, start: number, end: number, out: Uint32Array): AddressKind {
  if (start >= end) return INVALID;
  if (!hasColon(s, start, end)) {
    const v4 = parseV4(s, start, end);
    if (v4 < 0) return INVALID;
    out[0] = v4;
    return V4;
  }
  const zone = s.indexOf("%", start);
  if (zone !== -1 && zone < end) {
    if (!isZone(s, zone + 1, end)) return INVALID;
    end = zone;
  }
  if (!parseV6(s, start, end)) return INVALID;
  const g = GROUPS;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    out[0] = ((g[6]! << 16) | g[7]!) >>> 0;
    return V4;
  }
  for (let i = 0; i < 4; i++) out[i] = ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0;
  return V6;
}

/** Dotted quad, decimal, no leading zeros ("010" could mean octal). Returns -1 when malformed. */
function parseV4(s: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (true) {
    const first = i;
    let octet = 0;
    while (i < end && isDigit(s.charCodeAt(i))) {
      octet = octet * 10 + (s.charCodeAt(i) - 0x30);
      i++;
      if (i - first > 3) return -1;
    }
    if (i === first || octet > 255 || (i - first > 1 && s.charCodeAt(first) === 0x30)) return -1;
    value = value * 256 + octet;
    octets++;
    if (i === end) break;
    if (octets === 4 || s.charCodeAt(i) !== 0x2e) return -1;
    i++;
  }
  return octets === 4 ? value : -1;
}

/** RFC 4291 §2.2 text forms into GROUPS (at most one "::", optional trailing dotted quad). */
function parseV6(s: string, start: number, end: number): boolean {
  const g = GROUPS;
  g.fill(0);
  let count = 0;
  let gap = -1; // where "::" stands, in groups
  let i = start;
  if (s.charCodeAt(i) === 0x3a) {
    if (s.charCodeAt(i + 1) !== 0x3a) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    if (count === 8) return false;
    const first = i;
    let value = 0;
    while (i < end && i - first < 5) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    if (i === first || i - first > 4) return false;
    if (i < end && s.charCodeAt(i) === 0x2e) {
      // Embedded IPv4 ends the address and takes two groups.
      if (count > 6) return false;
      const v4 = parseV4(s, first, end);
      if (v4 < 0) return false;
      g[count++] = v4 >>> 16;
      g[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    g[count++] = value;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 0x3a) {
      if (gap !== -1) return false;
      gap = count;
      i++;
    } else if (i === end) return false; // a single trailing ":"
  }
  if (gap === -1) return count === 8;
  if (count === 8) return false; // "::" must stand for at least one group
  // Move the groups after the gap to the end.
  const tail = count - gap;
  for (let k = 1; k <= tail; k++) {
    g[8 - k] = g[gap + tail - k]!;
    g[gap + tail - k] = 0;
  }
  return true;
}

function maskWord(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
