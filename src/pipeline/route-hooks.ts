// Runs a route's onRequest / onResponse hooks (docs/normalize.md, "Hooks") on the request as it
// will be forwarded and the response as it will be sent. A throw, a timeout or a malformed reply
// is a typed refusal (500 KEEL_HOOK_FAILED / KEEL_HOOK_TIMEOUT); the gateway keeps serving.

import type { RouteHooksPlan } from "../config/plan.ts";
import { FlatHeaders } from "../hooks/flat-headers.ts";
import { checkReply, runHook } from "../hooks/run-hook.ts";
import type { HookReply, HookRequest, HookResponse } from "../hooks/types.ts";
import type { Refusal } from "./normalize-request.ts";

/** Time spent in hooks, per route (for /metrics). */
export interface HookClock {
  hookTime(route: string, hook: "onRequest" | "onResponse", ms: number): void;
}

export interface HookRequestInit {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: string[];
  readonly body: unknown;
  readonly route: string;
  readonly params: Readonly<Record<string, string>>;
  readonly clientIp: string;
  readonly requestId: string;
}

export function hookRequest(init: HookRequestInit): HookRequest {
  return {
    method: init.method,
    path: init.path,
    query: init.query,
    headers: new FlatHeaders(init.headers),
    body: init.body,
    route: init.route,
    params: init.params,
    clientIp: init.clientIp,
    requestId: init.requestId,
  };
}

/** null = go on to the upstream; a HookReply = answer with it; a Refusal = the hook failed. */
export async function runOnRequest(hooks: RouteHooksPlan, req: HookRequest, clock: HookClock, route: string): Promise<HookReply | Refusal | null> {
  const fn = hooks.module.onRequest;
  if (fn === undefined) return null;
  const outcome = await runHook(() => fn(req), hooks.timeoutMs, "onRequest");
  clock.hookTime(route, "onRequest", outcome.ms);
  if (!outcome.ok) return { code: outcome.code, detail: `onRequest hook of ${hooks.file}: ${outcome.detail}` };
  const reply = checkReply(outcome.value);
  if (typeof reply === "string") return { code: "KEEL_HOOK_FAILED", detail: `onRequest hook of ${hooks.file} returned ${reply}` };
  return reply;
}

export async function runOnResponse(hooks: RouteHooksPlan, res: HookResponse, req: HookRequest, clock: HookClock, route: string): Promise<Refusal | null> {
  const fn = hooks.module.onResponse;
  if (fn === undefined) return null;
  const outcome = await runHook(() => fn(res, req), hooks.timeoutMs, "onResponse");
  clock.hookTime(route, "onResponse", outcome.ms);
  if (!outcome.ok) return { code: outcome.code, detail: `onResponse hook of ${hooks.file}: ${outcome.detail}` };
  if (!Number.isInteger(res.status) || res.status < 200 || res.status > 599) {
    return { code: "KEEL_HOOK_FAILED", detail: `onResponse hook of ${hooks.file} set status ${String(res.status)}; expected a whole number from 200 to 599` };
  }
  return null;
}

/** A hook's reply as a Response (JSON body when it has one); a body JSON cannot write is the hook's failure. */
export function replyResponse(reply: HookReply, idHeader: string, requestId: string): Response | Refusal {
  const headers = new Headers(reply.headers);
  headers.set(idHeader, requestId);
  if (reply.body === undefined) return new Response(null, { status: reply.status, headers });
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  let text: string | undefined;
  try {
    text = JSON.stringify(reply.body);
  } catch (err) {
    return { code: "KEEL_HOOK_FAILED", detail: `onRequest hook replied with a body JSON cannot write: ${(err as Error).message}` };
  }
  return new Response(text ?? "null", { status: reply.status, headers });
}
