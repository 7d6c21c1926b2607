/*
 * store_groups: the computer group tree (store.h, "Groups").
 */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "array.h"

int
store_group_id(int64_t *out, struct store *s, const char *name, struct err *e)
{
	int rc = store_q_int(s, out, e, "SELECT id FROM groups WHERE name = $1",
	                     "t", name);

	if (rc == DB_ROW)
		return SL_OK;
	if (rc == DB_DONE)
		return err_set(e, SL_ENOTFOUND, "no group named '%s'", name);
	return err_prefix(e, "group lookup");
}

int
store_group_create(int64_t *out, struct store *s, const char *name,
                   int64_t parent_id, struct err *e)
{
	int64_t id = 0;
	int rc = store_q_int(s, &id, e,
	                     "INSERT INTO groups(name, parent_id) VALUES($1, "
	                     "$2) RETURNING id",
	                     "ti", name, parent_id);

	/* It inherits its parent's approvals. */
	if (rc == DB_ROW) {
		if (store_effective_refresh(s, id, NULL, e) != SL_OK)
			return err_prefix(e, "insert group");
		*out = id;
		return SL_OK;
	}
	if (rc == SL_EEXISTS)
		return err_set(e, SL_EEXISTS, "group '%s' already exists",
		               name);
	if (rc == DB_DONE)
		rc = err_set(e, SL_EINTERNAL, "no id returned");
	return err_prefix(e, "insert group");
}

int
store_group_info(struct store_group_info *out, struct store *s, int64_t gid,
                 struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT coalesce(g.parent_id, 0), p.name, (SELECT "
	             "count(*) FROM computers c WHERE c.group_id = g.id), "
	             "(SELECT count(*) FROM groups k WHERE k.parent_id = "
	             "g.id), g.name FROM groups g LEFT JOIN groups p ON p.id "
	             "= g.parent_id WHERE g.id = $1",
	             "i", gid);
	if (rc != SL_OK)
		return err_prefix(e, "group");
	rc = db_step(st, e);
	if (rc == DB_ROW) {
		const char *pn = db_col_text(st, 1);
		out->parent_id = db_col_int(st, 0);
		snprintf(out->parent_name, sizeof(out->parent_name), "%s",
		         pn ? pn : "");
		out->n_computers = db_col_int(st, 2);
		out->n_subgroups = db_col_int(st, 3);
		snprintf(out->name, sizeof(out->name), "%s",
		         db_col_text(st, 4));
		rc = SL_OK;
	} else if (rc == DB_DONE) {
		rc = err_set(e, SL_ENOTFOUND, "no group #%lld", (long long)gid);
	} else {
		err_prefix(e, "group");
	}
	db_done(st);
	return rc;
}

int
store_group_rename(struct store *s, int64_t gid, const char *name,
                   struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE groups SET name = $2 WHERE id = $1", "it",
	                     gid, name);

	return rc != SL_OK ? err_prefix(e, "group change") : SL_OK;
}

int
store_group_reparent(struct store *s, int64_t gid, int64_t parent_id,
                     struct err *e)
{
	int rc = store_q_run(s, NULL, e,
	                     "UPDATE groups SET parent_id = $2 WHERE id = $1",
	                     "ii", gid, parent_id);

	if (rc == SL_OK)
		rc = store_effective_refresh(s, gid, NULL, e);
	return rc != SL_OK ? err_prefix(e, "group change") : SL_OK;
}

/* The subgroups of gid into *out (free()), *n of them. */
static int
children(int64_t **out, size_t *n, struct store *s, int64_t gid, struct err *e)
{
	struct db_stmt *st;
	int64_t *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	rc = store_q(s, &st, e, "SELECT id FROM groups WHERE parent_id = $1",
	             "i", gid);
	if (rc != SL_OK)
		return rc;
	while ((rc = db_step(st, e)) == DB_ROW) {
		if ((rc = ARRAY_GROW(v, cap, *n, 1u << 20, e)) != SL_OK)
			break;
		v[(*n)++] = db_col_int(st, 0);
	}
	db_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	return SL_OK;
}

int
store_group_delete(struct store *s, int64_t gid, int64_t heir, struct err *e)
{
	int64_t *kids = NULL;
	size_t n_kids = 0;
	int rc;

	rc = children(&kids, &n_kids, s, gid, e);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "UPDATE computers SET group_id = $2 WHERE "
		                 "group_id = $1",
		                 "ii", gid, heir);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "UPDATE groups SET parent_id = $2 WHERE "
		                 "parent_id = $1",
		                 "ii", gid, heir);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM approvals WHERE group_id = $1",
		                 "i", gid);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM approval_removals WHERE group_id "
		                 "= $1",
		                 "i", gid);
	if (rc == SL_OK)
		rc = store_q_run(
		        s, NULL, e,
		        "DELETE FROM autoapprove_groups WHERE group_id "
		        "= $1",
		        "i", gid);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM computer_groups WHERE group_id = "
		                 "$1",
		                 "i", gid);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e,
		                 "DELETE FROM effective_approvals WHERE "
		                 "group_id = $1",
		                 "i", gid);
	if (rc == SL_OK)
		rc = store_q_run(s, NULL, e, "DELETE FROM groups WHERE id = $1",
		                 "i", gid);
	/* Its subgroups now inherit from heir. */
	for (size_t i = 0; rc == SL_OK && i < n_kids; i++)
		rc = store_effective_refresh(s, kids[i], NULL, e);
	free(kids);
	return rc != SL_OK ? err_prefix(e, "group change") : SL_OK;
}

static json_t *
group_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:o,s:I}", "name", db_col_text(st, 0), "parent",
	                 store_col_text(st, 1), "computers",
	                 (json_int_t)db_col_int(st, 2));
}

int
store_groups_list(json_t *arr, struct store *s, struct err *e)
{
	struct db_stmt *st;
	int rc;

	rc = store_q(s, &st, e,
	             "SELECT g.name, p.name, (SELECT count(*) FROM computers "
	             "c WHERE c.group_id = g.id) FROM groups g LEFT JOIN "
	             "groups p ON p.id = g.parent_id ORDER BY g.id",
	             NULL);
	if (rc != SL_OK)
		return err_prefix(e, "groups");
	rc = store_q_collect(arr, st, group_row, e);
	db_done(st);
	return rc != SL_OK ? err_prefix(e, "groups") : SL_OK;
}
