-- wrk script for bench/run: every request carries the signed-in session cookie; with
-- BENCH_METHOD=POST each one is an htmx quick entry with the CSRF token in X-CSRFToken and an
-- idempotency key of its own. At the end it prints one JSON line for bench/run to read.

local method = os.getenv("BENCH_METHOD") or "GET"
local cookie = os.getenv("BENCH_COOKIE") or ""
local token = os.getenv("BENCH_CSRF") or ""
local encoding = os.getenv("BENCH_ACCEPT_ENCODING") or ""
local form = os.getenv("BENCH_FORM") or ""
local run = os.getenv("BENCH_RUN") or "run"

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Cookie"] = cookie
  if encoding ~= "" then
    wrk.headers["Accept-Encoding"] = encoding
  end
  if method == "POST" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
    wrk.headers["HX-Request"] = "true"
    wrk.headers["HX-Current-URL"] = "/"
    wrk.headers["X-CSRFToken"] = token
  end
end

function request()
  if method ~= "POST" then
    return wrk.format()
  end
  counter = counter + 1
  local key = string.format("%s-%d-%d", run, id, counter)
  local body = string.format("title=Benchmark+quick+entry+%s&idempotency_key=%s&%s", key, key, form)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "bytes": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, summary.bytes))
end
