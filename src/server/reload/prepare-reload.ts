// The checks before a swap: the new config must load (parse → validate → compile), and must not
// change what only a new listener can apply (Keel refuses those: "listen changes need a restart").

import { loadConfigFile, loadConfigText, type ConfigError } from "../../config/load.ts";
import type { Plan } from "../../config/plan.ts";
import { samePlanValue } from "./plan-equal.ts";

export type Prepared =
  | { ok: true; plan: Plan }
  | { ok: false; reason: "invalid"; errors: readonly ConfigError[] }
  | { ok: false; reason: "restart-required"; changes: readonly string[] };

export interface PrepareOptions {
  /** The config text; null = read `file`. */
  readonly text?: string | null;
  readonly env?: Record<string, string | undefined>;
  /** Applied to the loaded plan before the listener check (a worker's port and admin overrides). */
  readonly adjust?: (plan: Plan) => Plan;
}

export function prepareReload(current: Plan, file: string, opts: PrepareOptions = {}): Prepared {
  const env = opts.env ?? process.env;
  const loaded = opts.text == null ? loadConfigFile(file, env) : loadConfigText(opts.text, file, env);
  if (!loaded.ok) return { ok: false, reason: "invalid", errors: loaded.errors };
  const plan = opts.adjust ? opts.adjust(loaded.plan) : loaded.plan;
  const changes = listenerChanges(current, plan);
  return changes.length > 0 ? { ok: false, reason: "restart-required", changes } : { ok: true, plan };
}

/** Settings a running listener cannot take on: each as "what: old → new". */
export function listenerChanges(current: Plan, next: Plan): string[] {
  const out: string[] = [];
  const addr = (l: { host: string; port: number } | null) => (l === null ? "off" : `${l.host}:${l.port}`);
  if (!samePlanValue(current.listen, next.listen)) out.push(`listen: ${describeListen(current.listen)} → ${describeListen(next.listen)}`);
  if (!samePlanValue(current.admin, next.admin)) out.push(`admin: ${addr(current.admin)} → ${addr(next.admin)}`);
  if (current.server.idleTimeoutSeconds !== next.server.idleTimeoutSeconds) {
    out.push(`server.idleTimeout: ${current.server.idleTimeoutSeconds} s → ${next.server.idleTimeoutSeconds} s`);
  }
  // TLS settings, wherever the plan keeps them at its top level.
  const tlsOf = (p: Plan) => (p as unknown as Record<string, unknown>)["tls"];
  if (!samePlanValue(tlsOf(current), tlsOf(next))) out.push("tls: certificates or TLS settings changed");
  return out;
}

function describeListen(l: Plan["listen"]): string {
  const extra = Object.keys(l).filter((k) => k !== "host" && k !== "port");
  return `${l.host}:${l.port}${extra.length > 0 ? ` (+ ${extra.join(", ")})` : ""}`;
}
