-- wrk script: POST /v1/reports with a rotating set of realistic ru/ky texts and unique source_refs.
-- Token from the environment: SAKCHY_BENCH_TOKEN.
local token = os.getenv("SAKCHY_BENCH_TOKEN") or "bench-monitor-token-0123"
local texts = {
  "Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!",
  "В Бишкеке прошло заседание городского кенеша по бюджету на следующий год.",
  "Жалал-Абадда базарда мушташ болуптур деп айтышат, баарына жеткиргиле",
  "Срочно! На границе в Баткенском районе стрельба, говорят есть раненые",
  "Нарында жаңы мектеп ачылды, айыл өкмөтү куттуктады",
  "Передайте всем: завтра в Караколе собираемся у акимиата в 10 утра",
}
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  prefix = "bench-" .. tostring(tid) .. "-" .. tostring(os.time()) .. "-"
end

request = function()
  counter = counter + 1
  local text = texts[(counter % #texts) + 1]
  local body = '{"text":"' .. text .. '","source_ref":"' .. prefix .. counter .. '"}'
  return wrk.format("POST", "/v1/reports", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests: %d in %.1f s = %.0f req/s\n", summary.requests,
    summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000))
  io.write(string.format("errors: connect %d read %d write %d status %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
