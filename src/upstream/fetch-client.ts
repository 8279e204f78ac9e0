// UpstreamClient over Bun's fetch: the simple, correct fallback (`client: fetch`). It has no
// connect timeout of its own and shares Bun's process-wide pool (see ../shared notes in docs/).

import { failure, type ErrorCode } from "../errors.ts";
import type { EndpointPlan, UpstreamPlan } from "../config/plan.ts";
import { connectionTokens, isHopByHop } from "../normalize/hop-by-hop.ts";
import type { UpstreamClient, UpstreamConnections, UpstreamRequest, UpstreamResult } from "./client.ts";

export class FetchClient implements UpstreamClient {
  async send(endpoint: EndpointPlan, _upstream: UpstreamPlan, req: UpstreamRequest): Promise<UpstreamResult> {
    const headers = new Headers();
    const h = req.headers;
    for (let i = 0; i < h.length; i += 2) headers.append(h[i]!, h[i + 1]!);
    if (req.body !== null && req.bodyLength >= 0) headers.set("content-length", String(req.bodyLength));
    if (req.cancel.reason !== null) {
      return { ok: false, failure: failure(req.cancel.reason, `${endpoint.url}: request cancelled before it was sent`) };
    }
    // fetch needs a signal: this fallback client pays for an AbortController per request.
    const controller = new AbortController();
    req.cancel.listener = { onCancel: () => controller.abort() };
    let res: Response;
    try {
      res = await fetch(`http://${endpoint.authority}${req.target}`, {
        method: req.method,
        headers,
        body: req.body,
        signal: controller.signal,
        redirect: "manual",
        decompress: false,
        timeout: false,
        // Bun streams a ReadableStream request body without buffering it.
        duplex: "half",
      } as RequestInit);
    } catch (err) {
      req.cancel.listener = null;
      const code = req.cancel.reason ?? fetchErrorCode(err);
      return { ok: false, failure: failure(code, `${endpoint.url}: ${describe(err)}`) };
    }
    req.cancel.listener = null;
    const out: string[] = [];
    const named = connectionTokens(res.headers.get("connection"));
    for (const [name, value] of res.headers) {
      if (isHopByHop(name) || named.includes(name)) continue;
      out.push(name, value);
    }
    const len = res.headers.get("content-length");
    return {
      ok: true,
      response: { status: res.status, headers: out, body: res.body, bodyLength: len === null ? -1 : Number(len) },
    };
  }

  idleConnections(): number {
    return 0; // Bun's fetch pool is not observable
  }

  /**
   * Always zeros: Bun's fetch pool is process-wide and not observable, and this client enforces
   * neither breaker.maxConnections nor breaker.maxPending (use the http1 client for those).
   */
  connections(_upstreamName: string): UpstreamConnections {
    return NO_CONNECTIONS;
  }

  close(): void {}
}

const NO_CONNECTIONS: UpstreamConnections = Object.freeze({ open: 0, pending: 0 });

function fetchErrorCode(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ECONNREFUSED" || code === "ConnectionRefused") return "KEEL_UPSTREAM_CONNECT_REFUSED";
  if (code === "ECONNRESET" || code === "ConnectionClosed") return "KEEL_UPSTREAM_RESET";
  return "KEEL_UPSTREAM_UNREACHABLE";
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string } | null;
  return [e?.code, e?.message].filter(Boolean).join(": ") || String(err);
}
