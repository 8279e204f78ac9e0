-- wrk script of the soak (bench/soak/run.ts): a mix of request targets, x-client from a pool of
-- keys, and an optional pause per connection between requests. Every request string is formatted
-- once, in init. done() prints the `BENCH key=value ...` line (../bench-line.lua).
--   SOAK_PATHS    targets separated by "|", taken in turn
--   SOAK_CLIENTS  x-client values (client-1 ... client-N), taken in turn
--   SOAK_DELAY_MS pause per connection between requests, fractional: dithered between the two
--                 whole milliseconds around it (wrk's timer has 1 ms steps), so the mean is exact
local paths = {}
for p in string.gmatch(os.getenv("SOAK_PATHS") or "/", "[^|]+") do paths[#paths + 1] = p end
local clients = tonumber(os.getenv("SOAK_CLIENTS") or "") or 1
local delay_ms = tonumber(os.getenv("SOAK_DELAY_MS") or "") or 0

local reqs = {}
local n = 0

function init(args)
  -- One string per (client, path) pair in turn: client i gets path i mod #paths.
  for i = 1, clients do
    local path = paths[(i - 1) % #paths + 1]
    reqs[i] = wrk.format("GET", path, { ["x-client"] = "client-" .. i, ["cookie"] = "session=soak" })
  end
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

if delay_ms > 0 then
  local whole = math.floor(delay_ms)
  local frac = delay_ms - whole
  function delay()
    if math.random() < frac then return whole + 1 end
    return whole
  end
end

-- done(): the BENCH line, from the one file every script here shares (found beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../bench-line.lua")
