-- wrk: POST /v1/cases/leads, each request a new lead (its own subject and ID
-- number). Set by bench/registrations.sh: TENANT and TOKEN in the environment.
local n = 0
local tenant = os.getenv("TENANT")
local token = os.getenv("TOKEN")
local units = {"ag1", "ag2", "ag3", "ag4", "ag5", "of1", "tw1"}
local sources = {"letters_visits", "inspection_tour", "audit", "judicial", "other_body"}
local seed = math.random(1000, 9999)

request = function()
	n = n + 1
	local body = string.format(
		'{"tenant":"%s","unit":"%s","source":"%s","received":"%s","subject_name":"某%d-%d",' ..
		'"subject_id_number":"510681%04d%08d","allegation":"收受礼金 %d","reporter_name":"举报人%d"}',
		tenant, units[n % #units + 1], sources[n % #sources + 1], os.date("!%Y-%m-%d"),
		seed, n, seed, n, n, n)
	return wrk.format("POST", "/v1/cases/leads", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}, body)
end
