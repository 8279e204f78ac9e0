// Holding wrk at a target rate. wrk 4 has no fixed-rate mode: each connection sends, waits for the
// answer, pauses `delay` ms, sends again, so rate ≈ connections / (delay + latency). After each
// window the pause is corrected from what that window achieved; the latency it implies is measured,
// not assumed, so the rate stays on target when Keel's latency drifts.

/** Connections for a target rate: about 20 ms per cycle, within [16, 256]. */
export function connectionsFor(targetRps: number): number {
  return Math.max(16, Math.min(256, Math.round(targetRps * 0.02)));
}

/** The first pause: the cycle the rate asks for, less a guessed 2 ms of latency (the first windows correct it). */
export function initialDelayMs(targetRps: number, connections: number): number {
  return Math.max(0.5, (connections * 1000) / targetRps - 2);
}

/**
 * The next pause from the last window: `achievedRps` with `delayMs` implies a latency per cycle
 * of connections/achieved − delay; the pause that would hit the target with that latency is
 * approached by 70% per window, and by at most ±20% of the pause: a window slowed by other jobs on
 * the machine must not make the next, quiet one overshoot towards saturation.
 */
export function nextDelayMs(targetRps: number, connections: number, delayMs: number, achievedRps: number): number {
  if (!(achievedRps > 0)) return delayMs;
  const cycleMs = (connections * 1000) / achievedRps;
  const latencyMs = Math.max(0, cycleMs - delayMs);
  const wanted = (connections * 1000) / targetRps - latencyMs;
  // Never 0: with no pause wrk saturates, which is not what a soak at half capacity means.
  const damped = delayMs + 0.7 * (wanted - delayMs);
  const bounded = Math.min(delayMs * 1.2, Math.max(delayMs * 0.8, damped));
  return Math.min(1000, Math.max(0.5, bounded));
}
