-- Shared by the city benchmark's wrk scripts (benchmarks/city.py): every answer that is not a
-- 2xx is counted (wrk itself counts only 4xx and 5xx, so a redirect to the login page would
-- pass as a success), and at the end one line "BENCH-JSON {...}" carries the figures that
-- city.py reads: requests, duration, latency percentiles (microseconds), socket errors, the
-- non-2xx count and the first non-2xx answer as a sample.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

non2xx = 0
sample = ""

function count_answer(status, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then
      sample = (tostring(status) .. " " .. string.sub(body or "", 1, 300)):gsub("[%c\"\\]", " ")
    end
  end
end

function response(status, headers, body)
  count_answer(status, body)
end

-- One path per line of the file named by BENCH_WRK_PATHS (a single line for a fixed URL).
function read_lines(name)
  local lines = {}
  local file = assert(io.open(name, "r"))
  for line in file:lines() do
    if line ~= "" then
      table.insert(lines, line)
    end
  end
  file:close()
  assert(#lines > 0, name .. " is empty")
  return lines
end

function done(summary, latency, requests)
  local bad, first = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    local s = thread:get("sample")
    if first == "" and s ~= nil then
      first = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "timeouts": %d, "status_errors": %d, "non2xx": %d, "sample": "%s"}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status, bad, first
  ))
end
