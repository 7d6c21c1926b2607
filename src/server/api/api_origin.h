/*
 * api_origin: the catalog origin's key list and timestamp (trust.h) as the
 * last sync kept them (origin_trust.h), handed on unchanged: to agents in
 * the first page of a protocol 2 sync, to downstream servers in every
 * changes answer. The texts are cached for a second per server, so a
 * no-change agent sync costs no query for them.
 */
#ifndef SLUICE_API_ORIGIN_H
#define SLUICE_API_ORIGIN_H

#include <jansson.h>

#include "buf.h"
#include "err.h"

struct req;
struct api_origin_cache;

/* A cache for one server. Free with api_origin_cache_free() (NULL: no-op).
 */
int api_origin_cache_new(struct api_origin_cache **out, struct err *e);
void api_origin_cache_free(struct api_origin_cache *c);

/* Append ,"origin":{"keys":DOC,"timestamp":DOC} (each only when kept; the
 * documents as JSON objects) to b; nothing when neither is kept. */
int api_origin_raw(struct buf *b, const struct req *r, struct err *e);

/* o["origin"] = {"keys": TEXT, "timestamp": TEXT} (strings, verbatim),
 * when kept. */
int api_origin_json(json_t *o, const struct req *r, struct err *e);

#endif
