/*
 * table: aligned text or CSV output of rows (see the header).
 */
#include "table.h"

#include <stdio.h>
#include <string.h>

void
table_init(struct table *t, const char *const *head)
{
	t->ncols = 0;
	while (head[t->ncols] && t->ncols < TABLE_MAX_COLS) {
		t->head[t->ncols] = head[t->ncols];
		t->ncols++;
	}
	t->rows = json_array();
}

void
table_row(struct table *t, const char *const *cells)
{
	json_t *r = json_array();

	for (size_t i = 0; r && i < t->ncols; i++)
		json_array_append_new(r,
		                      json_string(cells[i] ? cells[i] : "-"));
	if (r && t->rows)
		json_array_append_new(t->rows, r);
	else
		json_decref(r);
}

static void
csv_cell(const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* Display width of UTF-8 text: code points (continuation bytes skipped). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_print(struct table *t, bool csv, const char *empty)
{
	size_t w[TABLE_MAX_COLS] = {0}, i, c;
	json_t *row;

	if (t->rows == NULL)
		return;
	if (csv) {
		for (c = 0; c < t->ncols; c++) {
			if (c)
				putchar(',');
			for (const char *p = t->head[c]; *p; p++)
				putchar(*p == ' ' ? '_'
				                  : (*p >= 'A' && *p <= 'Z'
				                             ? *p + 32
				                             : *p));
		}
		putchar('\n');
		json_array_foreach(t->rows, i, row)
		{
			for (c = 0; c < t->ncols; c++) {
				if (c)
					putchar(',');
				csv_cell(json_string_value(
				        json_array_get(row, c)));
			}
			putchar('\n');
		}
		goto out;
	}
	if (json_array_size(t->rows) == 0 && empty != NULL) {
		printf("%s\n", empty);
		goto out;
	}
	for (c = 0; c < t->ncols; c++)
		w[c] = width(t->head[c]);
	json_array_foreach(t->rows, i, row) for (c = 0; c < t->ncols; c++)
	{
		size_t cw = width(json_string_value(json_array_get(row, c)));
		if (cw > w[c])
			w[c] = cw;
	}
	for (c = 0; c < t->ncols; c++)
		printf("%s%-*s", c ? "  " : "",
		       c + 1 < t->ncols ? (int)w[c] : 0, t->head[c]);
	putchar('\n');
	json_array_foreach(t->rows, i, row)
	{
		for (c = 0; c < t->ncols; c++) {
			const char *s =
			        json_string_value(json_array_get(row, c));
			size_t pad = c + 1 < t->ncols ? w[c] - width(s) : 0;
			printf("%s%s%*s", c ? "  " : "", s, (int)pad, "");
		}
		putchar('\n');
	}
out:
	json_decref(t->rows);
	t->rows = NULL;
}
