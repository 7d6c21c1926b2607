-- POST /v1/agent/sync from many computers: each request uses the next
-- token of the file, so consecutive requests are different computers.
--   wrk -s wrk_sync.lua URL -- TOKENS_FILE ANCHOR THREADS
-- ANCHOR "null" asks for a full sync (protocol 1, one answer); otherwise
-- the string is sent as the anchor with protocol 2, exactly the body the
-- agent sends for its periodic check (the no-change incremental sync).
dofile(os.getenv("BENCH_DIR") .. "/wrk_done.lua")

local nthreads = 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

local reqs, n, i, step
function init(args)
	local body
	if args[2] == "null" then
		body = '{"anchor":null}'
	else
		body = '{"anchor":"' .. args[2] .. '","protocol":2}'
	end
	reqs = {}
	for line in io.lines(args[1]) do
		local token = line:match("%S+%s+(%S+)")
		reqs[#reqs + 1] = wrk.format("POST", "/v1/agent/sync", {
			["Authorization"] = "Bearer " .. token,
			["Content-Type"] = "application/json",
		}, body)
	end
	n = #reqs
	step = tonumber(args[3])
	i = tid % n
end

function request()
	local r = reqs[i + 1]
	i = (i + step) % n
	return r
end
