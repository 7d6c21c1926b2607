/*
 * access_log: the access line per request (see access_log.h). The level
 * is one relaxed atomic; when the line is off or below the log's minimum
 * level nothing is formatted.
 */
#include "access_log.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"

static _Atomic int access_level = LOG_LVL_INFO;

void
access_log_set_level(int level)
{
	atomic_store_explicit(&access_level, level, memory_order_relaxed);
}

int
access_log_enabled(void)
{
	int lvl = atomic_load_explicit(&access_level, memory_order_relaxed);

	return lvl != CONFIG_LEVEL_OFF && log_enabled((enum log_level)lvl);
}

const char *
access_log_clean(char *out, size_t n, const char *text)
{
	size_t i;

	for (i = 0; text[i] && text[i] != '?' && i + 4 < n; i++)
		out[i] = ((unsigned char)text[i] <= 0x20 || text[i] == 0x7f)
		                 ? '?'
		                 : text[i];
	if (text[i] && text[i] != '?') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static const char *
client_addr(char *out, size_t n, const struct sockaddr *sa)
{
	if (sa == NULL)
		return "-";
	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
	              (socklen_t)n) != NULL)
		return out;
	if (sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
	              out, (socklen_t)n) != NULL)
		return out;
	return "-";
}

#define ACCESS_FMT "access %s %s %s %d %" PRIu64 " %" PRIu64 ".%03" PRIu64 "ms"

void
access_log_write(struct MHD_Connection *conn, const char *method,
                 const char *path, int status, uint64_t bytes, uint64_t usec)
{
	const union MHD_ConnectionInfo *ci = NULL;

	if (conn != NULL)
		ci = MHD_get_connection_info(
		        conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	access_log_write_addr(ci != NULL ? ci->client_addr : NULL, method, path,
	                      status, bytes, usec);
}

void
access_log_write_addr(const struct sockaddr *sa, const char *method,
                      const char *path, int status, uint64_t bytes,
                      uint64_t usec)
{
	int lvl = atomic_load_explicit(&access_level, memory_order_relaxed);
	char ab[INET6_ADDRSTRLEN], lp[256], lm[16];
	const char *addr;

	if (lvl == CONFIG_LEVEL_OFF || !log_enabled((enum log_level)lvl))
		return;
	addr = client_addr(ab, sizeof(ab), sa);
	access_log_clean(lm, sizeof(lm), method);
	access_log_clean(lp, sizeof(lp), path);
	if (lvl == LOG_LVL_DEBUG)
		log_debug(ACCESS_FMT, addr, lm, lp, status, bytes, usec / 1000,
		          usec % 1000);
	else if (lvl == LOG_LVL_INFO)
		log_info(ACCESS_FMT, addr, lm, lp, status, bytes, usec / 1000,
		         usec % 1000);
	else
		log_warn(ACCESS_FMT, addr, lm, lp, status, bytes, usec / 1000,
		         usec % 1000);
}
