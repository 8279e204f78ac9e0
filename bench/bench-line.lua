-- done() of every wrk script here (wrk-report.lua, soak/soak.lua): one machine-readable line,
-- `BENCH key=value ...`, that bench/lib/wrk.ts reads; latencies in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50=%d p99=%d p999=%d p9999=%d max=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency:percentile(99.99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
