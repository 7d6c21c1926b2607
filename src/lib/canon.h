/*
 * canon: recognise canonical JSON (sign.h) in text without building a
 * tree, and walk a recognised value's members and elements in place.
 *
 * A signature covers canonical(DOC); when the bytes of DOC in an envelope
 * already are that serialisation (what the catalog tools write), the
 * signature can be checked over those bytes as they are and the document
 * read a piece at a time, instead of parsing the whole of it into a jansson
 * tree first (a 100,000-update index is tens of megabytes of text and
 * several times that as a tree).
 *
 * canon_check() is deliberately narrow: it accepts only text for which
 * jansson's parse (JSON_REJECT_DUPLICATES) succeeds and canonical() of the
 * parsed value gives the text back byte for byte. Anything else (keys with
 * escapes, deep nesting, long integers, whitespace inside) is refused and
 * the caller takes the general path, so the answers never differ.
 */
#ifndef SLUICE_CANON_H
#define SLUICE_CANON_H

#include <stdbool.h>
#include <stddef.h>

/* A span of text: one JSON value, or an object key without its quotes. */
struct canon_span {
	const char *p;
	size_t len;
};

/* Whether text (JSON whitespace allowed before and after) is one value in
 * canonical form; *value (may be NULL) receives it without the
 * whitespace. */
bool canon_check(struct canon_span *value, const char *text, size_t len);

/* canon_check(), and when the value is an object, its members: *n
 * receives how many it has, and the first max of them (when keys is not
 * NULL) their keys and values in keys[] and vals[], as canon_next() would
 * give them, without a second pass over the text. */
bool canon_check_members(struct canon_span *value, struct canon_span *keys,
                         struct canon_span *vals, size_t max, size_t *n,
                         const char *text, size_t len);

/* text without the whitespace between its tokens (as `sluice catalog`
 * writes its files: indented), for canon_check(): *out (malloc'd, not
 * NUL-terminated; free()) and *out_len. Refused (false, nothing
 * allocated) when text has no such whitespace, or whitespace that does
 * not touch a structural character ({ } [ ] : , or either end), so that
 * removing it cannot join two tokens: the result then parses to the very
 * value text parses to, and is invalid exactly when text is. */
bool canon_compact(char **out, size_t *out_len, const char *text, size_t len);

/* Iterate over the members of an object or the elements of an array that
 * canon_check() accepted (or that lies inside one), or of one in a text
 * whose canon_compact() canon_check() accepted (the whitespace between
 * tokens is stepped over; a value's span keeps what is inside it). Start
 * with *pos = 0. Each call returns false at the end, else fills *key
 * (objects only; may be NULL for arrays) and *val. */
bool canon_next(struct canon_span *key, struct canon_span *val,
                const struct canon_span *container, size_t *pos);

/* A value span (from canon_next()) that is a string, unescaped: 1 and
 * *out (malloc'd, NUL-terminated; free()); 0 when v is no string; -1 out
 * of memory. */
int canon_string(char **out, const struct canon_span *v);

/* The n bytes of a string between its quotes, written with canonical
 * escapes only (\" \\ \b \f \n \r \t, \u00xx for another control
 * character; \/ too, which jansson reads), decoded into out (room for n bytes,
 * not NUL-terminated): the decoded length, or -1 for any other escape. */
long canon_unescape(char *out, const char *s, size_t n);

/* Whether a value span is an integer (canonical ones have at most 18
 * digits); *out its value. */
bool canon_int(long long *out, const struct canon_span *v);

/* Whether a key span equals the NUL-terminated name. */
bool canon_key_is(const struct canon_span *key, const char *name);

#endif
