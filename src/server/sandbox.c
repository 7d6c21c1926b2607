/*
 * sandbox: the seccomp allow-list (sandbox.h).
 */
#include "sandbox.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/* What sluiced and its libraries (libmicrohttpd, GnuTLS, libcurl, SQLite,
 * libpq, jansson, libsodium, glibc's resolver) call. */
static const char *const allowed[] = {
        /* files */
        "read",
        "write",
        "readv",
        "writev",
        "pread64",
        "pwrite64",
        "open",
        "openat",
        "close",
        "stat",
        "fstat",
        "lstat",
        "newfstatat",
        "statx",
        "lseek",
        "access",
        "faccessat",
        "faccessat2",
        "fcntl",
        "flock",
        "fsync",
        "fdatasync",
        "ftruncate",
        "fallocate",
        "getdents64",
        "getcwd",
        "rename",
        "renameat",
        "renameat2",
        "mkdir",
        "mkdirat",
        "rmdir",
        "unlink",
        "unlinkat",
        "link",
        "linkat",
        "readlink",
        "readlinkat",
        "chmod",
        "fchmod",
        "fchmodat",
        "fchown",
        "umask",
        "statfs",
        "fstatfs",
        "utimensat",
        "sendfile",
        "copy_file_range",
        "dup",
        "dup2",
        "dup3",
        "pipe",
        "pipe2",
        "ioctl",
        "fadvise64",
        /* memory */
        "mmap",
        "mprotect",
        "munmap",
        "mremap",
        "brk",
        "madvise",
        "mincore",
        "mlock",
        "munlock",
        /* sockets */
        "socket",
        "socketpair",
        "connect",
        "accept",
        "accept4",
        "bind",
        "listen",
        "shutdown",
        "getsockname",
        "getpeername",
        "setsockopt",
        "getsockopt",
        "sendto",
        "recvfrom",
        "sendmsg",
        "recvmsg",
        "sendmmsg",
        "recvmmsg",
        /* waiting */
        "poll",
        "ppoll",
        "select",
        "pselect6",
        "epoll_create",
        "epoll_create1",
        "epoll_ctl",
        "epoll_wait",
        "epoll_pwait",
        "epoll_pwait2",
        "eventfd",
        "eventfd2",
        "futex",
        "nanosleep",
        "clock_nanosleep",
        "sched_yield",
        "restart_syscall",
        /* threads and signals */
        "clone",
        "clone3",
        "set_robust_list",
        "get_robust_list",
        "rseq",
        "set_tid_address",
        "exit",
        "exit_group",
        "rt_sigaction",
        "rt_sigprocmask",
        "rt_sigreturn",
        "rt_sigtimedwait",
        "sigaltstack",
        "tgkill",
        "gettid",
        "getpid",
        "getppid",
        "prctl",
        "arch_prctl",
        "sched_getaffinity",
        "sched_getparam",
        "sched_getscheduler",
        /* identity, time, limits, randomness */
        "getuid",
        "geteuid",
        "getgid",
        "getegid",
        "getgroups",
        "getresuid",
        "getresgid",
        "uname",
        "sysinfo",
        "getrlimit",
        "prlimit64",
        "setrlimit",
        "getrusage",
        "times",
        "gettimeofday",
        "clock_gettime",
        "clock_getres",
        "time",
        "getrandom",
        "membarrier",
};

#ifdef SANDBOX_SANITIZER
static const char *const sanitizer[] = {
        "ptrace",
        "wait4",
        "waitid",
        "kill",
        "getdents",
        "process_vm_readv",
        "sched_setaffinity",
        "setpriority",
        "personality",
        "pause",
        "rt_sigsuspend",
        "rt_sigpending",
        "tkill",
        "execve",
        "vfork",
        "fork",
};
#endif

static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char msg[96];
	int n;

	(void)sig;
	(void)ctx;
	n = snprintf(msg, sizeof(msg),
	             "sluiced: seccomp: system call %d is not allowed\n",
	             si->si_syscall);
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
	_exit(70);
}

int
sandbox_apply(struct err *e)
{
	struct sigaction sa;
	scmp_filter_ctx f;
	int rc, sc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return err_set(e, SL_EINTERNAL, "seccomp: sigaction failed");
	f = seccomp_init(SCMP_ACT_TRAP);
	if (f == NULL)
		return err_set(e, SL_ENOMEM, "seccomp: out of memory");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		sc = seccomp_syscall_resolve_name(allowed[i]);
		if (sc == __NR_SCMP_ERROR)
			continue; /* not on this architecture */
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, sc, 0);
		if (rc != 0) {
			seccomp_release(f);
			return err_set(e, SL_EINTERNAL, "seccomp: rule %s: %s",
			               allowed[i], strerror(-rc));
		}
	}
#ifdef SANDBOX_SANITIZER
	/* LeakSanitizer stops the world with ptrace from a helper at exit. */
	for (size_t i = 0; i < sizeof(sanitizer) / sizeof(sanitizer[0]); i++) {
		sc = seccomp_syscall_resolve_name(sanitizer[i]);
		if (sc != __NR_SCMP_ERROR)
			(void)seccomp_rule_add(f, SCMP_ACT_ALLOW, sc, 0);
	}
#endif
	rc = seccomp_load(f);
	seccomp_release(f);
	if (rc != 0)
		return err_set(e, SL_EINTERNAL,
		               "seccomp: cannot load the filter: %s",
		               strerror(-rc));
	return SL_OK;
}
