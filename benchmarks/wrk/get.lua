-- GET a path drawn at random from the file named by BENCH_WRK_PATHS (one per line), with the
-- headers given to wrk with -H (the bearer token or the session cookie).
local dir = os.getenv("BENCH_WRK_DIR") or "benchmarks/wrk"
dofile(dir .. "/common.lua")

local paths

function init(args)
  paths = read_lines(os.getenv("BENCH_WRK_PATHS"))
  math.randomseed(os.time() + 7919 * (thread_id or 0))
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
