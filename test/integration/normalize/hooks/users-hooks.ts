// Hooks for test/integration/normalize/hooks-aggregate.test.ts.
import type { HookReply, HookRequest, HookResponse } from "../../../../src/hooks/types.ts";

export function onRequest(req: HookRequest): HookReply | void | Promise<void> {
  if (req.headers.get("x-deny") !== null) return { status: 401, body: { error: "denied by hook" } };
  if (req.headers.get("x-throw") !== null) throw new Error("hook exploded");
  if (req.headers.get("x-hang") !== null) return new Promise<void>(() => {});
  req.headers.set("x-hooked", `${req.route}:${req.params.id ?? ""}`);
  if (req.body !== undefined && typeof req.body === "object" && req.body !== null) (req.body as Record<string, unknown>).viaHook = true;
}

export function onResponse(res: HookResponse, req: HookRequest): void {
  res.headers.set("x-hook-status", String(res.status));
  if (res.body !== undefined) res.body = { data: res.body, requestId: req.requestId };
}
