// /metrics of a supervisor: its workers' expositions combined series by series. Counters and
// histogram series (buckets, _sum, _count) are summed. Gauges are summed when they add up across
// processes (in flight, connections, keys, memory), and otherwise taken as the worst value: the
// max for latencies, lags and states (quantiles, *_seconds, breaker and endpoint states), the min
// for healthy counts and start times. NaN values (a worker with no data) are left out.
//
// Counters stay monotonic across worker restarts: when a worker exits, its last scraped counter
// and histogram values are kept as "retired" and added to every later sum (what happened between
// its last scrape and its death is lost: Prometheus never saw it either).

import { escapeHelp, escapeLabelValue } from "../../observe/prometheus.ts";

export type Combine = "sum" | "max" | "min";

export interface Series {
  /** Sample name and label text, e.g. `keel_requests_total{route="a",status_class="2xx"}`. */
  readonly key: string;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly series: Series[];
}

/** Gauges whose sum over processes means nothing: the worst one is reported. */
const MAX_GAUGES = new Set(["keel_breaker_state", "keel_upstream_endpoint_state", "keel_shedding", "keel_draining"]);
const MIN_GAUGES = new Set(["keel_upstream_healthy_endpoints", "keel_process_start_time_seconds", "keel_ratelimit_redis_up", "keel_reload_tail_ok"]);

export function combineRule(family: Pick<Family, "name" | "type">, key: string): Combine {
  if (family.type !== "gauge") return "sum";
  if (MIN_GAUGES.has(family.name)) return "min";
  if (MAX_GAUGES.has(family.name) || family.name.endsWith("_seconds") || key.includes('quantile="')) return "max";
  return "sum";
}

/** Keel's own exposition text → families in order (only what prometheus.ts writes is understood). */
export function parseFamilies(text: string): Family[] {
  const out: Family[] = [];
  const byName = new Map<string, Family>();
  let help = "";
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      const rest = line.slice(7);
      const sp = rest.indexOf(" ");
      help = sp < 0 ? "" : rest.slice(sp + 1);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [name = "", type = "untyped"] = line.slice(7).split(" ");
      const f: Family = { name, help, type, series: [] };
      out.push(f);
      byName.set(name, f);
      continue;
    }
    if (line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    if (sp < 0) continue;
    const key = line.slice(0, sp);
    const value = parseValue(line.slice(sp + 1));
    const brace = key.indexOf("{");
    const sample = brace < 0 ? key : key.slice(0, brace);
    const family = byName.get(sample) ?? byName.get(sample.replace(/_(bucket|sum|count)$/, "")) ?? out[out.length - 1];
    family?.series.push({ key, value });
  }
  return out;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

function formatValue(n: number): string {
  if (Number.isFinite(n)) return String(n);
  if (Number.isNaN(n)) return "NaN";
  return n > 0 ? "+Inf" : "-Inf";
}

export class WorkerMetricsSum {
  /** Last successful scrape per worker slot (null: none, or the worker exited). */
  private readonly last: (Family[] | null)[];
  /** Counter and histogram series of exited workers, by key. */
  private readonly retired = new Map<string, number>();
  /** Families known from retired series only (their workers are gone), in first-seen order. */
  private readonly retiredFamilies = new Map<string, Family>();

  constructor(
    workers: number,
    /** Families the supervisor writes itself (e.g. reload counters), left out of the workers'. */
    private readonly ownFamilies: ReadonlySet<string> = new Set(),
  ) {
    this.last = Array.from({ length: workers }, () => null);
  }

  /** A worker's scrape; a failed scrape (null) keeps the previous one, so sums never dip. */
  update(slot: number, text: string | null): void {
    if (text !== null) this.last[slot] = parseFamilies(text);
  }

  /** The slot's last scrape (for per-worker gauges). */
  families(slot: number): readonly Family[] | null {
    return this.last[slot] ?? null;
  }

  /** The worker in `slot` exited: its counters become retired totals; gauges go with it. */
  retire(slot: number): void {
    const fams = this.last[slot];
    this.last[slot] = null;
    if (fams == null) return;
    for (const f of fams) {
      if (f.type !== "counter" && f.type !== "histogram") continue;
      if (!this.retiredFamilies.has(f.name)) this.retiredFamilies.set(f.name, { name: f.name, help: f.help, type: f.type, series: [] });
      for (const s of f.series) {
        if (!Number.isNaN(s.value)) this.retired.set(s.key, (this.retired.get(s.key) ?? 0) + s.value);
      }
    }
  }

  /** The combined exposition (families the supervisor owns left out). */
  render(): string {
    const families = new Map<string, { family: Family; keys: string[]; values: Map<string, number[]> }>();
    const add = (f: Family) => {
      if (this.ownFamilies.has(f.name)) return undefined;
      let entry = families.get(f.name);
      if (entry === undefined) {
        entry = { family: f, keys: [], values: new Map() };
        families.set(f.name, entry);
      }
      return entry;
    };
    for (const fams of this.last) {
      if (fams === null) continue;
      for (const f of fams) {
        const entry = add(f);
        if (entry === undefined) continue;
        for (const s of f.series) {
          let vs = entry.values.get(s.key);
          if (vs === undefined) {
            vs = [];
            entry.values.set(s.key, vs);
            entry.keys.push(s.key);
          }
          vs.push(s.value);
        }
      }
    }
    for (const f of this.retiredFamilies.values()) add(f);
    for (const key of this.retired.keys()) {
      const brace = key.indexOf("{");
      const sample = brace < 0 ? key : key.slice(0, brace);
      const entry = families.get(sample) ?? families.get(sample.replace(/_(bucket|sum|count)$/, ""));
      if (entry === undefined || entry.values.has(key)) continue;
      entry.values.set(key, []);
      entry.keys.push(key);
    }

    const out: string[] = [];
    for (const { family, keys, values } of families.values()) {
      out.push(`# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`);
      for (const key of keys) {
        const rule = combineRule(family, key);
        let v = combine(rule, values.get(key)!);
        if (rule === "sum") {
          const r = this.retired.get(key);
          if (r !== undefined) v = Number.isNaN(v) ? r : v + r;
        }
        out.push(`${key} ${formatValue(v)}\n`);
      }
    }
    return out.join("");
  }
}

function combine(rule: Combine, values: readonly number[]): number {
  let acc = NaN;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(acc)) acc = v;
    else if (rule === "sum") acc += v;
    else if (rule === "max") acc = Math.max(acc, v);
    else acc = Math.min(acc, v);
  }
  return acc;
}

/** Text of pulled families (a supervisor's own gauges and counters), in the exposition format. */
export function renderPulled(families: Iterable<{ name: string; help: string; type: string; samples: { labels: Readonly<Record<string, string>>; read: () => number }[] }>): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`);
    for (const s of f.samples) {
      const keys = Object.keys(s.labels);
      const labels = keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escapeLabelValue(s.labels[k]!)}"`).join(",")}}`;
      let v: number;
      try {
        v = s.read();
      } catch {
        v = NaN;
      }
      out.push(`${f.name}${labels} ${formatValue(v)}\n`);
    }
  }
  return out.join("");
}
