/*
 * fuzz_config: the configuration files: sluiced.conf (config.c) when the
 * first byte is even, the agent's agent.conf (agentcfg.c) when odd.
 */
#include "agentcfg.h"
#include "config.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_config cfg;
	struct agentcfg ac;
	const char *path;
	struct err e;

	if (size < 1)
		return 0;
	path = fuzz_file("conf", data + 1, size - 1);
	if ((data[0] & 1) == 0) {
		if (config_defaults(&cfg, &e) != SL_OK)
			abort();
		(void)config_load_file(&cfg, path, &e);
		config_free(&cfg);
	} else {
		if (agentcfg_init(&ac, &e) != SL_OK)
			abort();
		(void)agentcfg_load(&ac, path, &e);
		agentcfg_free(&ac);
	}
	return 0;
}
