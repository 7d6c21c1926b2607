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

-- The agent's ids, made with few calls: this script shares the two cores
-- with the server it measures, and string.format with many arguments is
-- what its Lua spends its time on. The random bits are as many as the
-- agent's (12 + 14 + 48); only how they are drawn differs.
local function v4_id()
	return string.format("%08x-%04x-4%03x-%04x-%08x%04x",
		math.random(0, 0xffffffff), r16(), math.random(0, 0xfff),
		0x8000 + math.random(0, 0x3fff), math.random(0, 0xffffffff), r16())
end

local function v7_prefix()
	-- Milliseconds since the epoch, advancing with this thread's clock.
	local ms = t0 + math.floor((os.clock() - clock0) * 1000)
	local h = string.format("%06x%06x", math.floor(ms / 0x1000000),
		ms % 0x1000000)
	return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-7"
end

local tail = '","id":"00000000-0000-4000-8000-%012x","revision":1,' ..
	'"time":"2026-11-24T12:00:00Z","kind":"install",' ..
	'"result":"success","exit_code":0,' ..
	'"output":"Setting up bpkg (1.9.1-1) ..."}'
local fmt7 = '{"event_id":"%s%03x-%04x-%08x%04x' .. tail
local fmt4 = '{"event_id":"%s' .. tail

function request()
	local ev = {}
	-- One timestamp per report: the agent queues a report's events
	-- within moments of each other.
	local pre = v7_prefix()
	for k = 1, per do
		seq = seq + 1
		if scheme == "v4" then
			ev[k] = string.format(fmt4, v4_id(), seq % nupd)
		else
			ev[k] = string.format(fmt7, pre, math.random(0, 0xfff),
				0x8000 + math.random(0, 0x3fff),
				math.random(0, 0xffffffff), r16(), seq % nupd)
		end
	end
	local h = headers[i + 1]
	i = (i + step) % n
	return wrk.format("POST", "/v1/agent/report", h,
		'{"states":[],"events":[' .. table.concat(ev, ",") .. ']}')
end
