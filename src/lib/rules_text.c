/*
 * rules_text: evaluating a rule tree stored as JSON text (see rules.h).
 *
 * The agent keeps every update's rule trees as compact JSON and evaluates
 * tens of thousands of them per detection: building a jansson tree per rule
 * (a hash table per object, an allocation per value) was most of a
 * detection's time. Rule text is plain (objects, arrays, ASCII strings
 * without escapes, true/false/null, integers), so it is read here into a
 * compact tree (struct rtree, rules_int.h: one array of nodes in preorder
 * and a copy of the text holding the strings) that the context keeps from one
 * rule to the next, and the evaluator walks that tree through the same code as
 * a jansson one. Anything else (escapes, other bytes than ASCII, fractions,
 * malformed text) goes to the reference reading, rules_eval_text_json,
 * which reads plain text into a jansson tree and the rest through
 * json_loads, which also gives the error message.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

#define TEXT_DEPTH_MAX (2 * RULES_MAX_DEPTH + 8)
#define TREE_TEXT_MAX  (1u << 20) /* longer text: the reference reading */

static json_t *value(const char **pp, int depth);

static void
skip_ws(const char **pp)
{
	while (**pp == ' ' || **pp == '\n' || **pp == '\t' || **pp == '\r')
		(*pp)++;
}

/* A string without escapes: its bytes in [*s, *s + *len); NULL-safe. */
static int
plain_string(const char **pp, const char **s, size_t *len)
{
	const char *p = *pp;

	if (*p != '"')
		return -1;
	*s = ++p;
	for (; *p != '"'; p++)
		if (*p == '\0' || *p == '\\' || (unsigned char)*p < 0x20)
			return -1;
	*len = (size_t)(p - *s);
	*pp = p + 1;
	return 0;
}

static json_t *
object(const char **pp, int depth)
{
	json_t *o = json_object(), *v;
	const char *k;
	size_t klen;

	(*pp)++; /* { */
	skip_ws(pp);
	if (**pp == '}') {
		(*pp)++;
		return o;
	}
	while (o != NULL) {
		skip_ws(pp);
		if (plain_string(pp, &k, &klen) != 0)
			break;
		skip_ws(pp);
		if (*(*pp)++ != ':' || (v = value(pp, depth + 1)) == NULL)
			break;
		if (json_object_setn_new(o, k, klen, v) != 0)
			break;
		skip_ws(pp);
		if (**pp == '}') {
			(*pp)++;
			return o;
		}
		if (*(*pp)++ != ',')
			break;
	}
	json_decref(o);
	return NULL;
}

static json_t *
array(const char **pp, int depth)
{
	json_t *a = json_array(), *v;

	(*pp)++; /* [ */
	skip_ws(pp);
	if (**pp == ']') {
		(*pp)++;
		return a;
	}
	while (a != NULL) {
		if ((v = value(pp, depth + 1)) == NULL ||
		    json_array_append_new(a, v) != 0)
			break;
		skip_ws(pp);
		if (**pp == ']') {
			(*pp)++;
			return a;
		}
		if (*(*pp)++ != ',')
			break;
	}
	json_decref(a);
	return NULL;
}

/* An integer (no leading zeros, no fraction or exponent, within long
 * long) at p: its value in *v and the byte after it, or NULL. */
static const char *
scan_integer(const char *p, long long *v)
{
	bool neg = *p == '-';

	*v = 0;
	p += neg;
	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*v > (LLONG_MAX - (*p - '0')) / 10)
			return NULL;
		*v = *v * 10 + (*p - '0');
	}
	if (*p == '.' || *p == 'e' || *p == 'E')
		return NULL;
	if (neg)
		*v = -*v;
	return p;
}

static json_t *
integer(const char **pp)
{
	const char *p;
	long long v;

	if ((p = scan_integer(*pp, &v)) == NULL)
		return NULL;
	*pp = p;
	return json_integer(v);
}

static json_t *
word(const char **pp, const char *w, json_t *v)
{
	size_t n = strlen(w);

	if (strncmp(*pp, w, n) != 0)
		return NULL;
	*pp += n;
	return v;
}

static json_t *
value(const char **pp, int depth)
{
	const char *s;
	size_t len;

	if (depth > TEXT_DEPTH_MAX)
		return NULL;
	skip_ws(pp);
	switch (**pp) {
	case '{':
		return object(pp, depth);
	case '[':
		return array(pp, depth);
	case '"':
		return plain_string(pp, &s, &len) == 0 ? json_stringn(s, len)
		                                       : NULL;
	case 't':
		return word(pp, "true", json_true());
	case 'f':
		return word(pp, "false", json_false());
	case 'n':
		return word(pp, "null", json_null());
	default:
		return integer(pp);
	}
}

/* The tree of text, or NULL when the quick reading does not apply. */
static json_t *
quick_load(const char *text)
{
	const char *p = text;
	json_t *v = value(&p, 0);

	if (v == NULL)
		return NULL;
	skip_ws(&p);
	if (*p != '\0') {
		json_decref(v);
		return NULL;
	}
	return v;
}

int
rules_eval_text_json(struct rules_ctx *ctx, const char *text, bool *out,
                     struct err *e)
{
	json_error_t je;
	json_t *rule;
	int rc;

	if (text == NULL)
		return err_set(e, SL_EPARSE, "stored rule: missing");
	if ((rule = quick_load(text)) == NULL &&
	    (rule = json_loads(text, 0, &je)) == NULL)
		return err_set(e, SL_EPARSE, "stored rule: %s", je.text);
	rc = rules_eval(ctx, rule, out, e);
	json_decref(rule);
	return rc;
}

/* --- the compact tree ------------------------------------------------------
 * The same grammar as quick_load above, which it must accept no more of
 * (what it refuses goes to rules_eval_text_json), building nodes instead
 * of jansson values. The text is copied into the tree's strings once and
 * read there: a string's closing quote becomes its NUL. The room is made
 * beforehand: text of n bytes has at most n nodes (each takes at least
 * one byte). */

struct reader {
	struct rtree *t;
	char *p; /* in t->strs */
};

static bool tvalue(struct reader *r, int depth);

static void
tskip_ws(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r')
		r->p++;
}

/* The bytes a plain string may hold: ASCII from the space on, without the
 * quote and the backslash. */
static const unsigned char plain_byte[256] = {
        [' '] = 1,  ['!'] = 1, ['#'] = 1, ['$'] = 1,  ['%'] = 1, ['&'] = 1,
        ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1,  ['+'] = 1, [','] = 1,
        ['-'] = 1,  ['.'] = 1, ['/'] = 1, ['0'] = 1,  ['1'] = 1, ['2'] = 1,
        ['3'] = 1,  ['4'] = 1, ['5'] = 1, ['6'] = 1,  ['7'] = 1, ['8'] = 1,
        ['9'] = 1,  [':'] = 1, [';'] = 1, ['<'] = 1,  ['='] = 1, ['>'] = 1,
        ['?'] = 1,  ['@'] = 1, ['A'] = 1, ['B'] = 1,  ['C'] = 1, ['D'] = 1,
        ['E'] = 1,  ['F'] = 1, ['G'] = 1, ['H'] = 1,  ['I'] = 1, ['J'] = 1,
        ['K'] = 1,  ['L'] = 1, ['M'] = 1, ['N'] = 1,  ['O'] = 1, ['P'] = 1,
        ['Q'] = 1,  ['R'] = 1, ['S'] = 1, ['T'] = 1,  ['U'] = 1, ['V'] = 1,
        ['W'] = 1,  ['X'] = 1, ['Y'] = 1, ['Z'] = 1,  ['['] = 1, [']'] = 1,
        ['^'] = 1,  ['_'] = 1, ['`'] = 1, ['a'] = 1,  ['b'] = 1, ['c'] = 1,
        ['d'] = 1,  ['e'] = 1, ['f'] = 1, ['g'] = 1,  ['h'] = 1, ['i'] = 1,
        ['j'] = 1,  ['k'] = 1, ['l'] = 1, ['m'] = 1,  ['n'] = 1, ['o'] = 1,
        ['p'] = 1,  ['q'] = 1, ['r'] = 1, ['s'] = 1,  ['t'] = 1, ['u'] = 1,
        ['v'] = 1,  ['w'] = 1, ['x'] = 1, ['y'] = 1,  ['z'] = 1, ['{'] = 1,
        ['|'] = 1,  ['}'] = 1, ['~'] = 1, [0x7f] = 1,
};

static uint32_t
tnode(struct reader *r, enum rkind kind)
{
	uint32_t at = (uint32_t)r->t->n_nodes++;

	r->t->nodes[at] = (struct rtnode){(uint32_t)kind, 0, at + 1, 0};
	return at;
}

/* A string of ASCII without escapes or control characters. */
static bool
tstring(struct reader *r)
{
	char *p = r->p, *s;
	struct rtnode *nd;

	if (*p != '"')
		return false;
	s = ++p;
	while (plain_byte[(unsigned char)*p])
		p++;
	if (*p != '"')
		return false;
	*p = '\0';
	nd = &r->t->nodes[tnode(r, RK_STRING)];
	nd->n = (uint32_t)(p - s);
	nd->str = (uint32_t)(s - r->t->strs);
	r->p = p + 1;
	return true;
}

static bool
tobject(struct reader *r, int depth)
{
	uint32_t at = tnode(r, RK_OBJECT), n = 0;

	r->p++; /* { */
	tskip_ws(r);
	if (*r->p != '}') {
		for (;;) {
			tskip_ws(r);
			if (!tstring(r))
				return false;
			tskip_ws(r);
			if (*r->p++ != ':' || !tvalue(r, depth + 1))
				return false;
			n++;
			tskip_ws(r);
			if (*r->p == '}')
				break;
			if (*r->p++ != ',')
				return false;
		}
	}
	r->p++; /* } */
	r->t->nodes[at].n = n;
	r->t->nodes[at].next = (uint32_t)r->t->n_nodes;
	return true;
}

static bool
tarray(struct reader *r, int depth)
{
	uint32_t at = tnode(r, RK_ARRAY), n = 0;

	r->p++; /* [ */
	tskip_ws(r);
	if (*r->p != ']') {
		for (;;) {
			if (!tvalue(r, depth + 1))
				return false;
			n++;
			tskip_ws(r);
			if (*r->p == ']')
				break;
			if (*r->p++ != ',')
				return false;
		}
	}
	r->p++; /* ] */
	r->t->nodes[at].n = n;
	r->t->nodes[at].next = (uint32_t)r->t->n_nodes;
	return true;
}

/* An integer as quick_load's integer() takes it. */
static bool
tinteger(struct reader *r)
{
	const char *p;
	long long v;

	if ((p = scan_integer(r->p, &v)) == NULL)
		return false;
	r->p += p - r->p;
	tnode(r, RK_INTEGER);
	return true;
}

static bool
tword(struct reader *r, const char *w, size_t n, enum rkind kind)
{
	if (strncmp(r->p, w, n) != 0)
		return false;
	r->p += n;
	tnode(r, kind);
	return true;
}

static bool
tvalue(struct reader *r, int depth)
{
	if (depth > TEXT_DEPTH_MAX)
		return false;
	tskip_ws(r);
	switch (*r->p) {
	case '{':
		return tobject(r, depth);
	case '[':
		return tarray(r, depth);
	case '"':
		return tstring(r);
	case 't':
		return tword(r, "true", 4, RK_TRUE);
	case 'f':
		return tword(r, "false", 5, RK_FALSE);
	case 'n':
		return tword(r, "null", 4, RK_NULL);
	default:
		return tinteger(r);
	}
}

/* Room for text of len bytes; false over the cap or out of memory. */
static bool
tree_reserve(struct rtree *t, size_t len)
{
	size_t need = len + 1;
	struct rtnode *nodes;
	char *strs;

	if (len > TREE_TEXT_MAX)
		return false;
	if (need > t->cap_nodes) {
		if ((nodes = reallocarray(t->nodes, need, sizeof(*nodes))) ==
		    NULL)
			return false;
		t->nodes = nodes;
		t->cap_nodes = need;
	}
	if (need > t->cap_strs) {
		if ((strs = realloc(t->strs, need)) == NULL)
			return false;
		t->strs = strs;
		t->cap_strs = need;
	}
	return true;
}

void
rules_tree_release(struct rtree *t)
{
	free(t->nodes);
	free(t->strs);
	memset(t, 0, sizeof(*t));
}

int
rules_eval_text(struct rules_ctx *ctx, const char *text, bool *out,
                struct err *e)
{
	struct rtree *t;
	struct reader r;
	struct rnode root;
	size_t len;

	if (text == NULL)
		return err_set(e, SL_EPARSE, "stored rule: missing");
	t = rules_ctx_tree(ctx);
	len = strlen(text);
	if (!tree_reserve(t, len))
		return rules_eval_text_json(ctx, text, out, e);
	memcpy(t->strs, text, len + 1);
	t->n_nodes = 0;
	r = (struct reader){t, t->strs};
	if (!tvalue(&r, 0))
		return rules_eval_text_json(ctx, text, out, e);
	tskip_ws(&r);
	if (*r.p != '\0')
		return rules_eval_text_json(ctx, text, out, e);
	root = (struct rnode){NULL, t, 0};
	return rules_eval_node(ctx, &root, out, e);
}
