// A worker's view of the config: the proxy port it shares with its siblings (SO_REUSEPORT), and
// an admin listener on a loopback port of its own, which only the supervisor talks to (metrics,
// dashboard). The supervisor owns the configured admin address.

import type { Plan } from "../../config/plan.ts";

export const WORKER_ADMIN = Object.freeze({ host: "127.0.0.1", port: 0 });

export function workerPlan(plan: Plan, port: number): Plan {
  return { ...plan, listen: { ...plan.listen, port }, admin: WORKER_ADMIN };
}
