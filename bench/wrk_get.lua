-- Plain GET of the URL given to wrk (content serving).
dofile(os.getenv("BENCH_DIR") .. "/wrk_done.lua")
