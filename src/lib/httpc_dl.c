/*
 * httpc_dl: libcurl loaded at run time (see httpc_dl.h).
 */
#define CURL_DISABLE_TYPECHECK
#include "httpc_dl.h"

#include <dlfcn.h>
#include <string.h>

struct httpc_dl_api httpc_dl;
static void *handle;

/* The symbol name, its slot in the table. */
struct sym {
	const char *name;
	void **slot;
};

int
httpc_dl_load(struct err *e)
{
	const struct sym syms[] = {
	        {"curl_global_init", (void **)&httpc_dl.global_init},
	        {"curl_global_cleanup", (void **)&httpc_dl.global_cleanup},
	        {"curl_easy_init", (void **)&httpc_dl.easy_init},
	        {"curl_easy_setopt", (void **)&httpc_dl.easy_setopt},
	        {"curl_easy_perform", (void **)&httpc_dl.easy_perform},
	        {"curl_easy_getinfo", (void **)&httpc_dl.easy_getinfo},
	        {"curl_easy_cleanup", (void **)&httpc_dl.easy_cleanup},
	        {"curl_easy_reset", (void **)&httpc_dl.easy_reset},
	        {"curl_easy_strerror", (void **)&httpc_dl.easy_strerror},
	        {"curl_slist_append", (void **)&httpc_dl.slist_append},
	        {"curl_slist_free_all", (void **)&httpc_dl.slist_free_all},
	        {"curl_url", (void **)&httpc_dl.url},
	        {"curl_url_cleanup", (void **)&httpc_dl.url_cleanup},
	        {"curl_url_set", (void **)&httpc_dl.url_set},
	        {"curl_url_get", (void **)&httpc_dl.url_get},
	        {"curl_free", (void **)&httpc_dl.free},
	};
	CURLcode cc;

	if (handle != NULL)
		return SL_OK;
	if ((handle = dlopen(HTTPC_DL_LIBRARY, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return err_set(e, SL_EUNSUPPORTED, "%s: %s", HTTPC_DL_LIBRARY,
		               dlerror());
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if ((*syms[i].slot = dlsym(handle, syms[i].name)) == NULL) {
			err_set(e, SL_EUNSUPPORTED, "%s: no %s",
			        HTTPC_DL_LIBRARY, syms[i].name);
			goto fail;
		}
	}
	if ((cc = httpc_dl.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		err_set(e, SL_EINTERNAL, "curl_global_init: %s",
		        httpc_dl.easy_strerror(cc));
		goto fail;
	}
	return SL_OK;
fail:
	dlclose(handle);
	handle = NULL;
	memset(&httpc_dl, 0, sizeof(httpc_dl));
	return e->code;
}

/* Under AddressSanitizer the library stays loaded: LeakSanitizer's exit
 * scan crashes on the thread-local storage of a library unloaded and
 * loaded again (its tracer takes SIGSEGV), so sanitizer builds keep
 * libcurl mapped and only the release build gives its memory back. */
#if defined(__SANITIZE_ADDRESS__)
#define KEEP_LOADED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KEEP_LOADED 1
#endif
#endif
#ifndef KEEP_LOADED
#define KEEP_LOADED 0
#endif

void
httpc_dl_release(void)
{
	if (handle == NULL || KEEP_LOADED)
		return;
	httpc_dl.global_cleanup();
	dlclose(handle);
	handle = NULL;
	memset(&httpc_dl, 0, sizeof(httpc_dl));
}
