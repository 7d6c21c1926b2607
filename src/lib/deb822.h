/*
 * deb822: a streaming reader of Debian control data (the Packages and
 * Release files of an apt archive, debian/control, ...).
 *
 * Stanzas are separated by blank lines; a field is "Name: value" and its
 * value continues on the following lines that start with a space or a tab
 * (" ." stands for an empty line in a multi-line value); lines starting
 * with '#' are comments; field names compare case-insensitively. The
 * reader walks one buffer once and never copies it: fields are spans into
 * the caller's buffer, valid while that buffer lives and until the next
 * deb822_next(). Errors name the file and line ("Packages:123: field
 * without a name").
 */
#ifndef SLUICE_DEB822_H
#define SLUICE_DEB822_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DEB822_MAX_FIELDS 128 /* per stanza */

struct deb822_field {
	const char *name;
	size_t name_len;
	const char *value; /* raw: from after "Name:" and its blanks to the
	                    * end of the last continuation line, without the
	                    * final newline; continuation lines kept as is */
	size_t value_len;
	size_t line; /* where the field starts */
};

struct deb822 {
	const char *file; /* for errors; not owned */
	const char *p, *end;
	size_t line;        /* next line's number (1-based) */
	size_t stanza_line; /* first line of the current stanza */
	struct deb822_field fields[DEB822_MAX_FIELDS];
	size_t n;
};

/* Start reading buf[0..len) (not copied; keep it alive). */
void deb822_init(struct deb822 *d, const char *file, const char *buf,
                 size_t len);

/* Read the next stanza into d->fields. *got is false at the end of input.
 * SL_EPARSE "FILE:LINE: ..." on malformed input. */
int deb822_next(struct deb822 *d, bool *got, struct err *e);

/* The field of the current stanza named name (any case), or NULL. */
const struct deb822_field *deb822_get(const struct deb822 *d, const char *name);

/* A single-line value with surrounding blanks removed: *p and *n span into the
 * buffer. NULL field -> *n = 0. */
void deb822_trim(const struct deb822_field *f, const char **p, size_t *n);

/* A copy of a field's value as text: the first line trimmed, then each
 * continuation line without its first blank, " ." lines as empty lines.
 * Free with free(); NULL on allocation failure. */
char *deb822_text(const struct deb822_field *f);

/* The first line of a value (a Description's synopsis), trimmed. */
void deb822_first_line(const struct deb822_field *f, const char **p, size_t *n);

/* The `Source:` field of a binary stanza: "name" or "name (version)".
 * *name and *version span into the value; *version_n is 0 when no version is
 * given (the source version is then the binary's). SL_EPARSE when the
 * form is wrong. */
int deb822_source(const struct deb822_field *f, const char **name,
                  size_t *name_n, const char **version, size_t *version_n,
                  struct err *e);

/* One line of a Release file's SHA256 list: " HASH SIZE PATH". */
struct deb822_hashent {
	char sha256[65];
	uint64_t size;
	char *path; /* owned */
};

/* Parse a SHA256 (or similar) field of a Release file. *out (free with
 * deb822_hashents_free()) holds *n entries. file names the source for
 * errors ("Release:12: SHA256: ..."). */
int deb822_hashents(struct deb822_hashent **out, size_t *n,
                    const struct deb822_field *f, const char *file,
                    struct err *e);
void deb822_hashents_free(struct deb822_hashent *h, size_t n);

/* Whether the span equals the NUL-terminated string s. */
bool deb822_eq(const char *p, size_t n, const char *s);

#endif
