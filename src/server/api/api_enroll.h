/*
 * api_enroll: enrollment keys (as Landscape's registration key or
 * hawkBit's gateway token). An administrator creates a key, optionally
 * pinning the groups its computers land in, an expiry and a number of
 * uses; the key is shown once and only its SHA-256 is stored. A computer
 * registers only with a valid key unless the server's registration
 * setting is "open" (labs). Every registration is audited with the key
 * it used.
 */
#ifndef SLUICE_SERVER_API_ENROLL_H
#define SLUICE_SERVER_API_ENROLL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"
#include "store/store.h"

/* Admin routes: POST/GET /v1/admin/enrollment-keys, DELETE .../ID. */
int api_enroll_create(struct req *r, struct reply *out, struct err *e);
int api_enroll_list(struct req *r, struct reply *out, struct err *e);
int api_enroll_revoke(struct req *r, struct reply *out, struct err *e);

/* Registration, inside its transaction: check the "enrollment_key" member
 * of body against the registration setting and count its use (*key_id 0:
 * open registration without a key), then choose the group: with a key
 * that pins groups, the first of the agent's groups that the key pins and
 * that exists, else the first pinned group that exists; without, the
 * targeting settings decide (pick is api_agent.c's group choice).
 * *pinned: the key pins the groups (the agent's own choice of further
 * groups is then ignored). */
int api_enroll_admit(int64_t *key_id, int64_t *group_id, bool *pinned,
                     struct store *s, json_t *body,
                     int (*pick)(int64_t *out, struct store *s, json_t *groups,
                                 struct err *e),
                     struct err *e);

/* Audit one registration (actor: the key, or "open registration"). */
int api_enroll_audit(struct store *s, const char *computer_id,
                     const char *hostname, int64_t group_id, int64_t key_id,
                     struct err *e);

/* The registration setting: validate and store "key" or "open". */
int api_enroll_set_mode(struct store *s, const char *mode, struct err *e);

#endif
