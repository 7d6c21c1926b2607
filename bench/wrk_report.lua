-- POST /v1/agent/report: batches of events, each request from the next
-- computer of the token file, every event with a new event_id made as the
-- agent makes it (agentstate_uuid in src/agent/agentstate.c).
--   wrk -s wrk_report.lua URL -- TOKENS_FILE EVENTS_PER_BATCH THREADS UPDATES SCHEME
-- SCHEME "v7": the agent's ids, RFC 9562 version 7 (48 bits of Unix time
-- in ms, then random bits); "v4": random version 4 UUIDs, what agents
-- before the time-ordered ids sent.
dofile(os.getenv("BENCH_DIR") .. "/wrk_done.lua")

local nthreads = 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

local headers, n, i, step, per, nupd, seq, scheme, t0, clock0
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
	scheme = args[5]
	i = tid % n
	seq = 0
	math.randomseed(os.time() * 1000 + tid)
	t0 = os.time() * 1000
	clock0 = os.clock()
end

local function r16() return math.random(0, 0xffff) end

local function event_id()
	if scheme == "v4" then
		return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
			r16(), r16(), r16(), math.random(0, 0xfff),
			0x8000 + math.random(0, 0x3fff), r16(), r16(), r16())
	end
	-- Milliseconds since the epoch, advancing with this thread's clock.
	local ms = t0 + math.floor((os.clock() - clock0) * 1000)
	local hi = math.floor(ms / 0x1000000)
	local lo = ms % 0x1000000
	local h = string.format("%06x%06x", hi, lo)
	return string.format("%s-%s-7%03x-%04x-%04x%04x%04x",
		h:sub(1, 8), h:sub(9, 12), math.random(0, 0xfff),
		0x8000 + math.random(0, 0x3fff), r16(), r16(), r16())
end

function request()
	local ev = {}
	for k = 1, per do
		seq = seq + 1
		ev[k] = string.format(
			'{"event_id":"%s",' ..
			'"id":"00000000-0000-4000-8000-%012x","revision":1,' ..
			'"time":"2026-11-24T12:00:00Z","kind":"install",' ..
			'"result":"success","exit_code":0,' ..
			'"output":"Setting up bpkg (1.9.1-1) ..."}',
			event_id(), seq % nupd)
	end
	local h = headers[i + 1]
	i = (i + step) % n
	return wrk.format("POST", "/v1/agent/report", h,
		'{"states":[],"events":[' .. table.concat(ev, ",") .. ']}')
end
