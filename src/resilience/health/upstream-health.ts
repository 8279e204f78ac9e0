// Wiring helper: one upstream's EndpointHealth with its active checker attached, so that a single
// close() (on reload or shutdown) stops the checks, the un-ejection sweep and later reports.

import type { UpstreamPlan } from "../../config/plan.ts";
import { ActiveChecker } from "./active-checker.ts";
import { EndpointHealth } from "./endpoint-health.ts";

/** healthCheck / outlier null = that half is off (endpoints are then never unhealthy / never ejected). */
export function startUpstreamHealth(upstream: Pick<UpstreamPlan, "endpoints" | "healthCheck" | "outlier">): EndpointHealth {
  const health = new EndpointHealth(upstream.endpoints.length, upstream.outlier);
  // The checker registers itself with health.onClose; nothing else needs to hold it.
  if (upstream.healthCheck !== null && upstream.endpoints.length > 0) new ActiveChecker(health, upstream.endpoints, upstream.healthCheck);
  return health;
}
