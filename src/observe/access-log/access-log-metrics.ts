// The access log's counters on /metrics: lines written, and lines lost (buffer full, write failed).
import type { GatewayMetrics } from "../gateway-metrics.ts";
import type { AccessLog } from "./access-log.ts";

export function registerAccessLogMetrics(metrics: GatewayMetrics, log: AccessLog): void {
  metrics.addCounter("keel_access_log_lines_total", "Access-log lines written.", () => log.linesWritten);
  metrics.addCounter("keel_access_log_dropped_total", "Access-log lines dropped: the buffer (accessLog.bufferSize) was full or the write failed.", () => log.linesDropped);
}
