-- POST /v1/agent/report: batches of events, each request from the next
-- computer of the token file, every event with a new event_id made as the
-- agent makes it (agentstate_uuid in src/agent/agentstate.c).
--   wrk -s wrk_report.lua URL -- TOKENS_FILE EVENTS_PER_BATCH THREADS UPDATES SCHEME [states]
-- "states": each report also carries the state of every update it has an
-- event for (installed, revision 1), as an agent's report after installing
-- does; without it the reports carry events only.
-- SCHEME "v7": the agent's ids, RFC 9562 version 7 (48 bits of Unix time
-- in ms, then random bits); "v4": random version 4 UUIDs, what agents
-- before the time-ordered ids sent.
dofile(os.getenv("BENCH_DIR") .. "/wrk_done.lua")

local nthreads = 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

local headers, n, i, step, per, nupd, seq, scheme, t0, clock0, with_states
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
	with_states = args[6] == "states"
	i = tid % n
	seq = 0
	math.randomseed(os.time() * 1000 + tid)
	t0 = os.time() * 1000
	clock0 = os.clock()
end

-- The agent's ids, made cheaply: this script shares the two cores with
-- the server it measures, so a report is one table.concat over pieces
-- looked up in precomputed tables (hex digits; each update's id with the
-- rest of the event): no string is made per event or per id, only the
-- body itself. The random bits are as many as the agent's (12 + 14 + 48);
-- only how they are drawn differs.
local random = math.random
local hex4, hex3, tails, stails = {}, {}, {}, {}
for v = 0, 0xffff do hex4[v] = string.format("%04x", v) end
for v = 0, 0xfff do hex3[v] = string.format("%03x", v) end

local function v7_prefix()
	-- Milliseconds since the epoch, advancing with this thread's clock.
	local ms = t0 + math.floor((os.clock() - clock0) * 1000)
	local h = string.format("%06x%06x", math.floor(ms / 0x1000000),
		ms % 0x1000000)
	return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-7"
end

local tail = '","revision":1,"time":"2026-11-24T12:00:00Z",' ..
	'"kind":"install","result":"success","exit_code":0,' ..
	'"output":"Setting up bpkg (1.9.1-1) ..."}'

-- 10 pieces per event (15 with version 4 ids), the body's opening and
-- closing around them.
local parts = {}

function request()
	if #tails == 0 then
		for u = 0, nupd - 1 do
			tails[u] = string.format(
				'","id":"00000000-0000-4000-8000-%012x', u) .. tail
			stails[u] = string.format(
				'{"id":"00000000-0000-4000-8000-%012x",' ..
				'"revision":1,"state":"installed"}', u)
		end
	end
	-- One timestamp per report: the agent queues a report's events
	-- within moments of each other.
	local head = '{"event_id":"' .. v7_prefix()
	local j = 1
	parts[1] = '{"states":[],"events":['
	if with_states then
		-- the updates of this report's events (seq + 1 .. seq + per)
		local st = {}
		for k = 1, per do st[k] = stails[(seq + k) % nupd] end
		parts[1] = '{"states":[' .. table.concat(st, ",") ..
			'],"events":['
	end
	for k = 1, per do
		seq = seq + 1
		if scheme == "v4" then
			parts[j + 1] = '{"event_id":"'
			parts[j + 2] = hex4[random(0, 0xffff)]
			parts[j + 3] = hex4[random(0, 0xffff)]
			parts[j + 4] = "-"
			parts[j + 5] = hex4[random(0, 0xffff)]
			parts[j + 6] = "-4"
			j = j + 6
		else
			parts[j + 1] = head
			j = j + 1
		end
		parts[j + 1] = hex3[random(0, 0xfff)]
		parts[j + 2] = "-"
		parts[j + 3] = hex4[0x8000 + random(0, 0x3fff)]
		parts[j + 4] = "-"
		parts[j + 5] = hex4[random(0, 0xffff)]
		parts[j + 6] = hex4[random(0, 0xffff)]
		parts[j + 7] = hex4[random(0, 0xffff)]
		parts[j + 8] = tails[seq % nupd]
		parts[j + 9] = k < per and "," or "]}"
		j = j + 9
	end
	local h = headers[i + 1]
	i = (i + step) % n
	return wrk.format("POST", "/v1/agent/report", h,
		table.concat(parts, "", 1, j))
end
