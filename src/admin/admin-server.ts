// The admin listener: liveness, readiness and metrics on their own port, never through the proxy
// pipeline, so a saturated or misrouted gateway can still be probed and scraped.

import type { Server } from "bun";
import type { ErrorCode } from "../errors.ts";
import { problemResponse, type ProblemContext } from "../pipeline/problem.ts";
import { splitTarget } from "../pipeline/request-target.ts";
import type { GatewayMetrics } from "../observe/gateway-metrics.ts";
import { PROMETHEUS_CONTENT_TYPE, PrometheusExposition } from "../observe/prometheus.ts";
import { dashboardRoutes, type DashboardSource } from "./dashboard/dashboard-routes.ts";

export interface AdminServerOptions {
  readonly host: string;
  /** 0 = any free port (see the returned `port`). */
  readonly port: number;
  readonly metrics: GatewayMetrics;
  readonly isReady: () => boolean;
  /** More to say in /readyz's body (e.g. endpoint health); readiness itself is isReady(). */
  readonly readyDetail?: () => Record<string, unknown>;
  /** Further admin routes (e.g. /config); null = not mine, fall through to 404. */
  readonly extra?: (req: Request) => Response | Promise<Response> | null;
  /** The /metrics body instead of `metrics` rendered here (a workers' supervisor sums its workers'). */
  readonly metricsText?: () => Promise<string>;
  /** Serves GET /dashboard and /dashboard/data from it (the StatsSampler); omitted = no dashboard. */
  readonly dashboard?: DashboardSource;
}

export interface AdminServer {
  readonly server: Server<undefined>;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

const ADMIN_CONTEXT: ProblemContext = { requestId: null, requestIdHeader: null, route: null, upstream: null, phase: "admin" };

function problem(code: ErrorCode, detail: string): Response {
  return problemResponse(code, detail, ADMIN_CONTEXT);
}

export function startAdminServer(opts: AdminServerOptions): AdminServer {
  const exposition = new PrometheusExposition(opts.metrics);
  const dashboard = opts.dashboard === undefined ? null : dashboardRoutes(opts.dashboard);

  const handle = (req: Request): Response | Promise<Response> => {
    const path = splitTarget(req.url)?.path ?? "/";
    if (req.method === "GET" || req.method === "HEAD") {
      if (path === "/healthz") return json(200, { status: "ok" });
      if (path === "/readyz") {
        const detail = opts.readyDetail?.() ?? {};
        return opts.isReady() ? json(200, { status: "ready", ...detail }) : json(503, { status: "not ready", ...detail });
      }
      if (path === "/metrics") {
        const headers = { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" };
        if (opts.metricsText !== undefined) return opts.metricsText().then((text) => new Response(text, { headers }));
        return new Response(exposition.render(), { headers });
      }
      const page = dashboard?.(path) ?? null;
      if (page !== null) return page;
    }
    const extra = opts.extra?.(req) ?? null;
    if (extra !== null) return extra;
    return problem("KEEL_ROUTE_NOT_FOUND", `No admin endpoint for ${req.method} ${path}`);
  };

  const server = Bun.serve({
    hostname: opts.host,
    port: opts.port,
    fetch(req) {
      try {
        return handle(req);
      } catch (err) {
        // e.g. a throwing isReady or extra handler: answer, keep the listener up.
        return problem("KEEL_INTERNAL", `Admin handler failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  });

  const port = server.port ?? opts.port;
  const urlHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    server,
    port,
    url: `http://${urlHost}:${port}`,
    stop: () => server.stop(),
  };
}
