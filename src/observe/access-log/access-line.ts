// One access-log line: a small object in a fixed key order, JSON.stringify'd. Only what the
// gateway itself decided or measured goes in: no header values, no query string (both may carry
// credentials), no bodies.

/** What the request path knows at the end of an exchange; times are performance.now() marks (0 = not reached). */
export interface AccessEntry {
  readonly requestId: string;
  readonly method: string;
  /** Normalised path, no query. */
  readonly path: string;
  /** Route name; null when no route matched. */
  readonly route: string | null;
  readonly upstream: string | null;
  /** URL of the endpoint of the last attempt; null when nothing was sent. */
  readonly endpoint: string | null;
  readonly status: number;
  /** The KEEL_* problem code; null for an upstream's own answer. */
  readonly code: string | null;
  /** Response body bytes when known (Content-Length); null for a stream of unknown length. */
  readonly bytes: number | null;
  readonly clientIp: string | null;
  readonly start: number;
  readonly routedAt: number;
  readonly admittedAt: number;
  readonly headAt: number;
  readonly end: number;
}

/** Milliseconds with microsecond precision. */
const ms = (from: number, to: number) => Math.round((to - from) * 1000) / 1000;

/**
 * Durations in ms: total, and each phase from its start to the next mark reached (or the end,
 * when the exchange stopped in it); a phase never entered is null.
 * route = accept → route matched; admit = → upstream call starts (route rules, body checks, rate
 * limits, concurrency queue); upstream = → response head; respond = → response handed to the server.
 */
export function phaseDurations(e: AccessEntry): { total: number; route: number; admit: number | null; upstream: number | null; respond: number | null } {
  const { start, routedAt, admittedAt, headAt, end } = e;
  return {
    total: ms(start, end),
    route: ms(start, routedAt || end),
    admit: routedAt === 0 ? null : ms(routedAt, admittedAt || headAt || end),
    upstream: admittedAt === 0 ? null : ms(admittedAt, headAt || end),
    respond: headAt === 0 ? null : ms(headAt, end),
  };
}

/** The JSON line (no newline). `time` is the ISO 8601 time of the end. */
export function accessLine(e: AccessEntry): string {
  return JSON.stringify({
    time: new Date(performance.timeOrigin + e.end).toISOString(),
    requestId: e.requestId,
    method: e.method,
    path: e.path,
    route: e.route,
    upstream: e.upstream,
    endpoint: e.endpoint,
    status: e.status,
    code: e.code,
    bytes: e.bytes,
    clientIp: e.clientIp,
    durations: phaseDurations(e),
  });
}
