/*
 * store: the connection, transactions, meta and the change sequence
 * (store.h), and the statement short forms of store_int.h.
 */
#include "store_int.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sign.h"

int
store_open(struct store **out, const char *target, struct err *e)
{
	struct store *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	rc = db_open(&s->db, target, e);
	if (rc != SL_OK) {
		free(s);
		return rc;
	}
	*out = s;
	return SL_OK;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	db_close(s->db);
	free(s);
}

/* Commits of this process that took a change sequence number. */
static _Atomic uint64_t seq_commits;

uint64_t
store_changes_count(void)
{
	return atomic_load_explicit(&seq_commits, memory_order_acquire);
}

static void
changes_note(struct store *s)
{
	s->changed = false;
	atomic_fetch_add_explicit(&seq_commits, 1, memory_order_acq_rel);
}

void
store_deadline(struct timespec *out, int ms)
{
	clock_gettime(CLOCK_REALTIME, out);
	out->tv_sec += ms / 1000;
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

int
store_begin(struct store *s, struct err *e)
{
	int rc = db_begin(s->db, e);

	s->in_txn = rc == SL_OK;
	s->changed = false;
	return rc;
}

int
store_begin_read(struct store *s, struct err *e)
{
	int rc;

	if (db_engine(s->db) == DB_POSTGRES)
		rc = db_exec(s->db,
		             "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		             e);
	else
		rc = db_exec(s->db, "BEGIN", e);
	s->in_txn = rc == SL_OK;
	s->changed = false;
	return rc;
}

int
store_commit(struct store *s, struct err *e)
{
	int rc = db_commit(s->db, e);

	s->in_txn = false;
	/* Also after a failed COMMIT: whether it took effect is not known,
	 * and a needless drop costs only reads. */
	if (s->changed)
		changes_note(s);
	return rc;
}

void
store_rollback(struct store *s)
{
	if (s == NULL)
		return;
	db_rollback(s->db);
	s->in_txn = false;
	s->changed = false;
}

int
store_schema_version(struct store *s, int *out, struct err *e)
{
	return db_schema_version(s->db, out, e);
}

int
store_qv(struct store *s, struct db_stmt **out, struct err *e, const char *sql,
         const char *fmt, va_list ap)
{
	struct db_stmt *st;
	int rc;

	rc = db_stmt(s->db, &st, sql, e);
	if (rc != SL_OK)
		return rc;
	for (int i = 1; fmt != NULL && fmt[i - 1] != '\0' && rc == SL_OK; i++) {
		switch (fmt[i - 1]) {
		case 'i':
			rc = db_bind_int(st, i, va_arg(ap, int64_t), e);
			break;
		case 'd':
			rc = db_bind_int(st, i, va_arg(ap, int), e);
			break;
		case 't':
			rc = db_bind_text(st, i, va_arg(ap, const char *), e);
			break;
		case 'n':
			rc = db_bind_null(st, i, e);
			break;
		case 'j': {
			const int64_t *p = va_arg(ap, const int64_t *);
			rc = p != NULL ? db_bind_int(st, i, *p, e)
			               : db_bind_null(st, i, e);
			break;
		}
		default:
			rc = err_set(e, SL_EINTERNAL, "bind: format '%c'",
			             fmt[i - 1]);
			break;
		}
	}
	if (rc != SL_OK) {
		db_done(st);
		return rc;
	}
	*out = st;
	return SL_OK;
}

int
store_q(struct store *s, struct db_stmt **out, struct err *e, const char *sql,
        const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_qv(s, out, e, sql, fmt, ap);
	va_end(ap);
	return rc;
}

int
store_q_run(struct store *s, int64_t *changes, struct err *e, const char *sql,
            const char *fmt, ...)
{
	struct db_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_qv(s, &st, e, sql, fmt, ap);
	va_end(ap);
	if (rc != SL_OK)
		return rc;
	while ((rc = db_step(st, e)) == DB_ROW)
		;
	if (rc == DB_DONE && changes != NULL)
		*changes = db_changes(st);
	db_done(st);
	return rc < 0 ? rc : SL_OK;
}

int
store_q_int(struct store *s, int64_t *out, struct err *e, const char *sql,
            const char *fmt, ...)
{
	struct db_stmt *st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = store_qv(s, &st, e, sql, fmt, ap);
	va_end(ap);
	if (rc != SL_OK)
		return rc;
	rc = db_step(st, e);
	if (rc == DB_ROW)
		*out = db_col_int(st, 0);
	db_done(st);
	return rc;
}

int
store_q_collect(json_t *arr, struct db_stmt *st,
                json_t *(*row)(struct db_stmt *st), struct err *e)
{
	int rc;

	while ((rc = db_step(st, e)) == DB_ROW) {
		json_t *o = row(st);
		if (o == NULL || json_array_append_new(arr, o) != 0)
			return err_set(e, SL_ENOMEM, "out of memory");
	}
	return rc < 0 ? rc : SL_OK;
}

json_t *
store_col_time(struct db_stmt *st, int col)
{
	char t[21];

	if (db_col_null(st, col))
		return json_null();
	if (sign_time_format(t, (long long)db_col_int(st, col)) != 0)
		return json_null();
	return json_string(t);
}

json_t *
store_col_text(struct db_stmt *st, int col)
{
	const char *v = db_col_text(st, col);

	return v != NULL ? json_string(v) : json_null();
}

int
store_meta_get(struct store *s, const char *key, char **out, struct err *e)
{
	struct db_stmt *st;
	char *copy;
	int rc;

	rc = store_q(s, &st, e, "SELECT value FROM meta WHERE key = $1", "t",
	             key);
	if (rc != SL_OK)
		return err_prefix(e, "meta get");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *v = db_col_text(st, 0);
		copy = strdup(v ? v : "");
		rc = copy != NULL ? SL_OK
		                  : err_set(e, SL_ENOMEM, "out of memory");
		if (copy != NULL)
			*out = copy;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "meta key '%s' not set", key);
	} else {
		err_prefix(e, "meta get");
	}
	db_done(st);
	return rc;
}

int
store_meta_set(struct store *s, const char *key, const char *value,
               struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "INSERT INTO meta(key, value) VALUES($1, $2) "
	                     "ON CONFLICT(key) DO UPDATE SET value = "
	                     "excluded.value",
	                     "tt", key, value);

	return rc != SL_OK ? err_prefix(e, "meta set") : SL_OK;
}

int
store_seq_current(struct store *s, int64_t *out, struct err *e)
{
	int rc = store_q_int(s, out, e,
	                     "SELECT CAST(value AS BIGINT) FROM meta "
	                     "WHERE key = 'change_seq'",
	                     NULL);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		return err_set(e, SL_EDB, "change sequence missing");
	return err_prefix(e, "change sequence");
}

/* s took change sequence numbers: its commit moves store_changes_count()
 * (outside a transaction the statement committed itself, so now). */
static void
seq_taken(struct store *s)
{
	s->changed = true;
	if (!s->in_txn)
		changes_note(s);
}

int
store_seq_next(struct store *s, int64_t *out, struct err *e)
{
	/* One statement: the bump and the read cannot be split by another
	 * writer (the caller's transaction holds the write lock anyway). */
	int rc = store_q_int(s, out, e,
	                     "UPDATE meta SET value = CAST(CAST(value AS "
	                     "BIGINT) + 1 AS TEXT) WHERE key = 'change_seq' "
	                     "RETURNING CAST(value AS BIGINT)",
	                     NULL);

	if (rc == DB_ROW) {
		seq_taken(s);
		return SL_OK;
	}
	if (rc == DB_DONE)
		return err_set(e, SL_EDB, "change sequence missing");
	return err_prefix(e, "change sequence");
}

int
store_seq_reserve(struct store *s, int64_t n, int64_t *first, struct err *e)
{
	int64_t last;
	int rc;

	assert(n >= 1);
	rc = store_q_int(s, &last, e,
	                 "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + "
	                 "$1 AS TEXT) WHERE key = 'change_seq' RETURNING "
	                 "CAST(value AS BIGINT)",
	                 "i", n);
	if (rc == DB_ROW) {
		*first = last - n + 1;
		seq_taken(s);
		return SL_OK;
	}
	if (rc == DB_DONE)
		return err_set(e, SL_EDB, "change sequence missing");
	return err_prefix(e, "change sequence");
}

int
store_like_prefix(char **out, const char *prefix, struct err *e)
{
	size_t n = strlen(prefix), j = 0;
	char *p;

	if (n > STORE_LIKE_MAX)
		return err_set(e, SL_ETOOBIG, "pattern over %d bytes",
		               STORE_LIKE_MAX);
	p = malloc(2 * n + 2);
	if (p == NULL)
		return err_set(e, SL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (prefix[i] == '%' || prefix[i] == '_' || prefix[i] == '\\')
			p[j++] = '\\';
		p[j++] = prefix[i];
	}
	p[j++] = '%';
	p[j] = '\0';
	*out = p;
	return SL_OK;
}

/* Append s[0..n) to *p (*left bytes free, NUL kept); -1 when it does not
 * fit. */
static int
sql_put(char **p, size_t *left, const char *s, size_t n)
{
	if (n >= *left)
		return -1;
	memcpy(*p, s, n);
	*p += n;
	*left -= n;
	**p = '\0';
	return 0;
}

/* The row item[0..n) with its own parameters moved by shift. */
static int
sql_put_row(char **p, size_t *left, const char *item, size_t n, int first,
            int shift)
{
	size_t i = 0;

	while (i < n) {
		char num[16];
		long v = 0;
		size_t j = i + 1;
		int k;

		if (item[i] != '$' || j >= n || item[j] < '0' ||
		    item[j] > '9') {
			if (sql_put(p, left, item + i, 1) != 0)
				return -1;
			i++;
			continue;
		}
		for (; j < n && item[j] >= '0' && item[j] <= '9' && v < 100000;
		     j++)
			v = v * 10 + (item[j] - '0');
		if (v >= first)
			v += shift;
		k = snprintf(num, sizeof(num), "$%ld", v);
		if (k < 0 || sql_put(p, left, num, (size_t)k) != 0)
			return -1;
		i = j;
	}
	return 0;
}

int
store_sql_rows(char *out, size_t cap, const char *one, const char *open,
               int rows, int first, int per_row)
{
	const char *start = strstr(one, open), *end;
	size_t left = cap;
	int depth = 0, closed = 0;

	if (start == NULL || cap == 0 || rows < 1)
		return -1;
	start += strlen(open);
	/* A tuple ends after its matching ")", a list's item before the
	 * ")" that closes the list (the tail keeps it). */
	for (end = start; *end != '\0' && !closed; end++) {
		if (*end == '(')
			depth++;
		else if (*end == ')' && depth == 0)
			break;
		else if (*end == ')' && --depth == 0 && *start == '(')
			closed = 1;
	}
	closed = closed || (*end == ')' && *start != '(');
	if (!closed)
		return -1;
	out[0] = '\0';
	if (sql_put(&out, &left, one, (size_t)(start - one)) != 0)
		return -1;
	for (int r = 0; r < rows; r++)
		if ((r > 0 && sql_put(&out, &left, ", ", 2) != 0) ||
		    sql_put_row(&out, &left, start, (size_t)(end - start),
		                first, r * per_row) != 0)
			return -1;
	return sql_put(&out, &left, end, strlen(end));
}
