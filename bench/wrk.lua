-- wrk's script for bench/bench.sh, configured by the environment:
--   JD_TOKEN     a bearer token for every request (none: no Authorization)
--   JD_REGISTER  1: POST /v1/cases/leads, every lead its own subject, ID
--                number (blind-indexed), reporter, unit and source
--   JD_TENANT    the county the leads go to (510681)
-- One wrk thread (-t1): the counters are per thread.  done() prints one
-- line for bench.sh: requests, microseconds, non-2xx/3xx answers, socket
-- errors, p50 and p99 latency in microseconds; with a token, then the body
-- of the first answer that was not 2xx, if any (why jiandud refused).
local token = os.getenv("JD_TOKEN") or ""
local register = os.getenv("JD_REGISTER") == "1"
local tenant = os.getenv("JD_TENANT") or "510681"
local units = { "ag1", "ag2", "ag3", "ag4", "ag5", "of1", "tw1" }
local sources = { "letters_visits", "inspection_tour", "audit", "judicial", "other_body",
	"self_supervision", "self_investigation" }
local n = 0
local threads = {}
refused = nil -- a global: done() reads it from the thread with thread:get

setup = function(thread)
	table.insert(threads, thread)
end
local run = tostring(os.time())

if token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
if register then
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/json"
end

request = function()
	if not register then
		return wrk.format()
	end
	n = n + 1
	local body = string.format(
		'{"tenant":"%s","unit":"%s","source":"%s","subject_name":"某%s-%d",'
			.. '"subject_id_number":"5106811%s%07d","allegation":"收受礼金 %d","reporter_name":"举报人%d"}',
		tenant, units[n % #units + 1], sources[n % #sources + 1], run, n,
		string.sub(run, -4), n, n, n)
	return wrk.format(nil, nil, nil, body)
end

if token ~= "" then
	response = function(status, headers, body)
		if status >= 300 and refused == nil then
			refused = status .. " " .. body
		end
	end
end

done = function(summary, latency)
	local e = summary.errors
	io.write(string.format("JDWRK %d %d %d %d %d %d\n", summary.requests, summary.duration,
		e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50),
		latency:percentile(99)))
	for _, t in ipairs(threads) do
		local r = t:get("refused")
		if r then
			io.write("JDREFUSED " .. r .. "\n")
		end
	end
end
