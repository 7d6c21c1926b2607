/*
 * netopts: proxy, bandwidth limit and download window (netopts.h).
 */
#include "netopts.h"

#include <stdlib.h>
#include <string.h>

static int
hhmm(int *out, const char *s, size_t n)
{
	if (n != 5 || s[2] != ':')
		return -1;
	for (size_t i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	int m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	*out = h * 60 + m;
	return 0;
}

int
netopts_window_parse(int *start, int *end, const char *spec, struct err *e)
{
	const char *dash;
	int a, b;

	*start = *end = -1;
	if (spec == NULL || spec[0] == '\0')
		return SL_OK;
	dash = strchr(spec, '-');
	if (dash == NULL || hhmm(&a, spec, (size_t)(dash - spec)) != 0 ||
	    hhmm(&b, dash + 1, strlen(dash + 1)) != 0)
		return err_set(e, SL_EINVAL,
		               "network.download_window '%s': expected "
		               "HH:MM-HH:MM (e.g. 22:00-06:00)",
		               spec);
	if (a == b)
		return err_set(e, SL_EINVAL,
		               "network.download_window '%s': an empty window "
		               "(leave it empty for always)",
		               spec);
	*start = a;
	*end = b;
	return SL_OK;
}

long long
netopts_window_wait(const struct server_config *cfg, time_t now)
{
	struct tm tm;
	int cur, s = cfg->window_start_min, en = cfg->window_end_min;
	bool open;

	if (s < 0 || en < 0 || localtime_r(&now, &tm) == NULL)
		return 0;
	cur = tm.tm_hour * 60 + tm.tm_min;
	open = s < en ? (cur >= s && cur < en) : (cur >= s || cur < en);
	if (open)
		return 0;
	/* Minutes until start, then to the start of that minute. */
	int mins = (s - cur + 1440) % 1440;
	return (long long)mins * 60 - tm.tm_sec;
}

void
netopts_http(struct httpc_opts *o, const struct server_config *cfg,
             bool file_download)
{
	if (cfg->proxy_url != NULL && cfg->proxy_url[0] != '\0')
		o->proxy = cfg->proxy_url;
	if (file_download && cfg->download_limit_kbps > 0)
		o->max_bytes_per_s = (long long)cfg->download_limit_kbps * 1024;
}
