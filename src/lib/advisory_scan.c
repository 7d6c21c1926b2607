/*
 * advisory_scan: walk the members of a large top-level JSON object (the
 * tracker export, ~60 MB; the combined USN database) without building the
 * whole document: the scanner finds each member's value span, and only
 * that span is handed to jansson, so at most one package's (or notice's)
 * tree is alive at a time. Errors carry the line and column in the file.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisory_int.h"
#include "fsx.h"

#define SCAN_MAX_DEPTH 512

/* Line and column (1-based) of byte off. */
static void
position(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t bol = 0;

	*line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	*col = off - bol + 1;
}

static int
scan_error(const char *path, const char *text, size_t off, const char *what,
           struct err *e)
{
	size_t line, col;

	position(text, off, &line, &col);
	return err_set(e, SL_EPARSE, "%s:%zu:%zu: %s", path, line, col, what);
}

static size_t
skip_space(const char *t, size_t len, size_t i)
{
	while (i < len &&
	       (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* i is at an opening quote: the offset just past the closing one, or len
 * when the string does not end. */
static size_t
skip_string(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

/* The end of the value starting at i, or len when it does not end. Only
 * nesting and strings are followed here; jansson checks the rest. */
static size_t
skip_value(const char *t, size_t len, size_t i, bool *too_deep)
{
	size_t depth = 0;

	*too_deep = false;
	if (i < len && t[i] == '"')
		return skip_string(t, len, i);
	if (i < len && t[i] != '{' && t[i] != '[') {
		while (i < len && strchr(",}] \t\r\n", t[i]) == NULL)
			i++;
		return i;
	}
	while (i < len) {
		switch (t[i]) {
		case '"':
			i = skip_string(t, len, i);
			continue;
		case '{':
		case '[':
			if (++depth > SCAN_MAX_DEPTH) {
				*too_deep = true;
				return len;
			}
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return i + 1;
			break;
		}
		i++;
	}
	return len;
}

int
adv_scan_members(const char *path, const char *text, size_t len,
                 adv_member_fn fn, void *arg, struct err *e)
{
	struct adv_member m;
	json_error_t jerr;
	json_t *key;
	size_t i, kend;
	bool deep;
	int rc;

	i = skip_space(text, len, 0);
	if (i == len || text[i] != '{')
		return scan_error(path, text, i, "expected a JSON object", e);
	i = skip_space(text, len, i + 1);
	if (i < len && text[i] == '}') {
		i = skip_space(text, len, i + 1);
		goto tail;
	}
	for (;;) {
		if (i == len || text[i] != '"')
			return scan_error(path, text, i,
			                  i == len ? "unexpected end of input"
			                           : "expected a member name",
			                  e);
		kend = skip_string(text, len, i);
		if (kend == len)
			return scan_error(path, text, len,
			                  "unexpected end of input", e);
		key = json_loadb(text + i, kend - i, JSON_DECODE_ANY, &jerr);
		if (!json_is_string(key)) {
			json_decref(key);
			return scan_error(path, text, i, "bad member name", e);
		}
		i = skip_space(text, len, kend);
		if (i == len || text[i] != ':') {
			json_decref(key);
			return scan_error(path, text, i, "expected ':'", e);
		}
		m.key = json_string_value(key);
		m.off = skip_space(text, len, i + 1);
		m.val = text + m.off;
		i = skip_value(text, len, m.off, &deep);
		m.len = i - m.off;
		if (i == len || m.len == 0) {
			json_decref(key);
			return scan_error(path, text, deep ? m.off : len,
			                  deep ? "nested too deeply"
			                       : "unexpected end of input",
			                  e);
		}
		rc = fn(arg, &m, e);
		json_decref(key);
		if (rc != SL_OK)
			return rc;
		i = skip_space(text, len, i);
		if (i < len && text[i] == ',') {
			i = skip_space(text, len, i + 1);
			continue;
		}
		if (i < len && text[i] == '}') {
			i = skip_space(text, len, i + 1);
			break;
		}
		return scan_error(path, text, i,
		                  i == len ? "unexpected end of input"
		                           : "expected ',' or '}'",
		                  e);
	}
tail:
	if (i != len)
		return scan_error(path, text, i, "data after the object", e);
	return SL_OK;
}

int
adv_scan_parse(json_t **out, const char *path, const char *text,
               const struct adv_member *m, struct err *e)
{
	json_error_t jerr;
	size_t line, col;

	*out = json_loadb(m->val, m->len, JSON_DECODE_ANY, &jerr);
	if (*out != NULL)
		return SL_OK;
	position(text, m->off, &line, &col);
	if (jerr.line <= 1)
		col += jerr.column > 0 ? (size_t)jerr.column - 1 : 0;
	else
		col = (size_t)jerr.column;
	line += jerr.line > 1 ? (size_t)jerr.line - 1 : 0;
	return err_set(e, SL_EPARSE, "%s:%zu:%zu: %s", path, line, col,
	               jerr.text);
}

int
adv_read_file(char **out, size_t *len, const char *path, struct err *e)
{
	int rc;

	if ((rc = adv_check_path(path, false, e)) != SL_OK)
		return rc;
	return fsx_read(path, ADVISORY_FILE_CAP, out, len, e);
}
