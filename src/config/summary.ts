// A one-screen description of a plan, printed by `keel check`.
import { formatDuration, formatSize } from "./units.ts";
import type { ListenPlan, Plan, RouteMatchPlan, RoutePlan } from "./plan.ts";
import type { ConcurrencyPlan, KeyPart } from "../limits/types.ts";
import { estimateMemory, formatBytes } from "./memory-budget.ts";

const addr = (l: ListenPlan) => (l.host.includes(":") ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`);

/** `routeOrder`: the routes in the order the router tries them (config order when omitted). */
export function summarizePlan(plan: Plan, routeOrder: readonly RoutePlan[] = plan.routes): string {
  const s = plan.server;
  const out = [
    `config   ${plan.source}`,
    `listen   ${addr(plan.listen)}${tlsText(plan.listen)}`,
    `admin    ${plan.admin ? addr(plan.admin) : "off"}`,
    `server   drain ${formatDuration(s.drainTimeoutMs)}, idle ${s.idleTimeoutSeconds ? `${s.idleTimeoutSeconds}s` : "off"}, max body ${formatSize(s.maxRequestBodyBytes)}, request id ${plan.requestId.header}${plan.requestId.trustIncoming ? " (trusted)" : ""}`,
    "",
    `upstreams (${plan.upstreams.size})`,
  ];
  if (plan.redis) out.splice(4, 0, `redis    ${plan.redis.url} (shared rate limits)`);
  for (const u of plan.upstreams.values()) {
    const balance = u.balance === "hash" && u.hashKey ? `hash on ${keyPartText(u.hashKey)}` : u.balance;
    const extras = [
      u.concurrency ? `concurrency ${concurrencyText(u.concurrency)}` : "",
      u.healthCheck ? `health checks ${u.healthCheck.path} every ${formatDuration(u.healthCheck.intervalMs)}` : "",
      u.outlier ? `ejection after ${u.outlier.consecutiveFailures} failures` : "",
      u.breaker ? `breaker at ${u.breaker.failureRatio * 100}% failures` : "",
    ].filter(Boolean);
    out.push(`  ${u.name}: ${balance}, connect ${formatDuration(u.connectTimeoutMs)}, pool ${u.maxIdlePerEndpoint} idle / ${formatDuration(u.idleTimeoutMs)}${extras.length ? `; ${extras.join(", ")}` : ""}`);
    for (const e of u.endpoints) out.push(`    ${e.url}${e.weight !== 1 ? ` (weight ${e.weight})` : ""}`);
  }
  const ordered = routeOrder !== plan.routes;
  out.push("", `routes (${plan.routes.length}, ${ordered ? "in matching order; # = position in the file" : "in config order"})`);
  const width = Math.max(...plan.routes.map((r) => r.name.length));
  for (const r of routeOrder) {
    const strip = r.stripPrefix ? ` (strip ${r.stripPrefix})` : "";
    const extras = [
      r.budgetMs !== null ? `budget ${formatDuration(r.budgetMs)}` : "",
      r.rateLimits.length ? `rate ${r.rateLimits.map((p) => `${p.name} ${rateText(p.count, p.periodMs)}${p.shared ? " shared" : ""}`).join(" + ")}` : "",
      r.concurrency ? `concurrency ${concurrencyText(r.concurrency)}` : "",
      r.retry ? `retry ×${r.retry.attempts - 1}` : "",
      r.hedge ? `hedge at p${r.hedge.percentile}` : "",
    ].filter(Boolean);
    out.push(`  ${String(r.index).padStart(2)}  ${r.name.padEnd(width)}  ${describeMatch(r.match)}${strip}  -> ${r.upstream}, timeout ${formatDuration(r.timeoutMs)}${extras.length ? `, ${extras.join(", ")}` : ""}`);
  }
  out.push("", summarizeMemory(plan));
  return out.join("\n");
}

/** " https (CN=api.example.com, expires 2027-01-31, http2)" or "" for plain HTTP. */
function tlsText(l: ListenPlan): string {
  return l.tls ? ` https (${l.tls.subject}, expires ${l.tls.validTo.slice(0, 10)}${l.tls.http2 ? ", http2" : ""})` : "";
}

/** The worst-case memory of the plan's tables (config/memory-budget.ts), largest first, and the total. */
export function summarizeMemory(plan: Plan): string {
  const estimate = estimateMemory(plan);
  const width = Math.max(5, ...estimate.tables.map((t) => t.name.length));
  const out = [`memory at capacity (worst case, see docs/limits.md)`];
  for (const t of estimate.tables) {
    out.push(`  ${t.name.padEnd(width)}  ${String(t.capacity).padStart(9)} × ${String(t.bytesPerEntry).padStart(6)} b  ${formatBytes(t.bytes).padStart(8)}`);
  }
  const budget = plan.memoryBudgetBytes === null ? "no memoryBudget" : `memoryBudget ${formatSize(plan.memoryBudgetBytes)}`;
  out.push(`  ${"total".padEnd(width)}  ${" ".repeat(20)}  ${formatBytes(estimate.totalBytes).padStart(8)}  (${budget})`);
  return out.join("\n");
}

/** 100, 1000 → "100/s"; the units config rates are written in. */
function rateText(count: number, periodMs: number): string {
  const unit = periodMs === 1000 ? "s" : periodMs === 60_000 ? "min" : periodMs === 3_600_000 ? "h" : formatDuration(periodMs);
  return `${count}/${unit}`;
}

function concurrencyText(c: ConcurrencyPlan): string {
  return `${c.adaptive ? "adaptive ≤ " : ""}${c.max}${c.queue ? ` (+${c.queue} queued)` : ""}`;
}

function keyPartText(k: KeyPart): string {
  return k.kind === "header" || k.kind === "param" ? `${k.kind}:${k.name}` : k.kind;
}

/** "GET,POST api.example.com/users/* [x-tenant=acme]" */
export function describeMatch(m: RouteMatchPlan): string {
  const path = m.path ?? `${m.pathPrefix ?? "/"}*`;
  const hosts = m.hosts.length === 0 ? "" : m.hosts.length === 1 ? m.hosts[0] : `{${m.hosts.join(",")}}`;
  const methods = m.methods.length ? `${m.methods.join(",")} ` : "";
  const headers = m.headers.length ? ` [${m.headers.map((h) => `${h.name}=${h.value}`).join(" ")}]` : "";
  return `${methods}${hosts}${path}${headers}`;
}
