-- POST /api/v1/cases with varied bodies: one JSON report per line of the file named by
-- BENCH_WRK_BODIES (different classes, places and descriptions), each sent with its own
-- Idempotency-Key, as the app does, so no request is answered as a replay.
local dir = os.getenv("BENCH_WRK_DIR") or "benchmarks/wrk"
dofile(dir .. "/common.lua")

local bodies
local sent = 0
local run = os.getenv("BENCH_WRK_RUN") or tostring(os.time())

function init(args)
  bodies = read_lines(os.getenv("BENCH_WRK_BODIES"))
  math.randomseed(os.time() + 7919 * (thread_id or 0))
end

function request()
  sent = sent + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run, thread_id or 0, sent)
  return wrk.format("POST", "/api/v1/cases", headers, bodies[math.random(#bodies)])
end
