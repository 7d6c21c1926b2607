/*
 * canon_tree: the jansson tree of a value canon_check() accepted, built
 * straight from its text.
 *
 * A catalog sync turns every signed document into a tree once its
 * signature verified; jansson's general parser reads a character at a
 * time through a stream and was a sixth of a sync's CPU. Text that
 * canon_check() accepted (or that canon_compact() turned into such text)
 * is known to be well formed: valid UTF-8, no duplicate keys, keys without
 * escapes, only the canonical escapes in strings, integers of at most 18
 * digits. So this reader needs no lexer state and no UTF-8 checks; it
 * still checks every byte it relies on, and refuses anything else rather
 * than guess (the caller then has a bug, or text it did not check).
 */
#ifndef SLUICE_CANON_TREE_H
#define SLUICE_CANON_TREE_H

#include <jansson.h>

#include "canon.h"
#include "err.h"

/* *out: the tree of v, a value inside text canon_check() accepted, or
 * inside a text whose canon_compact() it accepted (whitespace between
 * tokens is stepped over). New reference: json_decref() it. SL_ENOMEM
 * out of memory; SL_EPARSE ("not canonical JSON at byte N") for text
 * that is not such a value, *out untouched. */
int canon_tree_load(json_t **out, const struct canon_span *v, struct err *e);

#endif
