/*
 * install: the install handlers of sluice-agent.
 *
 *   command  run one of the update's files (arguments[0] names it) with the
 *            remaining arguments; no shell
 *   script   sh FILE ARGS... (arguments[0] names the script)
 *   dpkg     dpkg -i FILE.deb (arguments[0] may name the .deb; else the
 *            first .deb file); uninstall: dpkg -r PACKAGE... from
 *            uninstall_arguments. With a root other than "/" dpkg runs with
 *            --root/--admindir/--instdir into it.
 *   deb      one dpkg transaction, dpkg -i A.deb B.deb ..., over exactly
 *            those of the update's files whose `deb` package (key
 *            "name:arch", plain "name" for arch all) is installed under the
 *            root in a version older than the file's: a binary the machine
 *            does not have is never installed. No arguments; nothing to
 *            install is a failure, and so is an uninstall (a downgrade is
 *            not a Debian operation). dpkg runs with LC_ALL=C and, when it
 *            fails, the outcome's detail is made of dpkg's own messages
 *            (see install_deb_explain()). Same --root handling as dpkg.
 *            With deb_apt, the same files go to apt-get install -y
 *            --no-install-recommends /dir/a.deb ... instead, which also
 *            installs missing dependencies from the machine's archives
 *            (with a root: apt's Dir and dpkg's options point into it).
 *
 * The update's files are copied (and their SHA-256 checked once more) into
 * a fresh directory under work_dir, which is the installer's working
 * directory and is removed afterwards. The environment gets SLUICE_ROOT,
 * SLUICE_UPDATE_ID and SLUICE_UPDATE_REVISION. The exit code is mapped by
 * the metadata: success_codes -> success, reboot_codes -> reboot-required,
 * anything else (or a timeout, a signal) -> failure.
 */
#ifndef SLUICE_INSTALL_H
#define SLUICE_INSTALL_H

#include <stdbool.h>

#include "err.h"
#include "update.h"

enum install_result {
	INSTALL_SUCCESS,
	INSTALL_REBOOT, /* succeeded; the computer must restart */
	INSTALL_FAILURE,
};

/* "success", "reboot-required", "failure" */
const char *install_result_name(enum install_result r);

/* Map an exit code with the update's success/reboot codes and reboot
 * behaviour ("always" turns success into reboot-required). */
enum install_result install_map_exit(const struct update_install *in, int code);

struct install_job {
	const struct update *u;
	bool uninstall;
	const char *root;         /* "/" or a directory tree */
	const char *const *paths; /* local verified copy of u->files[i] */
	const char *work_dir;     /* the temporary directory goes here */
	int default_timeout_s;    /* when the metadata sets none */
	int kill_grace_s;         /* 0 = default */
	bool deb_apt; /* deb handler: apt-get installs the chosen files and
	               * fetches missing dependencies (agent option
	               * deb_dependencies = apt) */
};

struct install_outcome {
	enum install_result result;
	int exit_code; /* -1 when the installer did not exit by itself */
	char *output;  /* captured output (bounded); free with
	                * install_outcome_clear() */
	char detail[ERR_MSG_MAX]; /* "exit code 3", "timed out after 10 s" */
};

/* Run the job. Always fills *out when it returns SL_OK: a handler that
 * cannot even start (unknown handler, missing file, exec failure) is a
 * failure outcome whose detail and output name the reason. Other errors
 * (out of memory, no work directory) are returned. */
int install_run(struct install_outcome *out, const struct install_job *job,
                struct err *e);

void install_outcome_clear(struct install_outcome *o);

/* The deb handler's choice among u's files: chosen[i] (u->n_files
 * entries) is set for a file whose `deb` package is installed under root
 * in an older version; *n_chosen counts them. why (why_n bytes, may be 0)
 * receives the reasons for the others ("acme-lib:amd64 not installed;
 * acme-tool:amd64 1.1 installed"). The agent also uses it to download only
 * what will be installed. Errors: the dpkg status cannot be read. */
int install_deb_select(bool *chosen, size_t *n_chosen, char *why, size_t why_n,
                       const struct update *u, const char *root, struct err *e);

/* Sum up the output of a failed dpkg run (LC_ALL=C) in out: one clause per
 * problem, joined with "; ", e.g. "acme-tool: depends on libfoo (>= 2):
 * libfoo is not installed", "acme-tool: conflicts with foo: foo (version
 * 1.0) is present and installed", "x.deb: cannot access archive ...".
 * Without a message it knows, "dpkg exit code N". Always NUL-terminates
 * (truncating at n). */
void install_deb_explain(char *out, size_t n, const char *output,
                         int exit_code);

#endif
