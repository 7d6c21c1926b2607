/*
 * fuzz_rules: applicability rule trees from JSON: the origin's strict
 * check (rules_check) and the agent's evaluation (rules_eval) against an
 * empty root.
 */
#include "fuzz_util.h"
#include "rules.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules_ctx *ctx;
	struct err e;
	json_t *rule;
	bool r;

	if (ctx == NULL && rules_ctx_new(&ctx, fuzz_dir(), &e) != SL_OK)
		abort();
	rule = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	                  NULL);
	if (rule == NULL)
		return 0;
	(void)rules_check(rule, "rule", &e);
	(void)rules_eval(ctx, rule, &r, &e);
	json_decref(rule);
	return 0;
}
