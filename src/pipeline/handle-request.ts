// The life of a request (docs/lifecycle.md): accept → normalise → route → admit → upstream →
// respond → log. Each phase returns a value or a typed failure; a stray throw becomes a 500
// KEEL_INTERNAL here, never a crashed process.

import type { Server } from "bun";
import type { ErrorCode } from "../errors.ts";
import type { GatewayMetrics } from "../observe/gateway-metrics.ts";
import type { UpstreamClient, UpstreamResult } from "../upstream/client.ts";
import { ExchangeWatch, WatchedExchange } from "./exchange-watch.ts";
import { forwardHeaders, plainIp } from "./forward-headers.ts";
import type { GatewayRuntime, UpstreamRuntime } from "./gateway-runtime.ts";
import { problemResponse, type Phase } from "./problem.ts";
import { acceptableRequestId, newRequestId } from "./request-id.ts";
import { hostName, splitTarget } from "./request-target.ts";
import type { RoutePlan } from "../config/plan.ts";

export interface HandlerDeps {
  /** The plan in force when a request starts; it keeps that plan to the end (reload-safe). */
  runtime(): GatewayRuntime;
  readonly client: UpstreamClient;
  readonly metrics: GatewayMetrics;
  readonly proto: "http" | "https";
  /** Watches exchanges for timeouts and departed clients; one per gateway (tests may pass their own). */
  readonly watch?: ExchangeWatch;
}

type Handler = (req: Request, server: Server<undefined>) => Response | Promise<Response>;

/** Per-request state the phases share; one object, no closures per request. */
interface Exchange {
  readonly req: Request;
  readonly start: number;
  readonly rt: GatewayRuntime;
  readonly requestId: string;
  routeIndex: number;
  route: RoutePlan | null;
  upstream: UpstreamRuntime | null;
  phase: Phase;
}

export function createRequestHandler(deps: HandlerDeps): Handler {
  const { client, metrics, proto } = deps;
  const watch = deps.watch ?? new ExchangeWatch();

  function finish(x: Exchange, res: Response): Response {
    metrics.requestFinished(x.routeIndex, res.status, (performance.now() - x.start) * 1000);
    return res;
  }

  function fail(x: Exchange, code: ErrorCode, detail: string): Response {
    if (x.upstream !== null && code.startsWith("KEEL_UPSTREAM_")) metrics.upstreamError(x.upstream.index, code);
    const res = problemResponse(code, detail, {
      requestId: x.requestId,
      requestIdHeader: x.rt.plan.requestId.header,
      route: x.route?.name ?? null,
      upstream: x.upstream?.plan.name ?? null,
      phase: x.phase,
    });
    return finish(x, res);
  }

  /** The upstream and respond phases; a throw anywhere in them becomes a 500 here. */
  async function forward(x: Exchange, server: Server<undefined>, path: string, query: string, hostHeader: string | null): Promise<Response> {
    try {
      const req = x.req;
      const route = x.route!;
      const up = x.upstream!;
      x.phase = "upstream";
      const ei = up.balancer.pick();
      const endpoint = up.plan.endpoints[ei]!;
      const idHeader = x.rt.plan.requestId.header;
      const headers = forwardHeaders(req.headers, {
        authority: endpoint.authority,
        clientIp: plainIp(server.requestIP(req)?.address),
        proto,
        originalHost: hostHeader ?? "",
        requestIdHeader: idHeader,
        requestId: x.requestId,
      });
      const target = (route.stripPrefix !== null ? stripPrefix(path, route.stripPrefix) : path) + query;
      const lengthHeader = req.headers.get("content-length");
      const body = req.body;

      // The shared watch stops the exchange when the route timeout passes or the client leaves.
      const cancel = new WatchedExchange(req, x.start, x.start + route.timeoutMs, metrics, up.index);
      watch.add(cancel);

      up.balancer.start(ei);
      let result: UpstreamResult;
      try {
        result = await client.send(endpoint, up.plan, {
          method: req.method,
          target,
          headers,
          body,
          bodyLength: body === null ? 0 : lengthHeader === null ? -1 : Number(lengthHeader),
          cancel,
        });
      } finally {
        // Released even when send() throws or rejects (a client bug → 500 KEEL_INTERNAL): a leaked
        // balancer slot would make P2C treat this endpoint as busy for the life of the process.
        up.balancer.finish(ei);
        watch.remove(cancel);
      }

      if (!result.ok) {
        const f = result.failure;
        const detail = f.code === "KEEL_UPSTREAM_TIMEOUT" ? `${f.detail} (route timeout ${route.timeoutMs} ms)` : f.detail;
        return fail(x, f.code, detail);
      }
      x.phase = "respond";
      const r = result.response;
      const out = new Headers();
      const h = r.headers;
      let typed = false;
      for (let i = 0; i < h.length; i += 2) {
        const name = h[i]!;
        if (name === "content-type") typed = true;
        out.append(name, h[i + 1]!);
      }
      out.set(idHeader, x.requestId);
      // Bun.serve labels a byte body without Content-Type "application/octet-stream"; a stream it leaves alone.
      const payload = typed || !(r.body instanceof Uint8Array) ? r.body : bytesStream(r.body);
      return finish(x, new Response(payload, { status: r.status, headers: out }));
    } catch (err) {
      return internal(x, err);
    }
  }

  return function handle(req, server) {
    const rt = deps.runtime();
    const plan = rt.plan;
    metrics.requestStarted();
    const incoming = plan.requestId.trustIncoming ? req.headers.get(plan.requestId.header) : null;
    const x: Exchange = {
      req,
      start: performance.now(),
      rt,
      requestId: acceptableRequestId(incoming) ? incoming : newRequestId(),
      routeIndex: -1,
      route: null,
      upstream: null,
      phase: "normalize",
    };
    try {
      const hostHeader = req.headers.get("host");
      // RFC 9112 §3.2: a request with more than one Host line gets a 400. Bun accepts them, builds
      // req.url from the first and joins the values with ", " in req.headers, so without this check
      // routing and X-Forwarded-Host would each see a different Host than the URL does.
      if (hostHeader !== null && hostHeader.includes(",")) {
        return fail(x, "KEEL_BAD_REQUEST_TARGET", `more than one Host header (${hostHeader})`);
      }
      const target = splitTarget(req.url);
      if (target === null || req.method === "CONNECT") {
        // Bun leaves req.url relative ("/x") when the Host header is not a valid host[:port].
        const why = req.method !== "CONNECT" && req.url.startsWith("/") ? `invalid Host header (${hostHeader ?? "absent"})` : "only origin-form requests to configured routes are proxied";
        return fail(x, "KEEL_BAD_REQUEST_TARGET", `${req.method} ${req.url}: ${why}`);
      }
      x.phase = "route";
      const host = hostName(hostHeader);
      const m = rt.router.match({ method: req.method, host, path: target.path, headers: req.headers });
      if (m === null) {
        return fail(x, "KEEL_ROUTE_NOT_FOUND", `no route matches ${req.method} ${host}${target.path}`);
      }
      x.route = m.route;
      x.routeIndex = m.route.index;
      x.upstream = rt.upstreamOfRoute[m.route.index]!;
      return forward(x, server, target.path, target.query, hostHeader);
    } catch (err) {
      return internal(x, err);
    }
  };

  function internal(x: Exchange, err: unknown): Response {
    console.error(`keel: internal error in phase ${x.phase} (request ${x.requestId}):`, err);
    return fail(x, "KEEL_INTERNAL", `internal error in phase ${x.phase}; see the gateway log for request ${x.requestId}`);
  }
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

function stripPrefix(path: string, prefix: string): string {
  const rest = path.slice(prefix.length);
  return rest.startsWith("/") ? rest : "/" + rest;
}
