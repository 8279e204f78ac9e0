// One reload, from any trigger (SIGHUP, POST /config/reload, --watch, a supervisor's message):
// load the config, check it (prepare-reload.ts), swap the runtime (runtime-switch.ts), open the
// tail gate, count it, and say what happened in one log line. An invalid config changes nothing:
// the old plan keeps serving and every file:line:col error goes to the log and to the answer.

import { formatConfigError, type ConfigError } from "../../config/load.ts";
import type { Plan } from "../../config/plan.ts";
import type { GatewayMetrics } from "../../observe/gateway-metrics.ts";
import { splitTarget } from "../../pipeline/request-target.ts";
import type { CarrySummary } from "./carry-over.ts";
import { prepareReload, type Prepared } from "./prepare-reload.ts";
import type { RuntimeSwitch } from "./runtime-switch.ts";
import { TailGate, type TailGateRecord } from "./tail-gate.ts";

export type ReloadOutcome =
  | { ok: true; generation: number; trigger: string; durationMs: number; kept: CarrySummary }
  | { ok: false; reason: "invalid"; trigger: string; errors: readonly ConfigError[] }
  | { ok: false; reason: "restart-required"; trigger: string; changes: readonly string[] }
  | { ok: false; reason: "internal"; trigger: string; error: string };

/** What a reload needs of a running gateway. */
export interface Reloadable {
  readonly runtimes: RuntimeSwitch;
  readonly metrics: GatewayMetrics;
}

export interface ReloadControllerOptions {
  /** The config file reloads read (and error positions name). */
  readonly file: string;
  readonly tailWindowMs?: number;
  readonly log?: (line: string) => void;
  readonly warn?: (line: string) => void;
  /** Before "keel: " lines' text, e.g. "worker 1: ". */
  readonly prefix?: string;
  /** Applied to each loaded plan (a worker's listener overrides). */
  readonly adjust?: (plan: Plan) => Plan;
  readonly onTailGate?: (r: TailGateRecord) => void;
  /** Log successful reloads (a worker leaves that line to its supervisor); default true. */
  readonly logSuccess?: boolean;
}

export const RELOAD_PATH = "/config/reload";

export class ReloadController {
  private readonly counts = { ok: 0, invalid: 0 };
  private lastOkUnixSeconds = NaN;
  readonly tailGate: TailGate;
  private readonly log: (line: string) => void;
  private readonly warn: (line: string) => void;

  constructor(
    private readonly gw: Reloadable,
    private readonly opts: ReloadControllerOptions,
  ) {
    this.log = opts.log ?? console.log;
    this.warn = opts.warn ?? console.error;
    const m = gw.metrics;
    m.addCounter("keel_reloads_total", "Config reloads by result: ok (swapped), invalid (errors, or listener changes that need a restart; the old config kept serving).", () => this.counts.ok, { result: "ok" });
    m.addCounter("keel_reloads_total", "Config reloads by result: ok (swapped), invalid (errors, or listener changes that need a restart; the old config kept serving).", () => this.counts.invalid, { result: "invalid" });
    m.addGauge("keel_reload_last_success_timestamp_seconds", "Unix time of the last successful reload (NaN before the first).", () => this.lastOkUnixSeconds);
    m.addGauge("keel_config_generation", "Successful reloads since start (0 = the config the process started with).", () => gw.runtimes.generation);
    this.tailGate = new TailGate(m, { windowMs: opts.tailWindowMs, log: this.log, prefix: opts.prefix, onClosed: opts.onTailGate });
  }

  /** Reload from the file, or from `text` (a supervisor sends the text it validated). Never throws. */
  reload(trigger: string, text: string | null = null): ReloadOutcome {
    const t0 = performance.now();
    let prepared: Prepared;
    try {
      prepared = prepareReload(this.gw.runtimes.current.plan, this.opts.file, { text, adjust: this.opts.adjust });
    } catch (err) {
      prepared = { ok: false, reason: "invalid", errors: [{ file: this.opts.file, line: 1, col: 1, message: `internal error while loading the config: ${String(err)}` }] };
    }
    const outcome = this.apply(prepared, trigger, t0);
    this.report(outcome);
    return outcome;
  }

  private apply(prepared: Prepared, trigger: string, t0: number): ReloadOutcome {
    if (!prepared.ok) {
      this.counts.invalid++;
      return refusedOutcome(prepared, trigger);
    }
    const swapped = this.gw.runtimes.swap(prepared.plan);
    if (!swapped.ok) {
      this.counts.invalid++;
      return { ok: false, reason: "internal", trigger, error: swapped.error };
    }
    this.counts.ok++;
    this.lastOkUnixSeconds = Date.now() / 1000;
    this.tailGate.open(swapped.generation);
    return { ok: true, generation: swapped.generation, trigger, durationMs: performance.now() - t0, kept: swapped.carried };
  }

  private report(o: ReloadOutcome): void {
    if (o.ok && this.opts.logSuccess === false) return;
    for (const line of logLines(o, this.opts.file, this.opts.prefix)) (o.ok ? this.log : this.warn)(line);
  }

  /** POST /config/reload on the admin listener (admin-server's `extra`); null for other requests. */
  readonly adminRoute = (req: Request): Response | null => {
    if (req.method !== "POST" || splitTarget(req.url)?.path !== RELOAD_PATH) return null;
    return answerResponse(outcomeBody(this.reload("admin"), this.opts.file));
  };

  stop(): void {
    this.tailGate.stop();
  }
}

/** The outcome of a config prepareReload refused: the running config is unchanged. */
export function refusedOutcome(prepared: Extract<Prepared, { ok: false }>, trigger: string): ReloadOutcome {
  return prepared.reason === "invalid" ? { ok: false, reason: "invalid", trigger, errors: prepared.errors } : { ok: false, reason: "restart-required", trigger, changes: prepared.changes };
}

/**
 * The log lines of an outcome (without the "keel: " prefix): the errors one per line, then a
 * summary. `where` says where a swap happened ("in 2 workers, "), for a supervisor's line.
 */
export function describeOutcome(o: ReloadOutcome, file: string, where = ""): string[] {
  if (o.ok) {
    const k = o.kept;
    const kept = [k.upstreams.length ? `upstreams ${k.upstreams.join(", ")}` : "", k.routes.length ? `routes ${k.routes.join(", ")}` : "", k.policies.length ? `rate limits ${k.policies.join(", ")}` : ""].filter(Boolean);
    return [`config reloaded (${o.trigger}) from ${file}: generation ${o.generation} ${where ? `${where}, ` : "in "}${o.durationMs.toFixed(1)} ms; state kept for ${kept.length ? kept.join("; ") : "nothing"}`];
  }
  if (o.reason === "invalid") {
    return [...o.errors.map(formatConfigError), `reload (${o.trigger}) refused: ${o.errors.length} error${o.errors.length === 1 ? "" : "s"} in ${file}; the running config is unchanged`];
  }
  if (o.reason === "restart-required") {
    return [`reload (${o.trigger}) refused: listen changes need a restart (${o.changes.join("; ")}); the running config is unchanged`];
  }
  return [`reload (${o.trigger}) failed: ${o.error}; the running config is unchanged`];
}

/** Log lines: each config error as `file:line:col: message` (as `keel check` prints them, for editors to link), then "keel: " and the summary. */
export function logLines(o: ReloadOutcome, file: string, prefix = ""): string[] {
  const lines = describeOutcome(o, file);
  return lines.map((line, i) => (i === lines.length - 1 ? `keel: ${prefix}${line}` : line));
}

/** The admin answer to POST /config/reload: HTTP status and JSON body. */
export interface ReloadAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** The admin answer of an outcome. */
export function outcomeBody(o: ReloadOutcome, file: string): ReloadAnswer {
  if (o.ok) return { status: 200, body: { status: "reloaded", generation: o.generation, durationMs: Math.round(o.durationMs * 10) / 10, kept: o.kept } };
  const detail = describeOutcome(o, file).at(-1);
  if (o.reason === "invalid") {
    return { status: 422, body: { status: "invalid", detail, errors: o.errors.map((e) => ({ ...e, text: formatConfigError(e) })) } };
  }
  if (o.reason === "restart-required") return { status: 409, body: { status: "restart required", detail, changes: o.changes } };
  return { status: 500, body: { status: "failed", detail } };
}

/** The answer as a response (a single process's and the supervisor's alike). */
export function answerResponse({ status, body }: ReloadAnswer): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}
