// The admin dashboard's memory of the last minutes: one unref'd timer takes a sample every
// `intervalMs` (2 s) into a fixed ring of `capacity` samples (150 = 5 minutes). A sample reads
// the counters the request path already keeps (GatewayMetrics, the runtime's limiters) and
// subtracts the previous sample's, so it adds nothing to a request. Per route: requests per
// second by status class, p50/p99/p99.9 of that interval; over all routes: problem codes, limiter
// refusals and queues; the process: event-loop lag, heap, RSS, CPU.
//
// Memory is fixed once the routes are known (8 bytes per value, C = capacity):
//   global columns: t, dt, in flight, 5 limits, 5 process = 13 × 8 × C   (150: 15.6 KB)
//   problem codes:  ≤ 1 column per ERROR_CODES entry (38 today; allocated when first seen) × 8 × C   (≤ 46 KB)
//   per route:      9 columns (6 status classes, 3 percentiles) × 8 × C   (10.8 KB)
//                   + the previous sample's cumulative latency counts, 757 × 8 B (5.9 KB)
// So at most about 62 KB + 17 KB per route at the defaults (10 routes: ~230 KB). A route a reload removes
// keeps its columns until its last sample leaves the ring, then they are dropped.

import { ERRORS } from "../../errors.ts";
import type { GatewayRuntime } from "../../pipeline/gateway-runtime.ts";
import { ERROR_CODES, NO_ROUTE, STATUS_CLASSES, type GatewayMetrics } from "../gateway-metrics.ts";
import type { CodeRow, DashboardData, RouteSeries, StatusClassRow } from "./dashboard-data.ts";
import { IntervalPercentiles } from "./interval-percentiles.ts";
import { ProcessInterval } from "./process-interval.ts";
import { concurrencyGauges, concurrencyRows, ratePolicyRows, upstreamRows } from "./runtime-tables.ts";
import { SeriesRing, type SeriesValues } from "./series-ring.ts";

export interface StatsSamplerOptions {
  /** The metrics in force, read at every sample (a reload may swap them). */
  readonly metrics: () => GatewayMetrics;
  /** The runtime in force, for limiter gauges and tables and endpoint health; omitted = none. */
  readonly runtime?: () => GatewayRuntime;
  /** Sampling period, ms; default 2000. */
  readonly intervalMs?: number;
  /** Samples kept; default 150 (5 minutes at 2 s). */
  readonly capacity?: number;
  /** Event-loop lag sampling resolution, ms; default 20. */
  readonly lagResolutionMs?: number;
  /** Monotonic ms clock (interval lengths); default performance.now(). */
  readonly now?: () => number;
  /** Unix ms clock (sample times); default Date.now(). */
  readonly wallClock?: () => number;
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 2000;
export const DEFAULT_SAMPLE_CAPACITY = 150;

const CLASS_SLOTS = STATUS_CLASSES.length;
const CODE_INDEX = new Map(ERROR_CODES.map((c, i) => [c, i] as const));
const RATE_LIMITED = [CODE_INDEX.get("KEEL_RATE_LIMITED")!];
const CONCURRENCY_REJECTED = [CODE_INDEX.get("KEEL_CONCURRENCY_LIMITED")!, CODE_INDEX.get("KEEL_QUEUE_TIMEOUT")!];
const SHED = [CODE_INDEX.get("KEEL_OVERLOADED")!];
/** Always listed in the status table, seen or not. */
const USUAL_CLASSES = new Set([2, 4, 5]);
const MB = 1024 * 1024;

/** One route's columns and what its next sample subtracts. */
interface RouteTrack {
  readonly name: string;
  /** Requests finished in each interval, per status class slot (STATUS_CLASSES order). */
  readonly classes: readonly Float64Array[];
  readonly p50: Float64Array;
  readonly p99: Float64Array;
  readonly p999: Float64Array;
  readonly latency: IntervalPercentiles;
  readonly previousClasses: Float64Array;
  /**
   * The metrics the previous sample read this route from; null = not in force. Another object
   * means re-baseline, not subtract. (The same object may move a name to another series on a
   * reload, but its counts go with the name, so the sampler follows names, never positions.)
   */
  source: GatewayMetrics | null;
  /** Samples in a row in which the route was not in force. */
  absent: number;
  lastSample: number;
}

export class StatsSampler {
  readonly intervalMs: number;
  private readonly ring: SeriesRing;
  private readonly metrics: () => GatewayMetrics;
  private readonly runtime: (() => GatewayRuntime) | null;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private readonly process: ProcessInterval;

  private readonly t: Float64Array;
  /** Interval length, seconds. */
  private readonly dt: Float64Array;
  private readonly inFlight: Float64Array;
  private readonly rateLimited: Float64Array;
  private readonly concurrencyRejected: Float64Array;
  private readonly shed: Float64Array;
  private readonly queued: Float64Array;
  private readonly limiterInFlight: Float64Array;
  private readonly lagP99: Float64Array;
  private readonly lagMax: Float64Array;
  private readonly heap: Float64Array;
  private readonly rss: Float64Array;
  private readonly cpu: Float64Array;
  /** Problem responses per interval, by ERROR_CODES index; null until the code is first seen. */
  private readonly codes: (Float64Array | null)[];

  private readonly routes = new Map<string, RouteTrack>();
  /** Problem totals over all routes at the previous sample, by code. */
  private readonly previousCodes = new Float64Array(ERROR_CODES.length);
  private readonly currentCodes = new Float64Array(ERROR_CODES.length);
  private codesSource: GatewayMetrics | null = null;
  /** The route names of `namesOf`, kept until another runtime is in force. */
  private namesOf: GatewayRuntime | null = null;
  private names: ReadonlySet<string> = new Set();
  private readonly percentiles = new Float64Array(3);
  private readonly gauges = new Float64Array(2);
  private lastAt: number;
  private samples = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Samples that threw (a bug): counted and shown, never allowed to take the gateway down. */
  private failures = 0;

  constructor(opts: StatsSamplerOptions) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.ring = new SeriesRing(opts.capacity ?? DEFAULT_SAMPLE_CAPACITY);
    this.metrics = opts.metrics;
    this.runtime = opts.runtime ?? null;
    this.now = opts.now ?? (() => performance.now());
    this.wallClock = opts.wallClock ?? (() => Date.now());
    const col = () => this.ring.column();
    this.t = col();
    this.dt = col();
    this.inFlight = col();
    this.rateLimited = col();
    this.concurrencyRejected = col();
    this.shed = col();
    this.queued = col();
    this.limiterInFlight = col();
    this.lagP99 = col();
    this.lagMax = col();
    this.heap = col();
    this.rss = col();
    this.cpu = col();
    this.codes = ERROR_CODES.map(() => null);
    this.process = new ProcessInterval(opts.lagResolutionMs ?? 20, this.now);
    // The baseline: the first sample covers the time from here.
    this.lastAt = this.now();
    this.readRoutes(this.metrics(), -1);
    this.readCodes(this.metrics(), -1);
  }

  /** Samples held (≤ capacity). */
  get size(): number {
    return this.ring.size;
  }

  get capacity(): number {
    return this.ring.capacity;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      try {
        this.sample();
      } catch {
        this.failures++;
      }
    }, this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.process.stop();
  }

  /** Takes one sample now (the timer calls this; tests may too). */
  sample(): void {
    const slot = this.ring.advance();
    const at = this.now();
    this.t[slot] = this.wallClock();
    this.dt[slot] = Math.max(at - this.lastAt, 1e-3) / 1000;
    this.lastAt = at;
    this.samples++;
    const m = this.metrics();
    this.inFlight[slot] = m.inFlight;
    this.readRoutes(m, slot);
    this.readCodes(m, slot);
    const rt = this.runtime?.() ?? null;
    if (rt !== null) concurrencyGauges(rt, this.gauges);
    this.queued[slot] = rt === null ? NaN : this.gauges[0]!;
    this.limiterInFlight[slot] = rt === null ? NaN : this.gauges[1]!;
    const p = this.process;
    p.sample();
    this.lagP99[slot] = p.lagP99Ms;
    this.lagMax[slot] = p.lagMaxMs;
    this.heap[slot] = p.heapUsedBytes;
    this.rss[slot] = p.rssBytes;
    this.cpu[slot] = p.cpuPercent;
  }

  /** slot -1 = baseline only (no column written). */
  private readRoutes(m: GatewayMetrics, slot: number): void {
    const names = m.routeNames;
    const inForce = this.routesInForce();
    for (let s = 0; s < names.length; s++) {
      const name = names[s]!;
      // Metrics keep a series per name ever seen; only the runtime says which routes serve now.
      if (inForce !== null && name !== NO_ROUTE && !inForce.has(name)) continue;
      let track = this.routes.get(name);
      if (track === undefined) {
        track = this.newTrack(name);
        this.routes.set(name, track);
      }
      track.lastSample = this.samples;
      track.absent = 0;
      const h = m.histograms[s]!;
      if (track.source !== m) {
        // New route, back in force, or another metrics object: measure from here.
        track.source = m;
        for (let c = 0; c < CLASS_SLOTS; c++) track.previousClasses[c] = m.requests(s, c);
        track.latency.baseline(h);
        if (slot >= 0) writeTrack(track, slot, NaN);
        continue;
      }
      if (slot < 0) continue;
      for (let c = 0; c < CLASS_SLOTS; c++) {
        const total = m.requests(s, c);
        const d = total - track.previousClasses[c]!;
        track.classes[c]![slot] = d >= 0 ? d : total; // went backwards: counted from zero again
        track.previousClasses[c] = total;
      }
      track.latency.take(h, this.percentiles);
      track.p50[slot] = this.percentiles[0]!;
      track.p99[slot] = this.percentiles[1]!;
      track.p999[slot] = this.percentiles[2]!;
    }
    if (slot < 0) return;
    for (const track of this.routes.values()) {
      if (track.lastSample === this.samples) continue;
      // Not in force (a reload removed it): a gap, and forgotten once the gap fills the ring.
      track.source = null;
      if (++track.absent >= this.ring.capacity) this.routes.delete(track.name);
      else writeTrack(track, slot, NaN);
    }
  }

  /** Names of the routes the runtime in force serves; null without a runtime (every metrics route counts). */
  private routesInForce(): ReadonlySet<string> | null {
    const rt = this.runtime?.() ?? null;
    if (rt === null) return null;
    if (rt !== this.namesOf) {
      this.namesOf = rt;
      this.names = new Set(rt.routes.map((r) => r.plan.name));
    }
    return this.names;
  }

  private newTrack(name: string): RouteTrack {
    const col = () => this.ring.column();
    return {
      name,
      classes: Array.from({ length: CLASS_SLOTS }, col),
      p50: col(),
      p99: col(),
      p999: col(),
      latency: new IntervalPercentiles(),
      previousClasses: new Float64Array(CLASS_SLOTS),
      source: null,
      absent: 0,
      lastSample: -1,
    };
  }

  /** Problem codes over all routes, and the limiter refusals among them. slot -1 = baseline only. */
  private readCodes(m: GatewayMetrics, slot: number): void {
    const current = this.currentCodes;
    const n = ERROR_CODES.length;
    current.fill(0);
    const counts = m.problemCounts;
    for (let i = 0; i < counts.length; i++) current[i % n] += counts[i]!;
    const sameSource = this.codesSource === m;
    this.codesSource = m;
    if (slot >= 0) {
      for (let c = 0; c < n; c++) {
        const d = current[c]! - this.previousCodes[c]!;
        const inInterval = !sameSource ? NaN : d >= 0 ? d : current[c]!;
        let col = this.codes[c]!;
        if (col === null && inInterval > 0) {
          col = this.codes[c] = new Float64Array(this.ring.capacity); // 0 before: sampled, not seen
        }
        if (col !== null) col[slot] = inInterval;
      }
      const dt = this.dt[slot]!;
      this.rateLimited[slot] = sumAt(this.codes, RATE_LIMITED, slot) / dt;
      this.concurrencyRejected[slot] = sumAt(this.codes, CONCURRENCY_REJECTED, slot) / dt;
      this.shed[slot] = sumAt(this.codes, SHED, slot) / dt;
    }
    this.previousCodes.set(current);
  }

  /** The ring and the current state, for GET /dashboard/data. Allocates; admin use only. */
  data(): DashboardData {
    const ring = this.ring;
    const m = this.metrics();
    const rt = this.runtime?.() ?? null;
    const routes: RouteSeries[] = [];
    const classTotals = Array.from({ length: CLASS_SLOTS }, () => ring.column().fill(0));
    for (const track of this.routes.values()) {
      const status: Record<string, SeriesValues> = {};
      const all = ring.column().fill(0);
      for (let c = 0; c < CLASS_SLOTS; c++) {
        const col = track.classes[c]!;
        for (let k = 0; k < ring.size; k++) {
          const s = ring.slot(k);
          all[s]! += col[s]!; // NaN (not in force) stays NaN: a gap
          if (!Number.isNaN(col[s]!)) classTotals[c]![s]! += col[s]!;
        }
        if (ring.sum(col) > 0) status[STATUS_CLASSES[c]!] = ring.ratio(col, this.dt);
      }
      routes.push({
        name: track.name,
        inForce: track.source !== null,
        rps: ring.ratio(all, this.dt),
        status,
        p50: ring.read(track.p50),
        p99: ring.read(track.p99),
        p999: ring.read(track.p999),
      });
    }

    const statusClasses: StatusClassRow[] = [];
    for (let c = 0; c < CLASS_SLOTS; c++) {
      let sinceStart = 0;
      for (let s = 0; s < m.routeNames.length; s++) sinceStart += m.requests(s, c);
      const window = ring.sum(classTotals[c]!);
      if (!USUAL_CLASSES.has(c) && sinceStart === 0 && window === 0) continue;
      statusClasses.push({ statusClass: STATUS_CLASSES[c]!, perSecond: ring.ratio(classTotals[c]!, this.dt), window, sinceStart });
    }

    const codes: CodeRow[] = [];
    const counts = m.problemCounts;
    ERROR_CODES.forEach((code, c) => {
      let sinceStart = 0;
      for (let i = c; i < counts.length; i += ERROR_CODES.length) sinceStart += counts[i]!;
      const col = this.codes[c]!;
      if (col === null && sinceStart === 0) return;
      const spec = ERRORS[code];
      codes.push({
        code,
        status: spec.status,
        title: spec.title,
        perInterval: col === null ? ring.read(ring.column().fill(0)) : ring.read(col),
        window: col === null ? 0 : ring.sum(col),
        sinceStart,
      });
    });

    return {
      intervalMs: this.intervalMs,
      capacity: ring.capacity,
      t: ring.read(this.t, 1, true) as number[],
      now: this.wallClock(),
      sampleFailures: this.failures,
      inFlight: ring.read(this.inFlight),
      routes,
      statusClasses,
      codes,
      limits: {
        rateLimited: ring.read(this.rateLimited),
        concurrencyRejected: ring.read(this.concurrencyRejected),
        shed: ring.read(this.shed),
        queued: ring.read(this.queued),
        limiterInFlight: ring.read(this.limiterInFlight),
        ratePolicies: rt === null ? [] : ratePolicyRows(rt),
        concurrency: rt === null ? [] : concurrencyRows(rt),
        shedding: rt?.overload.lagging ?? false,
      },
      upstreams: rt === null ? [] : upstreamRows(rt),
      process: {
        lagP99Ms: ring.read(this.lagP99),
        lagMaxMs: ring.read(this.lagMax),
        heapUsedMB: ring.read(this.heap, 1 / MB),
        rssMB: ring.read(this.rss, 1 / MB),
        cpuPercent: ring.read(this.cpu),
        gc: "Bun exposes no GC count or GC events; heap in use shows collections as drops.",
      },
    };
  }
}

function writeTrack(track: RouteTrack, slot: number, v: number): void {
  for (const col of track.classes) col[slot] = v;
  track.p50[slot] = v;
  track.p99[slot] = v;
  track.p999[slot] = v;
}

function sumAt(cols: readonly (Float64Array | null)[], which: readonly number[], slot: number): number {
  let acc = 0;
  for (const i of which) {
    const v = cols[i]?.[slot] ?? 0;
    acc += v; // NaN (metrics swapped) propagates: no value for this interval
  }
  return acc;
}
