// A one-screen description of a plan, printed by `keel check`.
import { formatDuration, formatSize } from "./units.ts";
import type { ListenPlan, Plan, RouteMatchPlan, RoutePlan } from "./plan.ts";

const addr = (l: ListenPlan) => (l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`);

/** `routeOrder`: the routes in the order the router tries them (config order when omitted). */
export function summarizePlan(plan: Plan, routeOrder: readonly RoutePlan[] = plan.routes): string {
  const s = plan.server;
  const out = [
    `config   ${plan.source}`,
    `listen   ${addr(plan.listen)}`,
    `admin    ${plan.admin ? addr(plan.admin) : "off"}`,
    `server   drain ${formatDuration(s.drainTimeoutMs)}, idle ${s.idleTimeoutSeconds ? `${s.idleTimeoutSeconds}s` : "off"}, max body ${formatSize(s.maxRequestBodyBytes)}, request id ${plan.requestId.header}${plan.requestId.trustIncoming ? " (trusted)" : ""}`,
    "",
    `upstreams (${plan.upstreams.size})`,
  ];
  for (const u of plan.upstreams.values()) {
    out.push(`  ${u.name}: ${u.balance}, connect ${formatDuration(u.connectTimeoutMs)}, pool ${u.maxIdlePerEndpoint} idle / ${formatDuration(u.idleTimeoutMs)}`);
    for (const e of u.endpoints) out.push(`    ${e.url}`);
  }
  const ordered = routeOrder !== plan.routes;
  out.push("", `routes (${plan.routes.length}, ${ordered ? "in matching order; # = position in the file" : "in config order"})`);
  const width = Math.max(...plan.routes.map((r) => r.name.length));
  for (const r of routeOrder) {
    const strip = r.stripPrefix ? ` (strip ${r.stripPrefix})` : "";
    out.push(`  ${String(r.index).padStart(2)}  ${r.name.padEnd(width)}  ${describeMatch(r.match)}${strip}  -> ${r.upstream}, timeout ${formatDuration(r.timeoutMs)}`);
  }
  return out.join("\n");
}

/** "GET,POST api.example.com/users/* [x-tenant=acme]" */
export function describeMatch(m: RouteMatchPlan): string {
  const path = m.path ?? `${m.pathPrefix ?? "/"}*`;
  const hosts = m.hosts.length === 0 ? "" : m.hosts.length === 1 ? m.hosts[0] : `{${m.hosts.join(",")}}`;
  const methods = m.methods.length ? `${m.methods.join(",")} ` : "";
  const headers = m.headers.length ? ` [${m.headers.map((h) => `${h.name}=${h.value}`).join(" ")}]` : "";
  return `${methods}${hosts}${path}${headers}`;
}
