// Closing a replaced runtime once no request uses it: only the parts no live runtime still holds
// (a reload shares kept parts between the old and the new runtime). Limiters and the Redis
// connection a newer runtime took over were moved out of the old limiter set, so closing that
// set closes only what was left behind.

import type { GatewayRuntime } from "../../pipeline/gateway-runtime.ts";

export function retireRuntime(old: GatewayRuntime, live: readonly GatewayRuntime[]): void {
  const held = new Set<unknown>();
  for (const rt of live) {
    if (rt === old) continue;
    held.add(rt.overload);
    for (const u of rt.upstreams) held.add(u.health).add(u.concurrency);
    for (const r of rt.routes) held.add(r.concurrency);
  }
  if (!held.has(old.overload)) old.overload.stop();
  for (const u of old.upstreams) {
    if (!held.has(u.health)) u.health.close();
    if (u.concurrency !== null && !held.has(u.concurrency)) u.concurrency.close();
  }
  for (const r of old.routes) if (r.concurrency !== null && !held.has(r.concurrency)) r.concurrency.close();
  old.limiters.close();
}
