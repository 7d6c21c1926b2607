/*
 * rules_int: what the rule engine (rules.c) shares with the checks of
 * predicate parameters and the origin's check (rules_check.c) and with the
 * reading of stored rule text (rules_text.c): the one table of predicates,
 * the parameter helpers and the rule node, which is either a jansson value
 * or a node of a compact tree read from stored text. Not for use outside
 * the rules module.
 */
#ifndef SLUICE_RULES_INT_H
#define SLUICE_RULES_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "rules.h"

/* --- the compact tree (rules_text.c) ------------------------------------- */

/* The kinds of a JSON value; RK_NONE for an absent one. */
enum rkind {
	RK_NONE,
	RK_OBJECT,
	RK_ARRAY,
	RK_STRING,
	RK_INTEGER,
	RK_REAL,
	RK_TRUE,
	RK_FALSE,
	RK_NULL,
};

/* A value of the compact tree, in preorder: an object is followed by its
 * members (a key string, then its value), an array by its elements. next is
 * the index after the node's subtree. n: the members of an object, the
 * elements of an array, the length of a string (whose bytes, NUL-ended,
 * are at str in the tree's strings). */
struct rtnode {
	uint32_t kind;
	uint32_t n;
	uint32_t next;
	uint32_t str;
};

/* A tree read from text, reused from one rule to the next (its arrays only
 * grow, under caps): strs is a copy of the text in which each string's
 * closing quote became its NUL. */
struct rtree {
	struct rtnode *nodes;
	size_t n_nodes, cap_nodes;
	char *strs;
	size_t cap_strs;
};

void rules_tree_release(struct rtree *t);

/* --- a rule node: a jansson value or a node of a compact tree ------------ */

struct rnode {
	const json_t *j;       /* the jansson form, or NULL and: */
	const struct rtree *t; /* the compact form */
	uint32_t i;            /* its node */
};

static inline enum rkind
rn_kind(const struct rnode *n)
{
	if (n->t != NULL)
		return (enum rkind)n->t->nodes[n->i].kind;
	if (n->j == NULL)
		return RK_NONE;
	switch (json_typeof(n->j)) {
	case JSON_OBJECT:
		return RK_OBJECT;
	case JSON_ARRAY:
		return RK_ARRAY;
	case JSON_STRING:
		return RK_STRING;
	case JSON_INTEGER:
		return RK_INTEGER;
	case JSON_REAL:
		return RK_REAL;
	case JSON_TRUE:
		return RK_TRUE;
	case JSON_FALSE:
		return RK_FALSE;
	default:
		return RK_NULL;
	}
}

/* The member key of object o into *out (kind RK_NONE when absent); with
 * duplicate keys the last one counts, as in jansson's reading. */
static inline void
rn_get(const struct rnode *o, const char *key, struct rnode *out)
{
	const struct rtnode *v;
	size_t klen;
	uint32_t k, m, hit = 0;

	if (o->t == NULL) {
		out->j = json_object_get(o->j, key);
		out->t = NULL;
		out->i = 0;
		return;
	}
	v = o->t->nodes;
	klen = strlen(key);
	for (m = 0, k = o->i + 1; m < v[o->i].n; m++, k = v[k + 1].next)
		if (v[k].n == klen && o->t->strs[v[k].str] == key[0] &&
		    memcmp(o->t->strs + v[k].str, key, klen) == 0)
			hit = k + 1;
	out->j = NULL;
	out->t = hit != 0 ? o->t : NULL;
	out->i = hit;
}

/* The bytes and length of string s (a kind RK_STRING). */
static inline const char *
rn_string(const struct rnode *s, size_t *len)
{
	if (s->t == NULL) {
		*len = json_string_length(s->j);
		return json_string_value(s->j);
	}
	*len = s->t->nodes[s->i].n;
	return s->t->strs + s->t->nodes[s->i].str;
}

/* The number of elements of array a. */
static inline size_t
rn_size(const struct rnode *a)
{
	return a->t != NULL ? a->t->nodes[a->i].n : json_array_size(a->j);
}

/* Element idx of array a into *out, for idx = 0, 1, ... in turn (*cur
 * keeps the place between calls). */
static inline void
rn_elem(const struct rnode *a, size_t idx, uint32_t *cur, struct rnode *out)
{
	out->t = a->t;
	if (a->t == NULL) {
		out->j = json_array_get(a->j, idx);
		out->i = 0;
		return;
	}
	*cur = idx == 0 ? a->i + 1 : a->t->nodes[*cur].next;
	out->j = NULL;
	out->i = *cur;
}

/* --- predicates ------------------------------------------------------- */

/* A predicate: its name, the check of its parameters (strict: the
 * origin's stricter gate, see rules_check()) and its evaluation. The
 * evaluation runs only on parameters the check accepted. */
struct pred {
	const char *name;
	int (*check)(const struct rnode *rule, const char *type, bool strict,
	             struct err *e);
	int (*eval)(struct rules_ctx *c, const struct rnode *rule,
	            const char *type, bool *out, struct err *e);
};

/* Every predicate, ended by a NULL name (rules.c). */
extern const struct pred rules_preds[];

/* Evaluate rule, either form (rules.c): rules_eval() for a node. */
int rules_eval_node(struct rules_ctx *ctx, const struct rnode *rule, bool *out,
                    struct err *e);

/* The context's compact tree, for rules_eval_text (rules.c). */
struct rtree *rules_ctx_tree(struct rules_ctx *ctx);

/* The string parameter key of rule; NULL in *out when absent and
 * optional. */
int rules_param(const struct rnode *rule, const char *type, const char *key,
                bool required, const char **out, struct err *e);

/* op and version together (required: both must be there); strict: op is
 * one of < <= = >= > != (the origin's gate), else any op debver knows. */
int rules_op_version(const struct rnode *rule, const char *type, bool required,
                     bool strict, const char **op, const char **version,
                     struct err *e);

/* The "path" parameter: absolute, no ".." component. */
int rules_path_param(const struct rnode *rule, const char *type,
                     const char **path, struct err *e);

/* The parameter checks of the table (rules_check.c). */
#define RULES_CHECK_FN(name)                                                   \
	int rules_##name(const struct rnode *rule, const char *type,           \
	                 bool strict, struct err *e)
RULES_CHECK_FN(c_none);
RULES_CHECK_FN(c_os_id);
RULES_CHECK_FN(c_arch);
RULES_CHECK_FN(c_version_fact);
RULES_CHECK_FN(c_path);
RULES_CHECK_FN(c_file_sha256);
RULES_CHECK_FN(c_file_contains);
RULES_CHECK_FN(c_package);
RULES_CHECK_FN(c_update_installed);

#endif
