-- Shared by the benchmark wrk scripts: wrk's summary as one line of
-- shell assignments that bench/lib.sh (run_wrk) reads.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d bytes_read=%d " ..
		"err_connect=%d err_read=%d err_write=%d err_status=%d " ..
		"err_timeout=%d p50_us=%d p99_us=%d\n",
		summary.requests, summary.duration, summary.bytes,
		e.connect, e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(99)))
end
