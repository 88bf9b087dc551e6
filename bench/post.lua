-- wrk script of the benchmarks (bench/lib.sh's run_wrk sets its environment).
-- Unique records per thread (ids from OFFSET + thread * 1e12), BATCH per
-- request, the AUTH header; counts the records acknowledged with a 2xx.
local record = io.open(os.getenv("RECORD")):read("*a"):gsub("%s+$", "")
local threads, count = {}, 0
function setup(thread)
  thread:set("base", tonumber(os.getenv("OFFSET")) + count * 1000000000000)
  count = count + 1
  table.insert(threads, thread)
end
function init(args)
  n, acked = 0, 0
  batch = tonumber(os.getenv("BATCH"))
  auth = os.getenv("AUTH")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Connection"] = "keep-alive"
  if auth == "token" then wrk.headers["X-Api-Token"] = os.getenv("SECRET") end
  if auth == "basic" then wrk.headers["Authorization"] = "Basic " .. os.getenv("SECRET") end
  if auth == "github" then dofile(os.getenv("SIGNED")) end
end
function request()
  if auth == "github" then
    n = n % #signed + 1
    wrk.headers["X-Hub-Signature-256"] = signed[n][2]
    return wrk.format(nil, nil, nil, signed[n][1])
  end
  local parts = {}
  for i = 1, batch do
    n = n + 1
    parts[i] = record:gsub('"id":1,', '"id":' .. (base + n) .. ',', 1)
  end
  return wrk.format(nil, nil, nil, batch == 1 and parts[1] or "[" .. table.concat(parts, ",") .. "]")
end
function response(status, headers, body)
  if status >= 200 and status < 300 then acked = acked + batch end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("acked") end
  io.write(string.format("RESULT rps=%.1f p50=%.3f p99=%.3f max=%.3f requests=%d acked=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, total, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
