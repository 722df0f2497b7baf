-- wrk script for the API benchmarks (bench/api_load.py runs it; see `load` there).
--
-- LOAD_MODE=get     GET LOAD_PATH; with LOAD_BUST=1 each request adds "&_=<n>", a URL never seen before.
-- LOAD_MODE=intake  POST /v1/reports, a valid detention under a new Idempotency-Key each time
--                   (LOAD_PHASE keeps keys of successive runs apart), with LOAD_TOKEN and LOAD_WHEN.
-- done() writes the run to LOAD_RESULT as JSON: counts, p99, every status seen and, for intake,
-- the id of every 201, so the benchmark can check each acknowledged report is in the store.

local mode = os.getenv("LOAD_MODE")
local path = os.getenv("LOAD_PATH")
local bust = os.getenv("LOAD_BUST") == "1"
local token = os.getenv("LOAD_TOKEN")
local when = os.getenv("LOAD_WHEN")
local cities = {"Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск", "Курск"}
local threads = {}
local counter = 0

-- Globals, not locals: done() reads them from each thread with thread:get.
prefix = ""
statuses = {}
ids = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("prefix", os.getenv("LOAD_PHASE") .. "-" .. #threads .. "-")
end

function request()
  counter = counter + 1
  if mode == "intake" then
    local body = string.format('{"kind":"detention","city":"%s","occurred_at":"%s","detained":%d}',
      cities[counter % #cities + 1], when, 1 + counter % 9)
    return wrk.format("POST", "/v1/reports", {
      ["Authorization"] = "Bearer " .. token,
      ["Idempotency-Key"] = prefix .. counter,
      ["Content-Type"] = "application/json",
    }, body)
  end
  return wrk.format("GET", bust and (path .. "&_=" .. prefix .. counter) or path)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 201 then
    ids[#ids + 1] = string.match(body, '"id":"([^"]+)"') or "unreadable"
  end
end

function done(summary, latency, requests)
  local seen, acknowledged = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do seen[status] = (seen[status] or 0) + n end
    for _, id in ipairs(thread:get("ids")) do acknowledged[#acknowledged + 1] = id end
  end
  local parts = {}
  for status, n in pairs(seen) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local errors = summary.errors
  local out = assert(io.open(os.getenv("LOAD_RESULT"), "w"))
  out:write(string.format(
    '{"requests": %d, "seconds": %f, "p99_ms": %f, "errors": %d, "statuses": {%s}, "ids": [%s]}',
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000,
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ", "),
    #acknowledged > 0 and ('"' .. table.concat(acknowledged, '", "') .. '"') or ""))
  out:close()
end
