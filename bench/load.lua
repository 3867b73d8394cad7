-- wrk script of the load run (bench/load.py): counts every answer that is not 2xx as an error
-- (wrk itself counts only >= 400, so a 302 to the login page would pass as a fast success) and
-- prints one JSON line at the end for load.py to read.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  -- A global of the thread's own Lua state, so that done() can read it with thread:get().
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "timeout": %d, "status": %d, "non2xx": %d, "p50_us": %.1f, '
      .. '"p95_us": %.1f, "p99_us": %.1f, "mean_us": %.1f, "max_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.timeout, e.status, bad, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max
  ))
end
