// Start Keel in-process from YAML text (startGateway), with listen/admin on port 0 unless the text
// says otherwise, and stop it again whatever happened.

import { loadConfigText } from "../../src/config/load.ts";
import type { Plan } from "../../src/config/plan.ts";
import { startGateway, type Gateway } from "../../src/server/gateway-server.ts";
import type { UpstreamClient } from "../../src/upstream/client.ts";

export function planFrom(yaml: string, env: Record<string, string> = {}): Plan {
  const r = loadConfigText(yaml, "test.yaml", env);
  if (!r.ok) throw new Error(`bad test config:\n${r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join("\n")}\n---\n${yaml}`);
  return r.plan;
}

/** Adds listen/admin on port 0 and a short drain unless the text has its own. */
export function withDefaults(yaml: string): string {
  let head = "";
  if (!/^listen:/m.test(yaml)) head += "listen: { port: 0, host: 127.0.0.1 }\n";
  if (!/^admin:/m.test(yaml)) head += "admin: { port: 0, host: 127.0.0.1 }\n";
  if (!/^server:/m.test(yaml)) head += "server: { drainTimeout: 200ms }\n";
  return head + yaml;
}

export interface TestGateway extends Gateway {
  readonly plan: Plan;
  readonly adminUrl: string;
  stop(): Promise<void>;
}

export function startKeel(yaml: string, opts: { client?: UpstreamClient; env?: Record<string, string> } = {}): TestGateway {
  const plan = planFrom(withDefaults(yaml), opts.env);
  const gw = startGateway(plan, { client: opts.client });
  let stopped: Promise<void> | null = null;
  return { ...gw, plan, adminUrl: gw.admin?.url ?? "", stop: () => (stopped ??= gw.drain().then(() => undefined)) };
}

/** Simple one-upstream config: route `name` with prefix `prefix` to the given authorities. */
export function oneRoute(authorities: string[], route: string = "", upstream: string = ""): string {
  return `upstreams:
  backend:
    endpoints: [${authorities.map((a) => `"http://${a}"`).join(", ")}]
${upstream}routes:
  - name: main
    match: { pathPrefix: / }
    upstream: backend
${route}`;
}

/** Wait until cond() holds (polling); throws after timeoutMs. For waiting only, never asserting time. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 4000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
