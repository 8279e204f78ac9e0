-- wrk script shared by every run. BENCH_DELAY_MS set => paced: each connection
-- pauses that long between requests (open-ish loop at ~connections/delay rps).
-- done() prints one machine-readable line; latencies are in microseconds.
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")

-- BENCH_DELAY_SPREAD=exp => each pause is drawn from an exponential distribution of that mean
-- instead, so the connections do not move in step: arrivals are Poisson-like at the same rate.
local spread = os.getenv("BENCH_DELAY_SPREAD") or ""

if delay_ms and delay_ms > 0 then
  if spread == "exp" then
    math.randomseed(os.time())
    -- wrk truncates the pause to whole ms: + 0.5 keeps the mean at delay_ms.
    function delay() return -delay_ms * math.log(1 - math.random()) + 0.5 end
  else
    function delay() return delay_ms end
  end
end

-- BENCH_XFF_KEYS=N => each request carries X-Forwarded-For from one of N client addresses
-- (10.x.y.z, in turn), so per-IP rate limits see N keys. Requests are formatted once, in init.
local xff_keys = tonumber(os.getenv("BENCH_XFF_KEYS") or "")

if xff_keys and xff_keys > 0 then
  local reqs = {}
  local n = 0
  function init(args)
    for i = 1, xff_keys do
      local ip = string.format("10.%d.%d.%d", math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
      reqs[i] = wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
    end
  end
  function request()
    n = n % xff_keys + 1
    return reqs[n]
  end
end

-- done(): the BENCH line, from the one file every script here shares (found beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "bench-line.lua")
