/* SPDX-License-Identifier: MIT */
/* Helpers shared between libcleak's files; not part of the public API. */
#ifndef CLEAK_INTERNAL_H
#define CLEAK_INTERNAL_H

#include "cleak.h"

#include <stdarg.h>

#define CLEAK__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CLEAK__MAX(a, b) ((a) > (b) ? (a) : (b))

/* qsort/bsearch order of uint64_t values. */
static inline int cleak__cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* error.c: set the per-thread message and return -err (err > 0). */
int cleak__fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Format a message into a fresh heap string (NULL on ENOMEM). */
char *cleak__strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append to the string in buf (size bytes), cutting what does not fit. */
void cleak__appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint64_t cleak__now_us(void);

/* proc.c: /proc parsing.  Readers return bytes read or -errno. */
ssize_t cleak__read_small(const char *path, char *buf, size_t size);
/* The same relative to a directory: a thread's /proc/<pid>/task/<tid>,
 * opened once, spares the path walk for each of its files. */
ssize_t cleak__read_small_at(int dirfd, const char *path, char *buf, size_t size);
ssize_t cleak__read_all(const char *path, char **out);

struct cleak__stat {
	char comm[64];		/* field 2, without its parentheses */
	char state;
	pid_t ppid;
	unsigned long flags;
	uint64_t utime, stime, start_time;
};
int cleak__parse_stat(const char *text, struct cleak__stat *st);

struct cleak__syscall {
	long nr;		/* -1 not in syscall, -2 running */
	uint64_t args[6];
	uint64_t sp, pc;
};
int cleak__parse_syscall(const char *text, struct cleak__syscall *sc);

int cleak__parse_maps(const char *text, struct cleak_mapping **out, size_t *n);
/* /proc/<pid>/maps read and parsed; -errno (errno of the read) on failure. */
int cleak__read_maps(pid_t pid, struct cleak_mapping **out, size_t *n);
void cleak__free_maps(struct cleak_mapping *maps, size_t n);
const struct cleak_mapping *cleak__find_mapping(const struct cleak_mapping *maps,
						size_t n, uint64_t addr);
/* qsort/bsearch order of pid_t values. */
int cleak__cmp_pid(const void *a, const void *b);
/* Sorted thread ids of `pid`. */
int cleak__list_tasks(pid_t pid, pid_t **out, size_t *n);

/* capture.c: would a ptrace stop make this blocked call fail with EINTR? */
bool cleak__syscall_eintr_on_stop(pid_t pid, long nr, const uint64_t *args);
/* Why a thread read without a stop stays unstopped; NULL if it may be stopped. */
const char *cleak__why_never_stopped(const struct cleak_snapshot *snap,
				     const struct cleak_thread *t);
/* Copy target memory without a stop (process_vm_readv); bytes read. */
size_t cleak__read_target(pid_t pid, uint64_t addr, void *buf, size_t len);

/* waitargs.c: what a blocking call's arguments point at. */
struct cleak__memreq {
	uint64_t addr;
	uint32_t len;		/* bytes wanted from addr on; 0: none */
	uint32_t before;	/* also wanted before addr, if readable */
};
void cleak__wait_memreqs(const struct cleak_thread *t,
			 struct cleak__memreq req[CLEAK_WAITMEM_COUNT]);
/*
 * The call a thread waits in.  After a ptrace stop (anyone's: a
 * debugger, --freeze), a timed poll, futex wait or nanosleep shows as
 * restart_syscall; the kernel restarts it from its restart block, and the
 * registers the syscall line shows still hold the original call's
 * arguments.  wchan says which call it was.
 */
long cleak__restarted_syscall(const struct cleak_thread *t);
/* `len` copied bytes at target address `addr`, or NULL if not copied. */
const uint8_t *cleak__waitmem_at(const struct cleak_thread *t, enum cleak_waitmem_slot slot,
				 uint64_t addr, size_t len);
/* The descriptors a thread's blocking call waits on (not an epoll's
 * interest set: that is in snap->fds).  Returns how many. */
size_t cleak__wait_fds(const struct cleak_thread *t, int *fds, size_t max);

/* resources.c: after capture, copy what classify needs from the live
 * process (wait memory, descriptors, children); no stop. */
int cleak__collect_wait_facts(struct cleak_snapshot *snap);
/* Copy (again) the memory a thread's blocking call points at; drop it. */
void cleak__copy_waitmem(pid_t pid, struct cleak_thread *t);
void cleak__drop_waitmem(struct cleak_thread *t);
void cleak__release_wait_facts(struct cleak_snapshot *snap);
/* deadlock.c */
void cleak__release_deadlocks(struct cleak_snapshot *snap);
const struct cleak_fd *cleak__snapshot_fd(const struct cleak_snapshot *snap, int fd);

/* strpool.c: interned strings that a snapshot owns (frames point into it). */
struct cleak__strpool;
struct cleak__strpool *cleak__strpool_new(void);
void cleak__strpool_free(struct cleak__strpool *pool);
char *cleak__intern(struct cleak__strpool *pool, const char *s);
/* The snapshot's pool, created on first use. */
struct cleak__strpool *cleak__snapshot_pool(struct cleak_snapshot *snap);
/* The snapshot's mapped files (modules.h), opened once for all passes;
 * NULL on ENOMEM.  Forget them when snap->maps changes. */
struct cleak__modules;
struct cleak__modules *cleak__snapshot_modules(struct cleak_snapshot *snap,
					       const char *sysroot);
void cleak__snapshot_forget_modules(struct cleak_snapshot *snap);

/* ignore.c: whether a rule of `ig` (NULL: none) matches. */
bool cleak__ignore_goroutine(const struct cleak_ignore *ig, const struct cleak_goroutine *g);
bool cleak__ignore_thread(const struct cleak_ignore *ig, const struct cleak_thread *t);

/* suspects.c: judge every group of a built diff, then sort them
 * (suspects first, by rank) and renumber diff->stuck[].group. */
int cleak__diff_rank(struct cleak_diff *d, const struct cleak_diff_opts *opts);
/* Neither running nor runnable: waiting on something. */
bool cleak__goroutine_blocked(const struct cleak_goroutine *g);
bool cleak__thread_blocked(const struct cleak_thread *t);

/* Kernel's PF_KTHREAD (include/linux/sched.h). */
#define CLEAK__PF_KTHREAD 0x00200000UL

/* snapshot.c: free every thread of snap, to capture them again. */
void cleak__snapshot_drop_threads(struct cleak_snapshot *snap);

/* access.c: EPERM, with a message that says why this cleak may not
 * ptrace `pid` and the one thing that would let it. */
int cleak__permission_error(pid_t pid);
/* This process's pid as /proc names it, -1 when unknown. */
pid_t cleak__own_proc_pid(void);

#endif
