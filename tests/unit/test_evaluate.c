/* Unit tests for the agent's evaluation (evaluate.c) on a real local
 * state, real signed documents and a test root: states from the rules,
 * supersedence, prerequisites and install order, refused documents (bad
 * signature, a valid document under another update's id), unknown
 * predicates, uninstall approvals, update_installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "fsx.h"
#include "sign.h"

/* Ids in sorted order = scan order. */
#define ID(n) "00000000-0000-4000-8000-0000000000" #n

struct fx {
	char dir[64], state[96], root[96];
	struct agentcfg cfg;
	struct agent a;
	struct sign_key key, other;
	struct as_entry ents[32];
	size_t n;
};

static struct fx *F;

static json_t *
rule_file(const char *path)
{
	return json_pack("{s:s, s:s}", "type", "file_exists", "path", path);
}

/* Add a view entry for an update signed by k (the document claims
 * doc_id); installed/installable are rule trees (references stolen). */
static void
entry(const char *id, const char *doc_id, const char *action, json_t *installed,
      json_t *installable, const char *supersedes, const char *prereq,
      const struct sign_key *k)
{
	struct as_entry *en = &F->ents[F->n++];
	json_t *doc, *env = NULL, *sup = json_array(), *pre = json_array();
	struct err e;

	if (supersedes)
		json_array_append_new(sup, json_string(supersedes));
	if (prereq)
		json_array_append_new(pre, json_string(prereq));
	doc = json_pack(
	        "{s:s, s:i, s:s, s:s, s:s, s:s, s:{s:o, s:o}, "
	        "s:{s:s, s:[s]}, s:[], s:o, s:o}",
	        "id", doc_id, "revision", 1, "title", id, "classification",
	        "security", "product", "Test", "release_date", "2026-11-01",
	        "applicability", "is_installed", installed, "is_installable",
	        installable, "install", "handler", "script", "arguments",
	        "x.sh", "files", "supersedes", sup, "prerequisites", pre);
	assert_non_null(doc);
	assert_int_equal(sign_envelope(&env, doc, k, &e), SL_OK);
	memset(en, 0, sizeof(*en));
	snprintf(en->id, sizeof(en->id), "%s", id);
	en->revision = 1;
	snprintf(en->action, sizeof(en->action), "%s", action);
	en->document = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	json_decref(doc);
}

static int
setup(void **state)
{
	struct err e;
	char p[160];

	F = calloc(1, sizeof(*F));
	snprintf(F->dir, sizeof(F->dir), "/tmp/sluice-evaluate-XXXXXX");
	if (F == NULL || mkdtemp(F->dir) == NULL)
		return -1;
	snprintf(F->state, sizeof(F->state), "%s/state", F->dir);
	snprintf(F->root, sizeof(F->root), "%s/root", F->dir);
	snprintf(p, sizeof(p), "%s/opt/installed", F->root);
	if (fsx_mkdirs(p, 0755, &e) != SL_OK ||
	    sign_key_generate(&F->key, &e) != SL_OK ||
	    sign_key_generate(&F->other, &e) != SL_OK ||
	    agentcfg_init(&F->cfg, &e) != SL_OK ||
	    agentcfg_set(&F->cfg, "state_dir", F->state, &e) != SL_OK ||
	    agentcfg_set(&F->cfg, "root", F->root, &e) != SL_OK ||
	    sign_keyring_add(&F->cfg.keyring, &F->key, &e) != SL_OK ||
	    agent_open(&F->a, &F->cfg, &e) != SL_OK)
		return -1;
	*state = F;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	agent_close(&F->a);
	agentcfg_free(&F->cfg);
	agentstate_entries_free(NULL, 0);
	for (size_t i = 0; i < F->n; i++)
		free(F->ents[i].document);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", F->dir);
	free(F);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct det_update *
find(struct detection *d, const char *id)
{
	const struct det_update *x = detection_find(d, id);

	assert_non_null(x);
	return x;
}

static void
expect(struct detection *d, const char *id, const char *state,
       const char *detail)
{
	const struct det_update *x = find(d, id);

	assert_string_equal(x->state, state);
	if (detail == NULL)
		assert_null(x->detail);
	else
		assert_string_equal(x->detail ? x->detail : "(null)", detail);
}

static size_t
position(struct detection *d, const char *id)
{
	const struct det_update *x = find(d, id);

	for (size_t i = 0; i < d->n; i++)
		if (&d->ups[d->order[i]] == x)
			return i;
	fail();
	return 0;
}

static void
test_states(void **state)
{
	struct detection *d = NULL;
	size_t qs = 0, qe = 0;
	struct err e;

	(void)state;
	/* 01 installed (its file exists); 02 not installable. */
	entry(ID(01), ID(01), "install", rule_file("/opt/installed"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	entry(ID(02), ID(02), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "false"), NULL, NULL, &F->key);
	/* 03 superseded by 04 (both needed): not offered. */
	entry(ID(03), ID(03), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	entry(ID(04), ID(04), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), ID(03), NULL, &F->key);
	/* 05 superseded by 06, but installed: it stays installed. */
	entry(ID(05), ID(05), "install", rule_file("/opt/installed"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	entry(ID(06), ID(06), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), ID(05), NULL, &F->key);
	/* 07 needs 08 (in the view, needed): installed after it. */
	entry(ID(07), ID(07), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, ID(08), &F->key);
	entry(ID(08), ID(08), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	/* 09 needs 99 (not in the view, not installed): waits; 10 needs 09:
	 * waits too (chain). */
	entry(ID(09), ID(09), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, ID(99), &F->key);
	entry(ID(10), ID(10), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, ID(09), &F->key);
	/* 11 signed by a key the agent does not trust. */
	entry(ID(11), ID(11), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->other);
	/* 12: a valid document of update 08 served under id 12. */
	entry(ID(12), ID(08), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	/* 13 approved for removal, not installed. */
	entry(ID(13), ID(13), "uninstall", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	/* 14 an unknown predicate. */
	entry(ID(14), ID(14), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "registry_key"), NULL, NULL, &F->key);
	/* 15 installable once 01 is installed (update_installed). */
	entry(ID(15), ID(15), "install", rule_file("/opt/no"),
	      json_pack("{s:s, s:s}", "type", "update_installed", "id", ID(01)),
	      NULL, NULL, &F->key);

	assert_int_equal(agentstate_view_apply(F->a.st, true, F->ents, F->n,
	                                       NULL, 0, "1", &e),
	                 SL_OK);
	assert_int_equal(agent_evaluate(&d, &F->a, &e), SL_OK);
	assert_int_equal(d->n, 15);
	expect(d, ID(01), "installed", NULL);
	expect(d, ID(02), "not-applicable", NULL);
	expect(d, ID(03), "not-applicable", "superseded by " ID(04));
	expect(d, ID(04), "needed", NULL);
	expect(d, ID(05), "installed", NULL);
	expect(d, ID(06), "needed", NULL);
	expect(d, ID(07), "needed", NULL);
	expect(d, ID(08), "needed", NULL);
	assert_true(position(d, ID(08)) < position(d, ID(07)));
	expect(d, ID(09), "needed", "waiting for prerequisite " ID(99));
	assert_true(find(d, ID(09))->blocked);
	expect(d, ID(10), "needed", "waiting for prerequisite " ID(09));
	expect(d, ID(11), "not-applicable",
	       "refused: no signature by a trusted key");
	expect(d, ID(12), "not-applicable",
	       "refused: the signed document is " ID(
	               08) " revision 1, not "
	                   "revision 1 of this update");
	expect(d, ID(13), "not-applicable",
	       "approved for removal; not installed");
	expect(d, ID(14), "not-applicable",
	       "is_installable: unknown predicate 'registry_key'");
	expect(d, ID(15), "needed", NULL);
	assert_false(agent_deadline_due(d, 2000000000));
	detection_free(d);

	/* Two refusals were queued as verify events, once: evaluating
	 * again adds none and queues no unchanged state. */
	assert_int_equal(agentstate_queue_count(F->a.st, &qs, &qe, &e), SL_OK);
	assert_int_equal(qe, 2);
	assert_int_equal(qs, 15);
	assert_int_equal(agent_evaluate(&d, &F->a, &e), SL_OK);
	assert_int_equal(d->n_queued, 0);
	detection_free(d);
	assert_int_equal(agentstate_queue_count(F->a.st, &qs, &qe, &e), SL_OK);
	assert_int_equal(qe, 2);

	/* Trusting the other key too accepts 11 (checked again). */
	assert_int_equal(sign_keyring_add(&F->cfg.keyring, &F->other, &e),
	                 SL_OK);
	assert_int_equal(agent_evaluate(&d, &F->a, &e), SL_OK);
	expect(d, ID(11), "needed", NULL);
	assert_int_equal(d->n_queued, 1);
	detection_free(d);
}

static void
test_deadline(void **state)
{
	struct detection *d = NULL;
	struct err e;

	(void)state;
	entry(ID(01), ID(01), "install", rule_file("/opt/no"),
	      json_pack("{s:s}", "type", "true"), NULL, NULL, &F->key);
	F->ents[0].deadline = 1000;
	assert_int_equal(agentstate_view_apply(F->a.st, true, F->ents, F->n,
	                                       NULL, 0, "1", &e),
	                 SL_OK);
	assert_int_equal(agent_evaluate(&d, &F->a, &e), SL_OK);
	assert_true(agent_deadline_due(d, 1000));
	assert_false(agent_deadline_due(d, 999));
	detection_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
	};

	log_init("test", LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
