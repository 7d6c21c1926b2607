/*
 * httpc_dl: libcurl loaded at run time, for a build of httpc.c with
 * HTTPC_DLOPEN (the agent's): the curl_* names httpc.c calls are taken
 * from the loaded library through this table, so the program does not map
 * libcurl and its TLS, Kerberos, LDAP and SSH libraries until its first
 * transfer, and can release them (httpc_release) before work that needs
 * no network. Include after <curl/curl.h> (with CURL_DISABLE_TYPECHECK).
 * Not thread-safe: load and release from one thread, with no transfer
 * running.
 */
#ifndef SLUICE_HTTPC_DL_H
#define SLUICE_HTTPC_DL_H

#include <curl/curl.h>

#include "err.h"

#define HTTPC_DL_LIBRARY "libcurl.so.4"

struct httpc_dl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
	void (*easy_cleanup)(CURL *c);
	void (*easy_reset)(CURL *c);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
	CURLU *(*url)(void);
	void (*url_cleanup)(CURLU *u);
	CURLUcode (*url_set)(CURLU *u, CURLUPart p, const char *s,
	                     unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart p, char **s,
	                     unsigned int flags);
	void (*free)(void *p);
};

/* Filled by httpc_dl_load; all NULL while not loaded. */
extern struct httpc_dl_api httpc_dl;

/* Load libcurl and run curl_global_init (once; SL_OK when loaded).
 * SL_EUNSUPPORTED "libcurl.so.4: <dlerror>" when it cannot be loaded. */
int httpc_dl_load(struct err *e);

/* curl_global_cleanup and unload (a no-op when not loaded). */
void httpc_dl_release(void);

/* curl.h may define these two as macros of themselves. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init    httpc_dl.global_init
#define curl_easy_init      httpc_dl.easy_init
#define curl_easy_setopt    httpc_dl.easy_setopt
#define curl_easy_perform   httpc_dl.easy_perform
#define curl_easy_getinfo   httpc_dl.easy_getinfo
#define curl_easy_cleanup   httpc_dl.easy_cleanup
#define curl_easy_reset     httpc_dl.easy_reset
#define curl_easy_strerror  httpc_dl.easy_strerror
#define curl_slist_append   httpc_dl.slist_append
#define curl_slist_free_all httpc_dl.slist_free_all
#define curl_url            httpc_dl.url
#define curl_url_cleanup    httpc_dl.url_cleanup
#define curl_url_set        httpc_dl.url_set
#define curl_url_get        httpc_dl.url_get
#define curl_free           httpc_dl.free

#endif
