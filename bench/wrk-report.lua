-- wrk script shared by every run. BENCH_DELAY_MS set => paced: each connection
-- pauses that long between requests (open-ish loop at ~connections/delay rps).
-- done() prints one machine-readable line; latencies are in microseconds.
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")

if delay_ms and delay_ms > 0 then
  function delay() return delay_ms end
end

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
