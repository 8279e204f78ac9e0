// Starts a gateway from a plan: the proxy listener, the admin listener, metrics and the process
// monitor; drain() stops it the way SIGTERM should (docs/operations.md, "Drain").

import type { Server } from "bun";
import type { Plan } from "../config/plan.ts";
import { startAdminServer, type AdminServer } from "../admin/admin-server.ts";
import { GatewayMetrics } from "../observe/gateway-metrics.ts";
import { healthSummary } from "../observe/resilience-metrics.ts";
import { startProcessMonitor } from "../observe/process-monitor.ts";
import { StatsSampler } from "../observe/series/stats-sampler.ts";
import { createRequestHandler } from "../pipeline/handle-request.ts";
import { problemResponse } from "../pipeline/problem.ts";
import type { UpstreamClient } from "../upstream/client.ts";
import { Http1Client } from "../upstream/http1/client.ts";
import { RuntimeSwitch } from "./reload/runtime-switch.ts";
import { AccessLog } from "../observe/access-log/access-log.ts";
import { registerAccessLogMetrics } from "../observe/access-log/access-log-metrics.ts";
import { listenerProto, tlsOptions } from "./tls/tls-options.ts";

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly admin: AdminServer | null;
  readonly metrics: GatewayMetrics;
  readonly client: UpstreamClient;
  /** The runtime in force, and its swap on reload (src/server/reload). */
  readonly runtimes: RuntimeSwitch;
  readonly isReady: () => boolean;
  /**
   * Resolves once shared rate limits reach Redis, or after their connect grace (then their failure
   * mode applies until Redis answers). /readyz is 503 until then. At once without shared limits.
   */
  readonly ready: Promise<void>;
  /** Stop accepting, let in-flight requests finish up to the plan's drain timeout, then close. */
  drain(): Promise<{ inFlightAtDeadline: number }>;
  /** SIGUSR1: reopen the access-log file after a rotation (a no-op without a file). */
  reopenLogs(): void;
  /** The access log (writes only while the plan in force has `accessLog`). */
  readonly accessLog: AccessLog;
}

/** How long /readyz waits for Redis (shared rate limits) at startup before serving anyway. */
export const SHARED_LIMITS_GRACE_MS = 2000;

export interface StartOptions {
  /** Defaults to the native HTTP/1.1 client. */
  readonly client?: UpstreamClient;
  /** Admin dashboard sampling period, ms (default 2 s; tests sample faster). */
  readonly dashboardIntervalMs?: number;
  /** More admin routes (POST /config/reload); null = not theirs. */
  readonly adminRoutes?: (req: Request) => Response | null;
  /** Workers mode: sibling processes share the proxy port (SO_REUSEPORT). */
  readonly reusePort?: boolean;
  /** Debug in workers mode: every response carries `x-keel-worker: <this>`. */
  readonly workerTag?: string;
  /** Workers mode: the share of each local rate limit this process enforces (1/N). */
  readonly localRateScale?: number;
}

export function startGateway(plan: Plan, opts: StartOptions = {}): Gateway {
  const client = opts.client ?? new Http1Client();
  const metrics = new GatewayMetrics(
    plan.routes.map((r) => r.name),
    [...plan.upstreams.keys()],
  );
  const runtimes = new RuntimeSwitch(plan, metrics, client, opts.localRateScale);
  const runtime = () => runtimes.current;
  let draining = false;
  const accessLog = new AccessLog({ planInForce: () => runtimes.current.plan.accessLog });
  const opened = accessLog.start();
  if (!opened.ok) {
    void accessLog.close();
    runtimes.close();
    throw new Error(opened.error);
  }
  registerAccessLogMetrics(metrics, accessLog);
  const handler = createRequestHandler({ runtime, client, metrics, proto: listenerProto(plan.listen), accessLog });
  const tag = opts.workerTag;

  const server: Server<undefined> = Bun.serve({
    ...tlsOptions(plan.listen),
    hostname: plan.listen.host,
    port: plan.listen.port,
    idleTimeout: plan.server.idleTimeoutSeconds,
    reusePort: opts.reusePort ?? false,
    // Keel enforces body sizes itself (per route, with a problem+json 413); Bun's own cap would
    // answer a plain 413 first.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: tag === undefined ? handler : (req, srv) => tagResponse(handler(req, srv), tag),
    // Reached only if Bun itself fails around the handler; the handler never throws.
    error(err) {
      console.error("keel: unhandled server error:", err);
      return problemResponse("KEEL_INTERNAL", "unhandled error in the listener", {
        requestId: null,
        requestIdHeader: null,
        route: null,
        upstream: null,
        phase: "internal",
      });
    },
  });

  const active = (client as { activeConnections?: () => number }).activeConnections;
  if (active !== undefined) metrics.addGauge("keel_upstream_active_connections", "Upstream connections carrying an exchange now (returns to 0 when nothing is in flight).", () => active.call(client));
  metrics.addGauge("keel_upstream_idle_connections", "Idle keep-alive connections pooled to upstreams.", () => client.idleConnections());
  metrics.addGauge("keel_draining", "1 while the gateway drains before exit.", () => (draining ? 1 : 0));
  const monitor = startProcessMonitor(metrics);
  // The admin dashboard's ring: fixed memory, reads counters only; none without an admin port.
  const sampler = plan.admin === null ? null : new StatsSampler({ metrics: () => metrics, runtime, intervalMs: opts.dashboardIntervalMs });
  sampler?.start();
  // Shared limits decide in their failure mode until Redis answers: say "not ready" for a short
  // grace so a load balancer waits, then serve either way.
  let limitsReady = runtime().limiters.store === null;
  const ready = runtime().limiters.ready(SHARED_LIMITS_GRACE_MS).then(() => void (limitsReady = true));
  const isReady = () => !draining && limitsReady;
  let admin: AdminServer | null = null;
  try {
    admin = plan.admin === null ? null : startAdminServer({ host: plan.admin.host, port: plan.admin.port, metrics, isReady, readyDetail: () => ({ upstreams: healthSummary(runtime()) }), extra: opts.adminRoutes, dashboard: sampler ?? undefined });
  } catch (err) {
    // e.g. the admin port is in use: undo what started so far, or the proxy port stays bound
    // (and the process alive) with no gateway to drain it.
    void server.stop(true);
    void accessLog.close();
    runtimes.close();
    monitor.stop();
    sampler?.stop();
    client.close();
    throw err;
  }

  return {
    url: `${listenerProto(plan.listen)}://${displayHost(plan.listen.host)}:${server.port}`,
    port: server.port!,
    admin,
    metrics,
    client,
    runtimes,
    isReady,
    ready,
    accessLog,
    reopenLogs: () => void accessLog.reopen(),
    async drain() {
      draining = true;
      const stopped = server.stop(false);
      const deadline = new Promise<"timeout">((r) => setTimeout(r, plan.server.drainTimeoutMs, "timeout").unref?.());
      const outcome = await Promise.race([stopped.then(() => "done" as const), deadline]);
      const inFlightAtDeadline = outcome === "timeout" ? metrics.inFlight : 0;
      if (outcome === "timeout") await server.stop(true);
      client.close();
      runtimes.close();
      monitor.stop();
      sampler?.stop();
      await admin?.stop();
      await accessLog.close();
      return { inFlightAtDeadline };
    },
  };
}

/** One line for a listener that cannot start (port in use, address not local): an operator error, not a stack trace. */
export function startFailureMessage(err: unknown): string {
  const e = err as { code?: string; message?: string } | null;
  return `keel: cannot start: ${e?.message ?? String(err)}${e?.code ? ` (${e.code})` : ""}`;
}

function tagResponse(res: Response | Promise<Response>, worker: string): Response | Promise<Response> {
  if (res instanceof Promise) return res.then((r) => tagResponse(r, worker) as Response);
  res.headers.set("x-keel-worker", worker);
  return res;
}

/** The host to put in a URL a client can use: a wildcard bind reads as loopback, IPv6 in brackets. */
export function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
