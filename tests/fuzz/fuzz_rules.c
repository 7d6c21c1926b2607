/*
 * fuzz_rules: applicability rule trees from JSON: the origin's strict
 * check (rules_check) and the agent's evaluation (rules_eval) against an
 * empty root; and the input as stored text: the compact reading
 * (rules_eval_text) must answer exactly as the reference one
 * (rules_eval_text_json).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "rules.h"

static void
compare_text(struct rules_ctx *ctx, const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct err e1, e2;
	bool o1 = false, o2 = false;
	int r1, r2;

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	err_clear(&e1);
	err_clear(&e2);
	r1 = rules_eval_text(ctx, text, &o1, &e1);
	r2 = rules_eval_text_json(ctx, text, &o2, &e2);
	if (r1 != r2 || o1 != o2 || strcmp(e1.msg, e2.msg) != 0)
		abort();
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rules_ctx *ctx;
	struct err e;
	json_t *rule;
	bool r;

	if (ctx == NULL && rules_ctx_new(&ctx, fuzz_dir(), &e) != SL_OK)
		abort();
	compare_text(ctx, data, size);
	rule = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	                  NULL);
	if (rule == NULL)
		return 0;
	(void)rules_check(rule, "rule", &e);
	(void)rules_eval(ctx, rule, &r, &e);
	json_decref(rule);
	return 0;
}
