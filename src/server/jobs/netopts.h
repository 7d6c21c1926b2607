/*
 * netopts: how sluiced reaches the outside ([network] settings): the
 * proxy for every upstream request, the bandwidth limit for file downloads
 * and the window of hours in which file downloads run (WSUS's BITS
 * throttling). The sync of metadata runs at any hour.
 */
#ifndef SLUICE_SERVER_NETOPTS_H
#define SLUICE_SERVER_NETOPTS_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "err.h"
#include "httpc.h"

/* Parse "HH:MM-HH:MM" into minutes of the day (*start, *end); NULL or ""
 * gives -1, -1 (no window). start == end is refused; end before start
 * wraps past midnight ("22:00-06:00"). */
int netopts_window_parse(int *start, int *end, const char *spec, struct err *e);

/* Seconds from now (local time) until the download window opens; 0 when
 * it is open or there is none. */
long long netopts_window_wait(const struct server_config *cfg, time_t now);

/* Fill the proxy (and, for file downloads, the bandwidth limit) of o. */
void netopts_http(struct httpc_opts *o, const struct server_config *cfg,
                  bool file_download);

#endif
