-- done() of every wrk script here (wrk-report.lua, soak/soak.lua): one machine-readable line,
-- `BENCH key=value ...`, that bench/lib/wrk.ts reads; latencies in microseconds.
-- BENCH_HISTOGRAM=1 adds a `BENCH_HIST value:count ...` line: every latency wrk recorded (µs)
-- with how many requests took it, so runs can be pooled (bench/lib/pooled-latency.ts).
local histogram = os.getenv("BENCH_HISTOGRAM") == "1"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50=%d p99=%d p999=%d p9999=%d max=%d " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    latency:percentile(99.99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
  if histogram then
    -- latency(i): the i-th distinct value recorded and its count (wrk 4's stats call).
    local parts = {}
    for i = 1, #latency do
      local value, count = latency(i)
      parts[i] = string.format("%d:%d", value, count)
    end
    io.write("BENCH_HIST " .. table.concat(parts, " ") .. "\n")
  end
end
