/*
 * table: what the admin subcommands print — an aligned text table for a
 * terminal (column widths from the content, header in capitals) or CSV
 * (RFC 4180 quoting) with --csv. JSON output (--json) prints the server's
 * answer instead and does not use this.
 */
#ifndef SLUICE_CLI_TABLE_H
#define SLUICE_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TABLE_MAX_COLS 16

struct table {
	size_t ncols;
	const char *head[TABLE_MAX_COLS];
	json_t *rows; /* array of arrays of strings */
};

/* Columns from a NULL-terminated list of header names. */
void table_init(struct table *t, const char *const *head);
/* Append a row of t->ncols strings (NULL prints "-"). */
void table_row(struct table *t, const char *const *cells);
/* Print (aligned or CSV) to stdout and release the rows. With no rows and
 * empty != NULL, prints that line instead of an empty table. */
void table_print(struct table *t, bool csv, const char *empty);

#endif
