/*
 * rules: evaluates applicability rule trees (is_installed, is_installable)
 * on the agent against the system under a root directory.
 *
 * A rule is a JSON object: a combinator {"and":[...]}, {"or":[...]},
 * {"not": rule}, or a predicate {"type": NAME, ...}:
 *
 *   {"type":"true"}  {"type":"false"}
 *   {"type":"os_id","id":"debian"}                  os-release ID
 *   {"type":"os_version","op":">=","version":"12"}  VERSION_ID, debver order
 *   {"type":"arch","arch":"amd64"}                  amd64 = x86_64 etc.
 *   {"type":"kernel","op":">=","version":"6.1"}     uname release, debver
 *   {"type":"file_exists","path":"/etc/foo"}
 *   {"type":"file_sha256","path":"/etc/foo","sha256":"<64 hex>"}
 *   {"type":"file_contains","path":"/etc/foo","text":"fixed string"}
 *   {"type":"deb_installed","package":"openssl"[,"op":"<","version":"3"]}
 *   {"type":"rpm_installed","package":"openssl"[,"op":"<","version":"3"]}
 *   {"type":"update_installed","id":"<uuid>"}
 *
 * Ops are those of debver_op_holds ("<" is strict). "and" and "or"
 * short-circuit; an empty "and" is true, an empty "or" false. Nesting is
 * limited to RULES_MAX_DEPTH levels. Unknown keys next to "type" are
 * ignored.
 *
 * Paths in rules are absolute, may not contain ".." components and are
 * resolved under the root. On Linux >= 5.6 they are opened with openat2()
 * and RESOLVE_IN_ROOT, so symlinks (even absolute ones) cannot lead out of
 * the root. Limitation: where openat2() is unavailable (older kernel,
 * seccomp filter) the path is opened relative to the root directory and
 * symlinks inside the tree are followed as the kernel finds them, which
 * may leave the root.
 *
 * A file that is missing (or not a regular file, for file_sha256 and
 * file_contains) makes its predicate false; other I/O errors are errors.
 * A missing dpkg status file means no Debian package is installed.
 * rpm_installed needs rpm on PATH: without it the predicate fails with
 * SL_EUNSUPPORTED "rpm_installed: rpm is not available".
 */
#ifndef SLUICE_RULES_H
#define SLUICE_RULES_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

#define RULES_MAX_DEPTH 32
#define RULES_MAX_TEXT  4096 /* longest file_contains text */

struct rules_ctx;

/* Callback answering "is the update with this id installed?". */
typedef bool (*rules_update_lookup_fn)(void *arg, const char *id);

/* A context for evaluating many rules against the system under root (NULL
 * or "" for "/"). OS facts, the package databases and whether a path
 * exists (file_exists, for the first few thousand paths) are loaded on
 * first use and reused for every later evaluation (so a context sees the
 * system as it was at its first use: make a new one after installing).
 * Not thread-safe. SL_ENOTFOUND / SL_EIO if root is not a directory. Free with
 * rules_ctx_free(). */
int rules_ctx_new(struct rules_ctx **out, const char *root, struct err *e);

void rules_ctx_free(struct rules_ctx *ctx);

/* Set how update_installed is answered; without it that predicate fails
 * with SL_EUNSUPPORTED. */
void rules_ctx_set_update_lookup(struct rules_ctx *ctx,
                                 rules_update_lookup_fn fn, void *arg);

/* Evaluate rule. SL_OK with *out set; otherwise *out is untouched and:
 * SL_EUNSUPPORTED for an unknown predicate ("unknown predicate 'foo'") or
 * one that cannot be evaluated here (rpm missing), SL_EINVAL for a
 * malformed rule or bad parameters ("deb_installed: missing package"),
 * SL_EIO/SL_ETOOBIG/... when a fact cannot be read. Errors inside
 * combinators are prefixed with their position ("and[1]: not: ..."). The
 * caller treats any error as "not applicable" and logs the message. */
int rules_eval(struct rules_ctx *ctx, const json_t *rule, bool *out,
               struct err *e);

/* rules_eval of a rule stored as JSON text (rules_text.c): the same
 * answers, and SL_EPARSE "stored rule: <why>" when text is NULL or not
 * JSON. Plain text (ASCII, no escapes, integers only: what the agent
 * stores) is read into a compact tree the context keeps and reuses, with
 * no allocation per rule; anything else is left to rules_eval_text_json,
 * so the answers and messages are always that function's. */
int rules_eval_text(struct rules_ctx *ctx, const char *text, bool *out,
                    struct err *e);

/* The reference reading of rules_eval_text: the text into a jansson tree
 * (a reader of its own for plain text, json_loads for the rest) and
 * rules_eval on it. Slower; rules_eval_text falls back to it, and the
 * tests compare the two. */
int rules_eval_text_json(struct rules_ctx *ctx, const char *text, bool *out,
                         struct err *e);

/* The origin's gate: check rule's shape and every predicate's parameters
 * without evaluating anything, more strictly than rules_eval() (op must be
 * one of < <= = >= > !=; update_installed needs a lowercase UUID). path
 * names the rule ("applicability.is_installable"); errors name the place
 * inside it: "applicability.is_installable.or[2]: deb_installed: op
 * without version". SL_EUNSUPPORTED for an unknown predicate, SL_EINVAL for
 * anything else. The same table of predicates serves both. */
int rules_check(const json_t *rule, const char *path, struct err *e);

#endif
