// `keel run --workers N` (docs/operations.md, "Workers"): N worker processes share the proxy port
// (SO_REUSEPORT, the kernel spreads connections), the supervisor owns the admin port and the
// config. It restarts a crashed worker with exponential backoff, drains all of them on SIGTERM,
// and on SIGHUP / POST /config/reload / --watch validates the config once and has every worker
// reload the same text. /metrics sums the workers' (metrics-sum.ts), /readyz is ready when every
// worker is, /dashboard/data combines the workers' documents (dashboard-sum.ts).

import { readFileSync } from "node:fs";
import type { Plan } from "../../config/plan.ts";
import { startAdminServer, type AdminServer } from "../../admin/admin-server.ts";
import { DASHBOARD_DATA_PATH, isDashboardPath } from "../../admin/dashboard/dashboard-routes.ts";
import type { DashboardData } from "../../observe/series/dashboard-data.ts";
import { GatewayMetrics } from "../../observe/gateway-metrics.ts";
import { splitTarget } from "../../pipeline/request-target.ts";
import { displayHost, startFailureMessage } from "../gateway-server.ts";
import { listenerProto } from "../tls/tls-options.ts";
import { watchConfig, type ConfigWatch } from "../reload/config-watch.ts";
import { prepareReload } from "../reload/prepare-reload.ts";
import { answerResponse, describeOutcome, logLines, outcomeBody, refusedOutcome, RELOAD_PATH, type ReloadAnswer, type ReloadOutcome } from "../reload/reload-controller.ts";
import { combineDashboards } from "./dashboard-sum.ts";
import { renderPulled, WorkerMetricsSum } from "./metrics-sum.ts";
import { WorkerSlot } from "./worker-slot.ts";

export interface SupervisorOptions {
  readonly file: string;
  /** The validated config text and its plan (the supervisor's own: admin and listen as configured). */
  readonly text: string;
  readonly plan: Plan;
  readonly workers: number;
  /** Command line of worker i (the same entry with the internal flag). */
  readonly workerCommand: (index: number) => string[];
  readonly watch: boolean;
  /** Longest wait for every worker to listen at startup. */
  readonly startTimeoutMs?: number;
}

/** Families the supervisor writes itself; the workers' own are left out of the sum. */
const OWN_FAMILIES = new Set(["keel_reloads_total", "keel_config_generation", "keel_reload_last_success_timestamp_seconds"]);
const SCRAPE_TIMEOUT_MS = 2000;
const RELOAD_TIMEOUT_MS = 10_000;
/** After the drain timeout, how long workers get before SIGKILL. */
const KILL_GRACE_MS = 5000;

export async function runSupervisor(opts: SupervisorOptions): Promise<number> {
  return new Supervisor(opts).run();
}

class Supervisor {
  private plan: Plan;
  private text: string;
  private port: number;
  private readonly slots: WorkerSlot[];
  private readonly sum: WorkerMetricsSum;
  private readonly own = new GatewayMetrics([], []);
  private admin: AdminServer | null = null;
  private watcher: ConfigWatch | null = null;
  private stopping = false;
  private generation = 0;
  private readonly reloads = { ok: 0, invalid: 0 };
  private lastReloadUnix = NaN;
  private reloadChain: Promise<unknown> = Promise.resolve();
  private reloadIds = 0;
  private readonly restartTimers = new Set<ReturnType<typeof setTimeout>>();
  private startupWaiters = new Map<WorkerSlot, { ok: () => void; fail: (why: string) => void }>();

  constructor(private readonly opts: SupervisorOptions) {
    this.plan = opts.plan;
    this.text = opts.text;
    this.port = opts.plan.listen.port;
    this.sum = new WorkerMetricsSum(opts.workers, OWN_FAMILIES);
    const events = { listening: (s: WorkerSlot) => this.onListening(s), exited: (s: WorkerSlot, code: number | null, signal: string | null, failed: string | null) => this.onExit(s, code, signal, failed) };
    this.slots = Array.from({ length: opts.workers }, (_, i) => new WorkerSlot(i, opts.workerCommand(i), events));
    this.registerOwnMetrics();
  }

  async run(): Promise<number> {
    const plan = this.plan;
    // Installed first: a HUP's default action would end the process. Before all workers listen it is ignored.
    let started = false;
    process.on("SIGHUP", () => void (started && this.reload("SIGHUP")));
    // logrotate signals the supervisor: each worker reopens its access log.
    process.on("SIGUSR1", () => {
      for (const s of this.slots) s.signal("SIGUSR1");
    });
    try {
      this.admin = plan.admin === null ? null : startAdminServer({
        host: plan.admin.host,
        port: plan.admin.port,
        metrics: this.own,
        isReady: () => !this.stopping && this.slots.every((s) => s.state === "up"),
        readyDetail: () => ({ workers: this.slots.map((s) => ({ worker: s.index, pid: s.pid, state: s.state, restarts: s.restarts })) }),
        extra: (req) => this.adminRoute(req),
        metricsText: () => this.metricsText(),
      });
    } catch (err) {
      console.error(startFailureMessage(err));
      return 1;
    }
    // Workers bind with SO_REUSEPORT, which would quietly share the port with another Keel
    // started the same way: a plain bind first fails as a single process would.
    const taken = portTaken(plan.listen.host, plan.listen.port);
    if (taken !== null) {
      console.error(startFailureMessage(taken).replace("cannot start:", `cannot start: ${plan.listen.host}:${plan.listen.port}:`));
      await this.admin?.stop();
      return 1;
    }
    // Worker 0 first: with port 0 it picks the port the others then share.
    const first = await this.startAll([this.slots[0]!]);
    const rest = first === null ? await this.startAll(this.slots.slice(1)) : first;
    if (rest !== null) {
      console.error(`keel: cannot start: ${rest}`);
      await this.stopWorkers(0);
      await this.admin?.stop();
      return 1;
    }
    console.log(`keel: proxy listening on ${listenerProto(plan.listen)}://${displayHost(plan.listen.host)}:${this.port} (${this.slots.length} workers, pids ${this.slots.map((s) => s.pid).join(" ")})`);
    if (this.admin) console.log(`keel: admin on ${this.admin.url} (/healthz /readyz /metrics /config/reload /dashboard)`);
    started = true;
    if (this.opts.watch) this.watcher = watchConfig(this.opts.file, () => void this.reload("watch"));
    return await this.untilStopped();
  }

  /** Starts the slots and waits until each listens; the first failure (a message) or null. */
  private async startAll(slots: WorkerSlot[]): Promise<string | null> {
    const waits = slots.map(
      (s) =>
        new Promise<string | null>((resolve) => {
          this.startupWaiters.set(s, { ok: () => resolve(null), fail: (why) => resolve(`worker ${s.index}: ${why}`) });
          s.start(this.text, this.port, process.env);
        }),
    );
    const timeout = new Promise<string>((r) => setTimeout(r, this.opts.startTimeoutMs ?? 30_000, "workers did not start in time").unref?.());
    const first = await Promise.race([Promise.all(waits).then((rs) => rs.find((r) => r !== null) ?? null), timeout]);
    this.startupWaiters.clear();
    return first;
  }

  private onListening(s: WorkerSlot): void {
    if (s.index === 0 && this.port === 0) this.port = s.port;
    this.startupWaiters.get(s)?.ok();
    // Restarted while a reload went out: it runs an older text; bring it up to date.
    if (s.text !== this.text) void s.reload(++this.reloadIds, this.text, "catch-up", RELOAD_TIMEOUT_MS);
  }

  private onExit(s: WorkerSlot, code: number | null, signal: string | null, failedToStart: string | null): void {
    this.sum.retire(s.index);
    if (failedToStart !== null && this.startupWaiters.has(s)) {
      this.startupWaiters.get(s)!.fail(failedToStart);
      return;
    }
    if (this.stopping) return;
    s.restarts++;
    const delay = s.backoff.delayAfter(performance.now() - s.startedAt);
    console.error(`keel: worker ${s.index} (pid ${s.pid}) ${signal ? `killed by ${signal}` : `exited with code ${code}`}; restarting in ${delay} ms`);
    const t = setTimeout(() => {
      this.restartTimers.delete(t);
      if (!this.stopping) s.start(this.text, this.port, process.env);
    }, delay);
    this.restartTimers.add(t);
  }

  // ---- reload -----------------------------------------------------------------------------

  /** Validate once, then every worker reloads the same text; reloads run one at a time. */
  reload(trigger: string): Promise<ReloadAnswer> {
    const next = this.reloadChain.then(() => this.reloadNow(trigger));
    this.reloadChain = next.catch(() => {});
    return next;
  }

  private async reloadNow(trigger: string): Promise<ReloadAnswer> {
    const t0 = performance.now();
    const file = this.opts.file;
    let text: string | null = null;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      // prepareReload reads it again and reports why it cannot.
    }
    const prepared = prepareReload(this.plan, file, { text });
    if (!prepared.ok || text === null) {
      this.reloads.invalid++;
      const outcome: ReloadOutcome = prepared.ok ? { ok: false, reason: "internal", trigger, error: "the config file could not be read" } : refusedOutcome(prepared, trigger);
      for (const line of logLines(outcome, file)) console.error(line);
      return outcomeBody(outcome, file);
    }
    this.plan = prepared.plan;
    this.text = text;
    const up = this.slots.filter((s) => s.state === "up");
    const id = ++this.reloadIds;
    const results = await Promise.all(up.map((s) => s.reload(id, text, trigger, RELOAD_TIMEOUT_MS)));
    const workers = up.map((s, i) => {
      const o = results[i];
      return { worker: s.index, pid: s.pid, status: o == null ? "no answer" : o.ok ? "reloaded" : "failed", ...(o != null && !o.ok ? { detail: describeOutcome(o, file).at(-1) } : {}) };
    });
    const failed = up.filter((_, i) => !results[i]?.ok);
    // A worker that could not take a config the supervisor validated restarts on it.
    for (const s of failed) s.signal("SIGTERM");
    const ms = performance.now() - t0;
    if (failed.length > 0) {
      this.reloads.invalid++;
      const detail = `reload (${trigger}) failed in worker${failed.length > 1 ? "s" : ""} ${failed.map((s) => s.index).join(", ")}: restarting ${failed.length > 1 ? "them" : "it"} on the new config`;
      console.error(`keel: ${detail}`);
      return { status: 500, body: { status: "failed", detail, workers } };
    }
    this.reloads.ok++;
    this.generation++;
    this.lastReloadUnix = Date.now() / 1000;
    const first = results.find((o) => o?.ok) as Extract<ReloadOutcome, { ok: true }> | undefined;
    const kept = first?.kept ?? { upstreams: [], routes: [], policies: [] };
    const where = `in ${up.length} worker${up.length === 1 ? "" : "s"}`;
    console.log(`keel: ${describeOutcome({ ok: true, generation: this.generation, trigger, durationMs: ms, kept }, file, where)[0]}`);
    return { status: 200, body: { status: "reloaded", generation: this.generation, durationMs: Math.round(ms * 10) / 10, kept, workers } };
  }

  // ---- admin ------------------------------------------------------------------------------

  private adminRoute(req: Request): Response | Promise<Response> | null {
    const path = splitTarget(req.url)?.path ?? "/";
    if (req.method === "POST" && path === RELOAD_PATH) {
      return this.reload("admin").then(answerResponse);
    }
    if ((req.method === "GET" || req.method === "HEAD") && isDashboardPath(path)) {
      return path === DASHBOARD_DATA_PATH ? this.dashboardData() : this.fromFirstWorker(path);
    }
    return null;
  }

  /** Every worker's dashboard document (each samples only itself), combined into the gateway's. */
  private async dashboardData(): Promise<Response> {
    const got = await Promise.all(
      this.slots.map(async (s): Promise<[number, DashboardData] | null> => {
        if (s.state !== "up") return null;
        try {
          const res = await fetch(s.adminUrl + DASHBOARD_DATA_PATH, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
          return res.ok ? [s.index, (await res.json()) as DashboardData] : null;
        } catch {
          return null; // a worker that does not answer adds nothing this time
        }
      }),
    );
    const docs = got.filter((g) => g !== null);
    if (docs.length === 0) return new Response(JSON.stringify({ status: "no worker is up" }), { status: 503, headers: { "content-type": "application/json" } });
    const headers = { "content-type": "application/json", "cache-control": "no-store", "x-keel-workers": docs.map(([i]) => i).join(",") };
    return new Response(JSON.stringify(combineDashboards(docs.map(([, d]) => d))), { headers });
  }

  /** The dashboard page, from the lowest-numbered worker up (the page is the same in every one). */
  private async fromFirstWorker(path: string): Promise<Response> {
    const s = this.slots.find((x) => x.state === "up");
    if (s !== undefined) {
      try {
        const res = await fetch(s.adminUrl + path, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
        const headers = new Headers(res.headers);
        headers.set("x-keel-worker", String(s.index));
        return new Response(await res.arrayBuffer(), { status: res.status, headers });
      } catch {
        // fall through
      }
    }
    return new Response(JSON.stringify({ status: "no worker is up" }), { status: 503, headers: { "content-type": "application/json" } });
  }

  private async metricsText(): Promise<string> {
    await Promise.all(
      this.slots.map(async (s) => {
        if (s.state !== "up") return;
        const pid = s.pid;
        let text: string | null = null;
        try {
          const res = await fetch(s.adminUrl + "/metrics", { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
          if (res.ok) text = await res.text();
        } catch {
          text = null; // a failed scrape keeps the worker's previous one
        }
        // The worker may have died and restarted meanwhile: its old numbers are retired already.
        if (s.pid === pid && s.state === "up") this.sum.update(s.index, text);
      }),
    );
    return this.sum.render() + renderPulled(this.own.pulledFamilies);
  }

  private registerOwnMetrics(): void {
    const m = this.own;
    m.addGauge("keel_workers", "Worker processes configured (keel run --workers).", () => this.slots.length);
    for (const s of this.slots) {
      const worker = { worker: String(s.index) };
      const gauge = (family: string) => () => this.sum.families(s.index)?.find((f) => f.name === family)?.series[0]?.value ?? NaN;
      m.addGauge("keel_worker_up", "1 while the worker listens and is ready.", () => (s.state === "up" ? 1 : 0), worker);
      m.addCounter("keel_worker_restarts_total", "Restarts of the worker after it exited (crash, kill, failed reload).", () => s.restarts, worker);
      m.addGauge("keel_worker_requests_in_flight", "Requests in flight in the worker (at its last scrape).", gauge("keel_requests_in_flight"), worker);
      m.addGauge("keel_worker_resident_memory_bytes", "Resident set size of the worker (at its last scrape).", gauge("keel_process_resident_memory_bytes"), worker);
    }
    const help = "Config reloads by result: ok (every worker swapped), invalid (errors, listener changes that need a restart, or a worker that failed; the old config kept serving where it could).";
    m.addCounter("keel_reloads_total", help, () => this.reloads.ok, { result: "ok" });
    m.addCounter("keel_reloads_total", help, () => this.reloads.invalid, { result: "invalid" });
    m.addGauge("keel_reload_last_success_timestamp_seconds", "Unix time of the last successful reload (NaN before the first).", () => this.lastReloadUnix);
    m.addGauge("keel_config_generation", "Successful reloads since start (0 = the config the process started with).", () => this.generation);
  }

  // ---- stop -------------------------------------------------------------------------------

  private untilStopped(): Promise<number> {
    return new Promise((resolve) => {
      const handle = (signal: string) => {
        if (this.stopping) process.exit(1);
        console.log(`keel: ${signal} received, draining ${this.slots.length} workers (up to ${this.plan.server.drainTimeoutMs} ms)`);
        void this.stopWorkers(this.plan.server.drainTimeoutMs + KILL_GRACE_MS).then(async () => {
          this.watcher?.stop();
          await this.admin?.stop();
          console.log("keel: stopped");
          resolve(0);
        });
      };
      process.on("SIGTERM", () => handle("SIGTERM"));
      process.on("SIGINT", () => handle("SIGINT"));
    });
  }

  /** SIGTERM to every worker (each drains), SIGKILL to any still running after `graceMs`. */
  private async stopWorkers(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    for (const s of this.slots) {
      if (s.state !== "down") s.state = "stopped";
      s.signal("SIGTERM");
    }
    const all = Promise.all(this.slots.map((s) => s.ended()));
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(r, graceMs, true).unref?.())]);
    if (late) for (const s of this.slots) s.signal("SIGKILL");
    await all;
  }
}

/** The error of a plain (not SO_REUSEPORT) bind of the port, or null when it is free (0 always is). */
function portTaken(host: string, port: number): unknown {
  if (port === 0) return null;
  try {
    Bun.listen({ hostname: host, port, socket: { data() {} } }).stop(true);
    return null;
  } catch (err) {
    return err;
  }
}
