-- POST /v1/agent/report: batches of events, each request from the next
-- computer of the token file, every event with a new event_id.
--   wrk -s wrk_report.lua URL -- TOKENS_FILE EVENTS_PER_BATCH THREADS UPDATES RUN
-- (RUN, a small number, keeps event ids of separate runs apart)
dofile(os.getenv("BENCH_DIR") .. "/wrk_done.lua")

local nthreads = 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

local headers, n, i, step, per, nupd, seq, run
function init(args)
	headers = {}
	for line in io.lines(args[1]) do
		local token = line:match("%S+%s+(%S+)")
		headers[#headers + 1] = {
			["Authorization"] = "Bearer " .. token,
			["Content-Type"] = "application/json",
		}
	end
	n = #headers
	per = tonumber(args[2])
	step = tonumber(args[3])
	nupd = tonumber(args[4])
	i = tid % n
	seq = 0
	run = tonumber(args[5])
end

function request()
	local ev = {}
	for k = 1, per do
		seq = seq + 1
		ev[k] = string.format(
			'{"event_id":"%04x%04x-0000-4000-8000-%012x",' ..
			'"id":"00000000-0000-4000-8000-%012x","revision":1,' ..
			'"time":"2026-11-24T12:00:00Z","kind":"install",' ..
			'"result":"success","exit_code":0,' ..
			'"output":"Setting up bpkg (1.9.1-1) ..."}',
			run, tid, seq, seq % nupd)
	end
	local h = headers[i + 1]
	i = (i + step) % n
	return wrk.format("POST", "/v1/agent/report", h,
		'{"states":[],"events":[' .. table.concat(ev, ",") .. ']}')
end
