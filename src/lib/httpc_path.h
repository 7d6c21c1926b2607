/*
 * httpc_path: the short cuts of httpc for the many small requests of a
 * catalog sync, each giving exactly what the general path gives:
 *
 * - a file:// GET read with open() and read() instead of a curl transfer
 *   (curl's setup is most of the cost of reading a 1 KB document);
 * - the resolution of plain relative paths ("updates/<id>/3.json")
 *   against a base URL by appending them to the base's directory, which
 *   httpc_resolve() computes once, instead of a curl URL parse per path.
 */
#ifndef SLUICE_HTTPC_PATH_H
#define SLUICE_HTTPC_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "httpc.h"

/* GET url when it is a local file:// URL of a regular file that needs no
 * decoding ("file:///p" or "file://localhost/p", printable ASCII
 * without '%', '?', '#', '\\' or a segment starting with '.'): true with *rc
 * its outcome (as httpc_get() answers: status 200 and the body, SL_ENOTFOUND
 * "GET <url>: Couldn't open file <p>", SL_ETOOBIG over cap); false, nothing
 * done, for any other URL or file (the caller then makes the curl transfer).
 * A local read takes no time worth reporting or cancelling: httpc_opts'
 * progress and cancel are not called. */
bool httpc_path_file_get(int *rc, struct httpc_resp *out, const char *url,
                         size_t cap, struct err *e);

/* The directory of base as httpc_resolve() normalises it ("http://h/a/
 * index.json" -> "http://h/a/"), for httpc_path_join(). Free with free().
 * NULL when there is none (base cannot be parsed, ENOMEM). */
char *httpc_path_dir(const char *base);

/* httpc_resolve(base, ref), where dir is httpc_path_dir(base) (may be
 * NULL): when ref is a plain relative path (letters, digits, "-._~" and
 * '/', not starting with '/', no "." or ".." segment) dir followed by
 * ref, which is what the resolution gives; otherwise httpc_resolve().
 * Free with free(); NULL on ENOMEM or when base/ref cannot be parsed. */
char *httpc_path_join(const char *dir, const char *base, const char *ref);

#endif
