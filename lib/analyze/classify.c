// SPDX-License-Identifier: MIT
/*
 * What each thread waits for, from data already in the snapshot: the
 * state, the syscall line (number and arguments), wchan, the memory the
 * call points at (copied by resources.c), the descriptor table and the top
 * frames.  No process is touched here, so a unit test can feed it.
 *
 * Frames matter for futex waits: the kernel only sees "futex word X", and
 * glibc's exported entry points (pthread_mutex_lock, pthread_cond_wait,
 * ...) are in .dynsym even when libc has no debug symbols.  Where even
 * those are missing (a tail call into an internal function), the futex
 * operation and the word's value still tell a PI mutex and a join.
 *
 * Which call means which kind of wait, and which argument is what, is the
 * table's (syscalls.c); this file reads what those arguments hold.
 */
#include "capture/capture.h"
#include "internal.h"
#include "syscalls.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* How deep into a stack the pthread entry point may be. */
#define FRAMES_TO_LOOK_AT 8

static const char *const kind_names[CLEAK_WAIT__COUNT] = {
	[CLEAK_WAIT_UNKNOWN] = "unknown",	[CLEAK_WAIT_RUNNING] = "running",
	[CLEAK_WAIT_MUTEX] = "mutex",		[CLEAK_WAIT_RWLOCK] = "rwlock",
	[CLEAK_WAIT_CONDVAR] = "condvar",	[CLEAK_WAIT_SEMAPHORE] = "semaphore",
	[CLEAK_WAIT_FUTEX] = "futex",		[CLEAK_WAIT_JOIN] = "join",
	[CLEAK_WAIT_POLL] = "poll",		[CLEAK_WAIT_READ] = "read",
	[CLEAK_WAIT_WRITE] = "write",		[CLEAK_WAIT_ACCEPT] = "accept",
	[CLEAK_WAIT_CONNECT] = "connect",	[CLEAK_WAIT_SLEEP] = "sleep",
	[CLEAK_WAIT_CHILD] = "wait-child",	[CLEAK_WAIT_SIGNAL] = "signal",
	[CLEAK_WAIT_DISK] = "disk",		[CLEAK_WAIT_STOPPED] = "stopped",
	[CLEAK_WAIT_ZOMBIE] = "zombie",		[CLEAK_WAIT_SYSCALL] = "syscall",
};

const char *cleak_wait_kind_name(enum cleak_wait_kind kind)
{
	return (unsigned)kind < CLEAK_WAIT__COUNT ? kind_names[kind] : NULL;
}

int cleak_wait_kind_from_name(const char *name)
{
	int i;

	for (i = 0; name && i < CLEAK_WAIT__COUNT; i++)
		if (strcmp(kind_names[i], name) == 0)
			return i;
	return -1;
}

/* ---- frames: which pthread call is this futex wait? ---- */

enum frame_hint {
	HINT_NONE, HINT_MUTEX, HINT_RDLOCK, HINT_WRLOCK, HINT_COND, HINT_SEM, HINT_JOIN,
	HINT_BARRIER, HINT_ONCE, HINT_INTERNAL_LOCK, HINT_SLEEP, HINT_POLL,
};

/* glibc's names without their decoration: "__GI___pthread_mutex_lock",
 * "___pthread_rwlock_rdlock", "__pthread_cond_timedwait64" and
 * "__new_sem_wait_slow64.constprop.0" become "pthread_mutex_lock",
 * "pthread_rwlock_rdlock", "pthread_cond_timedwait", "new_sem_wait_slow". */
static void bare_name(const char *fn, char *out, size_t size)
{
	size_t n;

	if (strncmp(fn, "__GI_", 5) == 0)
		fn += 5;
	while (*fn == '_')
		fn++;
	snprintf(out, size, "%s", fn);
	/* GCC's clones: "__new_sem_wait_slow64.constprop.0" */
	out[strcspn(out, ".")] = '\0';
	n = strlen(out);
	if (n > 2 && strcmp(out + n - 2, "64") == 0)
		out[n - 2] = '\0';
}

static const struct {
	const char *name;
	enum frame_hint hint;
} known_functions[] = {
	{ "pthread_mutex_lock", HINT_MUTEX },
	{ "pthread_mutex_timedlock", HINT_MUTEX },
	{ "pthread_mutex_clocklock", HINT_MUTEX },
	{ "pthread_mutex_lock_full", HINT_MUTEX },
	{ "pthread_mutex_clocklock_common", HINT_MUTEX },
	/* pthread_cond_wait re-taking its mutex after the wake-up */
	{ "pthread_mutex_cond_lock", HINT_MUTEX },
	{ "pthread_mutex_cond_lock_full", HINT_MUTEX },
	{ "mtx_lock", HINT_MUTEX },
	{ "mtx_timedlock", HINT_MUTEX },
	{ "pthread_rwlock_rdlock", HINT_RDLOCK },
	{ "pthread_rwlock_timedrdlock", HINT_RDLOCK },
	{ "pthread_rwlock_clockrdlock", HINT_RDLOCK },
	{ "pthread_rwlock_rdlock_full", HINT_RDLOCK },
	{ "pthread_rwlock_wrlock", HINT_WRLOCK },
	{ "pthread_rwlock_timedwrlock", HINT_WRLOCK },
	{ "pthread_rwlock_clockwrlock", HINT_WRLOCK },
	{ "pthread_rwlock_wrlock_full", HINT_WRLOCK },
	{ "pthread_cond_wait", HINT_COND },
	{ "pthread_cond_timedwait", HINT_COND },
	{ "pthread_cond_clockwait", HINT_COND },
	{ "pthread_cond_wait_common", HINT_COND },
	{ "cnd_wait", HINT_COND },
	{ "cnd_timedwait", HINT_COND },
	{ "sem_wait", HINT_SEM },
	{ "sem_timedwait", HINT_SEM },
	{ "sem_clockwait", HINT_SEM },
	{ "new_sem_wait_slow", HINT_SEM },
	{ "pthread_join", HINT_JOIN },
	{ "pthread_timedjoin_np", HINT_JOIN },
	{ "pthread_clockjoin_np", HINT_JOIN },
	{ "pthread_clockjoin_ex", HINT_JOIN },
	{ "thrd_join", HINT_JOIN },
	{ "pthread_barrier_wait", HINT_BARRIER },
	{ "pthread_once", HINT_ONCE },
	{ "pthread_once_slow", HINT_ONCE },
	{ "lll_lock_wait_private", HINT_INTERNAL_LOCK },
	{ "nanosleep", HINT_SLEEP },
	{ "clock_nanosleep", HINT_SLEEP },
	{ "sleep", HINT_SLEEP },
	{ "usleep", HINT_SLEEP },
	{ "thrd_sleep", HINT_SLEEP },
	{ "poll", HINT_POLL },
};

static enum frame_hint hint_from_frames(const struct cleak_thread *t)
{
	size_t i, k;
	char name[128];

	for (i = 0; i < t->nframes && i < FRAMES_TO_LOOK_AT; i++) {
		if (!t->frames[i].function)
			continue;
		bare_name(t->frames[i].function, name, sizeof(name));
		for (k = 0; k < CLEAK__ARRAY_SIZE(known_functions); k++)
			if (strcmp(name, known_functions[k].name) == 0)
				return known_functions[k].hint;
	}
	return HINT_NONE;
}

/* ---- helpers over the copied memory ---- */

static bool read_u32(const struct cleak_thread *t, uint64_t addr, uint32_t *out)
{
	const uint8_t *p = cleak__waitmem_at(t, CLEAK_WAITMEM_OBJECT, addr, 4);

	if (p)
		memcpy(out, p, 4);
	return p != NULL;
}

/*
 * A thread id read from the target's memory, as we see it.  In a pid
 * namespace of its own (a container) the target's ids differ from ours:
 * translate through the ids recorded at capture; an id that names none
 * of its threads stays as it is (with ns set, the caller says so).
 */
static pid_t our_tid(const struct cleak_snapshot *snap, pid_t inner, bool *foreign)
{
	size_t i;

	*foreign = false;
	if (inner <= 0 || !snap->nthreads || !snap->threads[0].ns_tid)
		return inner;
	for (i = 0; i < snap->nthreads; i++)
		if (snap->threads[i].ns_tid == inner)
			return snap->threads[i].tid;
	*foreign = true;
	return inner;
}

static void set_owner(struct cleak__strpool *pool, const struct cleak_snapshot *snap,
		      struct cleak_wait *w, pid_t inner)
{
	char text[160];
	bool foreign;

	w->owner_tid = our_tid(snap, inner, &foreign);
	if (!foreign)
		return;
	snprintf(text, sizeof(text), "held by thread %d of the target's pid namespace, "
		 "which is none of its threads: holder unknown", inner);
	w->owner_tid = 0;
	w->detail = cleak__intern(pool, text);
}

/* A copied struct timespec (or timeval, `usec`) in milliseconds; -1. */
static int64_t copied_ms(const struct cleak_thread *t, uint64_t addr, bool usec)
{
	const uint8_t *p = cleak__waitmem_at(t, CLEAK_WAITMEM_TIMEOUT, addr, 16);
	int64_t sec, frac;

	if (!p)
		return -1;
	memcpy(&sec, p, 8);
	memcpy(&frac, p + 8, 8);
	if (sec < 0 || frac < 0)
		return -1;
	/* "sleep infinity" passes {INT64_MAX, 999999999}: no overflow. */
	if (sec > INT64_MAX / 1000 - 1)
		return INT64_MAX;
	return sec * 1000 + (usec ? frac / 1000 : frac / 1000000);
}

/* An absolute deadline on `clock` as time left at capture; -1 unknown. */
static int64_t left_ms(const struct cleak_snapshot *snap, int64_t deadline_ms, int clock)
{
	int64_t now = clock == 0 ? snap->capture.time_unix_ms
		    : clock == 1 ? snap->capture.time_mono_ms : -1;

	if (deadline_ms < 0 || now <= 0)
		return -1;
	if (deadline_ms == INT64_MAX)
		return INT64_MAX;
	return deadline_ms > now ? deadline_ms - now : 0;
}

/* Past a century a timeout is a way of writing "forever" (sleep infinity). */
#define FOREVER_MS (100LL * 365 * 24 * 3600 * 1000)

static void set_timeout(struct cleak_wait *w, bool bounded, int64_t ms)
{
	if (bounded && ms >= FOREVER_MS)
		bounded = false;
	w->timeout = bounded ? CLEAK_TIMEOUT_BOUNDED : CLEAK_TIMEOUT_NONE;
	w->timeout_ms = bounded ? ms : -1;
}

/* A relative timeout as the call was given it, in the table's unit; a
 * call without one leaves the wait as it is. */
static void call_timeout(const struct cleak_thread *t, const struct cleak__syscall_info *sc,
			 struct cleak_wait *w)
{
	int i = cleak__syscall_arg(sc, CLEAK__ARG_TIMEOUT);
	uint64_t v = i < 0 ? 0 : t->syscall_args[i];

	switch (i < 0 ? CLEAK__TIME_NONE : sc->unit) {
	case CLEAK__TIME_MS:
		set_timeout(w, (int)v >= 0, (int)v);
		break;
	case CLEAK__TIME_TIMESPEC:
	case CLEAK__TIME_TIMEVAL:
		set_timeout(w, v != 0, copied_ms(t, v, sc->unit == CLEAK__TIME_TIMEVAL));
		break;
	default:
		break;
	}
}

/* ---- futex waits ---- */

/* glibc x86-64 pthread_mutex_t: __lock, __count, __owner, __nusers, __kind. */
#define MUTEX_OWNER 8
#define MUTEX_KIND 16
/* PTHREAD_MUTEX_KIND_MASK_NP | ROBUST | PRIO_INHERIT | PRIO_PROTECT |
 * PSHARED | ELISION bits (glibc nptl/pthreadP.h). */
#define MUTEX_KIND_BITS 0x3ffu
#define MUTEX_ROBUST 0x10u
#define MUTEX_INCONSISTENT 0x7fffffff
#define MUTEX_NOTRECOVERABLE 0x7ffffffe

static void mutex_owner(struct cleak__strpool *pool, const struct cleak_snapshot *snap,
			const struct cleak_thread *t, uint64_t word, struct cleak_wait *w)
{
	uint32_t lock, owner, kind;

	if (!read_u32(t, word, &lock) || !read_u32(t, word + MUTEX_OWNER, &owner) ||
	    !read_u32(t, word + MUTEX_KIND, &kind))
		return;
	if (kind & ~MUTEX_KIND_BITS) {
		w->detail = cleak__intern(pool, "not laid out like a glibc mutex: holder unknown");
		return;
	}
	if (owner == MUTEX_INCONSISTENT || owner == MUTEX_NOTRECOVERABLE) {
		w->detail = cleak__intern(pool, "robust mutex whose holder died holding it");
		return;
	}
	/* A robust mutex also keeps its holder's tid in the lock word. */
	if (!owner && (kind & MUTEX_ROBUST))
		owner = lock & FUTEX_TID_MASK;
	set_owner(pool, snap, w, (pid_t)owner);
}

/*
 * glibc >= 2.25 x86-64 pthread_rwlock_t: __readers (0), __writers (4),
 * __wrphase_futex (8), __writers_futex (12), __cur_writer (24),
 * __shared (28), __flags (48).  Waiters sleep on different words
 * (nptl/pthread_rwlock_common.c): readers on __wrphase_futex with value
 * 1|FUTEX_USED, or on __readers; writers on __writers_futex with value
 * 1|FUTEX_USED, or on __wrphase_futex with value FUTEX_USED.
 */
static void rwlock_owner(struct cleak__strpool *pool, const struct cleak_snapshot *snap,
			 const struct cleak_thread *t, uint64_t word, uint32_t val, bool for_write,
			 struct cleak_wait *w)
{
	uint64_t base;
	uint32_t wrphase, writers_futex, cur_writer, shared, flags;

	if (for_write)
		base = val == 3 ? word - 12 : word - 8;
	else
		base = val == 3 ? word - 8 : word;
	if (!read_u32(t, base + 8, &wrphase) || !read_u32(t, base + 12, &writers_futex) ||
	    !read_u32(t, base + 24, &cur_writer) || !read_u32(t, base + 28, &shared) ||
	    !read_u32(t, base + 48, &flags)) {
		w->detail = cleak__intern(pool, "its memory could not be read: holder unknown");
		return;
	}
	/* Only a structure that looks like an rwlock names a writer. */
	if (wrphase > 3 || writers_futex > 3 || flags > 2 || shared > 1) {
		w->detail = cleak__intern(pool, "not laid out like a glibc rwlock: holder unknown");
		return;
	}
	w->address = base;
	set_owner(pool, snap, w, (pid_t)cur_writer);
}

static void classify_futex(const struct cleak_snapshot *snap, struct cleak__strpool *pool,
			   const struct cleak_thread *t, enum frame_hint hint,
			   struct cleak_wait *w)
{
	const uint64_t *a = t->syscall_args;
	unsigned op = (unsigned)(a[1] & FUTEX_CMD_MASK);
	bool realtime = a[1] & FUTEX_CLOCK_REALTIME;
	uint32_t val = (uint32_t)a[2], word = 0, nwaiters;
	char text[128];
	bool foreign;
	pid_t joined;

	w->kind = CLEAK_WAIT_FUTEX;
	w->address = a[0];
	switch (op) {
	case FUTEX_WAIT:	/* relative timeout */
		set_timeout(w, a[3] != 0, copied_ms(t, a[3], false));
		break;
	case FUTEX_WAIT_BITSET:	/* absolute, CLOCK_MONOTONIC unless told */
	case FUTEX_WAIT_REQUEUE_PI:
		set_timeout(w, a[3] != 0, left_ms(snap, copied_ms(t, a[3], false), realtime ? 0 : 1));
		break;
	case FUTEX_LOCK_PI:	/* absolute on CLOCK_REALTIME (futex(2)) */
		set_timeout(w, a[3] != 0, left_ms(snap, copied_ms(t, a[3], false), 0));
		break;
	case FUTEX_LOCK_PI2:
		set_timeout(w, a[3] != 0, left_ms(snap, copied_ms(t, a[3], false), realtime ? 0 : 1));
		break;
	default:
		break;
	}
	/* A PI mutex: the kernel manages it and the lock word is the holder. */
	if (op == FUTEX_LOCK_PI || op == FUTEX_LOCK_PI2) {
		w->kind = CLEAK_WAIT_MUTEX;
		w->detail = cleak__intern(pool, "priority-inheritance mutex");
		if (read_u32(t, a[0], &word))
			set_owner(pool, snap, w, (pid_t)(word & FUTEX_TID_MASK));
		return;
	}
	read_u32(t, a[0], &word);
	/*
	 * Under pthread_cond_wait, a plain FUTEX_WAIT for the value 2 (a
	 * contended lll lock; __lll_lock_wait always waits for 2) is the
	 * thread re-taking the mutex after its wake-up
	 * (__pthread_mutex_cond_lock), when libc has no symbols to name that
	 * frame.  Condvar waits use FUTEX_WAIT_BITSET since glibc 2.34, but
	 * plain FUTEX_WAIT for other values before.
	 */
	if (hint == HINT_COND && op == FUTEX_WAIT && val == 2)
		hint = HINT_MUTEX;
	switch (hint) {
	case HINT_MUTEX:
		w->kind = CLEAK_WAIT_MUTEX;
		mutex_owner(pool, snap, t, a[0], w);
		return;
	case HINT_RDLOCK:
	case HINT_WRLOCK:
		w->kind = CLEAK_WAIT_RWLOCK;
		w->for_write = hint == HINT_WRLOCK;
		rwlock_owner(pool, snap, t, a[0], val, w->for_write, w);
		return;
	case HINT_COND:
		/* glibc keeps neither the condvar's mutex nor its signallers:
		 * the address is the futex word inside the condvar. */
		w->kind = CLEAK_WAIT_CONDVAR;
		return;
	case HINT_SEM:
		/* glibc's 64-bit sem_t: value in the low word, waiters above. */
		w->kind = CLEAK_WAIT_SEMAPHORE;
		if (read_u32(t, a[0] + 4, &nwaiters)) {
			snprintf(text, sizeof(text), "value %u, %u waiting", word, nwaiters);
			w->detail = cleak__intern(pool, text);
		}
		return;
	case HINT_BARRIER:
		w->detail = cleak__intern(pool, "pthread_barrier_wait");
		return;
	case HINT_ONCE:
		w->detail = cleak__intern(pool, "pthread_once: another thread runs the initializer");
		return;
	case HINT_INTERNAL_LOCK:
		w->detail = cleak__intern(pool, "a lock inside the C library (malloc, stdio, ...)");
		return;
	default:
		break;
	}
	/*
	 * pthread_join sleeps on the joined thread's tid field, which the
	 * kernel clears and wakes with a shared futex when that thread exits
	 * (CLONE_CHILD_CLEARTID, clone(2)): a shared wait on a word holding a
	 * tid of this process is a join even without symbols.
	 */
	joined = our_tid(snap, (pid_t)val, &foreign);
	if (hint == HINT_JOIN || (!(a[1] & FUTEX_PRIVATE_FLAG) && word == val && !foreign &&
				  cleak_snapshot_thread(snap, joined) && joined != t->tid)) {
		w->kind = CLEAK_WAIT_JOIN;
		w->joined_tid = joined;
	}
}

/* ---- descriptors ---- */

static void set_fd(const struct cleak_snapshot *snap, struct cleak_wait *w, int fd)
{
	const struct cleak_fd *f = cleak__snapshot_fd(snap, fd);

	w->fd = fd;
	w->resource = f ? f->resource : NULL;
	/* A pipe, file or terminal waits until the other side acts; a
	 * socket may carry SO_RCVTIMEO/SO_SNDTIMEO, which /proc does not show. */
	if (f && f->link && strncmp(f->link, "socket:", 7) == 0)
		w->timeout = CLEAK_TIMEOUT_UNKNOWN;
	else
		w->timeout = CLEAK_TIMEOUT_NONE;
}

static int add_watched(const struct cleak_snapshot *snap, struct cleak_wait *w,
		       const int *fds, size_t n)
{
	size_t i;

	if (!n)
		return 0;
	w->watched = calloc(n, sizeof(*w->watched));
	if (!w->watched)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct cleak_fd *f = cleak__snapshot_fd(snap, fds[i]);

		w->watched[i].fd = fds[i];
		w->watched[i].resource = f ? f->resource : NULL;
	}
	w->nwatched = n;
	return 0;
}

static int classify_poll(const struct cleak_snapshot *snap, const struct cleak_thread *t,
			 struct cleak_wait *w)
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(cleak__restarted_syscall(t));
	const struct cleak_fd *ep;
	int fds[64], i;
	size_t n;

	w->kind = CLEAK_WAIT_POLL;
	call_timeout(t, sc, w);
	i = cleak__syscall_arg(sc, CLEAK__ARG_EPOLL_FD);
	if (i >= 0) {
		/* an epoll waits on its interest set (fdinfo, resources.c) */
		w->fd = (int)t->syscall_args[i];
		ep = cleak__snapshot_fd(snap, w->fd);
		w->resource = ep ? ep->resource : NULL;
		return ep ? add_watched(snap, w, ep->watched, ep->nwatched) : 0;
	}
	n = cleak__wait_fds(t, fds, CLEAK__ARRAY_SIZE(fds));
	/* poll(NULL, 0, ms) and select(0, NULL, NULL, NULL, &tv) are how
	 * some code sleeps: nothing to watch, only the timeout. */
	if (!n && w->timeout == CLEAK_TIMEOUT_BOUNDED)
		w->kind = CLEAK_WAIT_SLEEP;
	return add_watched(snap, w, fds, n);
}

/* ---- children ---- */

/* A child's pid from the target's arguments, as we see it (pid namespaces,
 * as for threads above). */
static pid_t our_child_pid(const struct cleak_snapshot *snap, pid_t inner)
{
	size_t i;

	for (i = 0; i < snap->nchildren; i++)
		if (snap->children[i].ns_pid == inner)
			return snap->children[i].pid;
	return inner;
}

static void classify_child_comm(const struct cleak_snapshot *snap, struct cleak__strpool *pool,
				struct cleak_wait *w)
{
	size_t i;

	for (i = 0; i < snap->nchildren; i++)
		if (snap->children[i].pid == w->child_pid)
			w->child_comm = cleak__intern(pool, snap->children[i].comm);
}

/* A clone is a child wait only as a vfork: CLONE_VFORK in its flags, or,
 * for clone3, whose flags are in memory capture does not copy, a parent
 * in uninterruptible sleep.  waitpid, waitid and vfork always are. */
static bool waits_for_child(const struct cleak_thread *t, const struct cleak__syscall_info *sc)
{
	int flags = cleak__syscall_arg(sc, CLEAK__ARG_CLONE_FLAGS);

	if (flags >= 0)
		return t->syscall_args[flags] & CLONE_VFORK;
	if (cleak__syscall_arg(sc, CLEAK__ARG_CLONE_ARGS) >= 0)
		return t->state == 'D';
	return true;
}

static void classify_child(const struct cleak_snapshot *snap, struct cleak__strpool *pool,
			   const struct cleak_thread *t, const struct cleak__syscall_info *sc,
			   struct cleak_wait *w)
{
	const uint64_t *a = t->syscall_args;
	int pid = cleak__syscall_arg(sc, CLEAK__ARG_PID);
	int idtype = cleak__syscall_arg(sc, CLEAK__ARG_IDTYPE);
	pid_t id = (pid_t)cleak__syscall_argval(sc, a, CLEAK__ARG_ID);
	char text[256];
	size_t i, len = 0;

	w->kind = CLEAK_WAIT_CHILD;
	w->timeout = CLEAK_TIMEOUT_NONE;
	w->child_pid = -1;
	if (pid < 0 && idtype < 0) {
		/* vfork: the child is the one this very thread created. */
		w->detail = cleak__intern(pool, "vfork: the parent sleeps until the child "
					  "calls exec or exits");
		for (i = 0; i < snap->nchildren; i++)
			if (snap->children[i].parent_tid == t->tid)
				w->child_pid = snap->children[i].pid;
		classify_child_comm(snap, pool, w);
		return;
	}
	if (pid >= 0 && (pid_t)a[pid] > 0)
		w->child_pid = our_child_pid(snap, (pid_t)a[pid]);
	else if (idtype >= 0 && a[idtype] == P_PID)
		w->child_pid = our_child_pid(snap, id);
	else if (idtype >= 0 && a[idtype] == P_PIDFD)
		w->detail = cleak__intern(pool, "the child behind a pidfd");
	classify_child_comm(snap, pool, w);
	if (w->child_pid != -1 || !snap->nchildren)
		return;
	/* Any child: name them. */
	text[0] = '\0';
	for (i = 0; i < snap->nchildren && i < 8 && len < sizeof(text); i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d (%s)", i ? ", " : "any of ",
					snap->children[i].pid, snap->children[i].comm);
	if (i < snap->nchildren && len < sizeof(text))
		snprintf(text + len, sizeof(text) - len, ", ... (%zu children)", snap->nchildren);
	w->resource = cleak__intern(pool, text);
}

/* ---- signals ---- */

static void classify_signal(struct cleak__strpool *pool, const struct cleak_thread *t,
			    const struct cleak__syscall_info *sc, struct cleak_wait *w)
{
	const uint8_t *set;
	uint64_t bits;
	char text[256];
	size_t len = 0;
	int sig;

	w->kind = CLEAK_WAIT_SIGNAL;
	/* pause and sigsuspend wait for any signal, for ever */
	if (cleak__syscall_arg(sc, CLEAK__ARG_SIGSET) < 0) {
		w->timeout = CLEAK_TIMEOUT_NONE;
		return;
	}
	call_timeout(t, sc, w);
	set = cleak__waitmem_at(t, CLEAK_WAITMEM_OBJECT,
				cleak__syscall_argval(sc, t->syscall_args, CLEAK__ARG_SIGSET), 8);
	if (!set)
		return;
	memcpy(&bits, set, 8);
	for (sig = 1; sig <= 64 && len < sizeof(text); sig++) {
		const char *name = sigabbrev_np(sig);

		if (!(bits & (1ULL << (sig - 1))))
			continue;
		if (name)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%sSIG%s",
						len ? " " : "for ", name);
		else
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d",
						len ? " " : "for signal ", sig);
	}
	if (len)
		w->detail = cleak__intern(pool, text);
}

/* ---- one thread ---- */

/* After a ptrace stop (anyone's), an interrupted timed wait shows as
 * restart_syscall; wchan (cleak__restarted_syscall), or else the frames,
 * say what it was. */
static long restarted_as(const struct cleak_thread *t, enum frame_hint hint)
{
	long nr = cleak__restarted_syscall(t);

	if (nr != SYS_restart_syscall)
		return nr;
	if (hint == HINT_SLEEP)
		return SYS_clock_nanosleep;
	if (hint == HINT_POLL)
		return SYS_poll;
	if (hint != HINT_NONE)
		return SYS_futex;
	return SYS_restart_syscall;
}

/* nanosleep, and clock_nanosleep, whose timespec may be a deadline. */
static void classify_sleep(const struct cleak_snapshot *snap, const struct cleak_thread *t,
			   const struct cleak__syscall_info *sc, struct cleak_wait *w)
{
	const uint64_t *a = t->syscall_args;
	int64_t ms = copied_ms(t, cleak__syscall_argval(sc, a, CLEAK__ARG_TIMEOUT), false);
	int clock = (int)cleak__syscall_argval(sc, a, CLEAK__ARG_CLOCK);

	w->kind = CLEAK_WAIT_SLEEP;
	if (cleak__syscall_argval(sc, a, CLEAK__ARG_SLEEP_FLAGS) & TIMER_ABSTIME)
		set_timeout(w, true, left_ms(snap, ms, clock));
	else
		set_timeout(w, true, ms);
}

static int classify_syscall(const struct cleak_snapshot *snap, struct cleak__strpool *pool,
			    const struct cleak_thread *t, struct cleak_wait *w)
{
	enum frame_hint hint = hint_from_frames(t);
	const struct cleak__syscall_info *sc;
	long nr = t->syscall_nr;
	char text[96];
	int fd;

	if (nr == SYS_restart_syscall) {
		nr = restarted_as(t, hint);
		if (nr == SYS_clock_nanosleep) {
			w->kind = CLEAK_WAIT_SLEEP;
			set_timeout(w, true, -1);
			return 0;
		}
		/* poll(fds, nfds, ms): its arguments are still in the
		 * registers, and the time left is at most the original ms */
		if (nr == SYS_poll)
			return classify_poll(snap, t, w);
	}
	sc = cleak__syscall_info(nr);
	switch (sc ? sc->kind : CLEAK_WAIT_SYSCALL) {
	case CLEAK_WAIT_FUTEX:
		/* A restarted futex wait keeps its original arguments in the
		 * registers the syscall line shows. */
		classify_futex(snap, pool, t, hint, w);
		return 0;
	case CLEAK_WAIT_READ:
	case CLEAK_WAIT_WRITE:
	case CLEAK_WAIT_ACCEPT:
	case CLEAK_WAIT_CONNECT:
		w->kind = sc->kind;
		set_fd(snap, w, (int)cleak__syscall_argval(sc, t->syscall_args, CLEAK__ARG_FD));
		return 0;
	case CLEAK_WAIT_POLL:
		return classify_poll(snap, t, w);
	case CLEAK_WAIT_SLEEP:
		classify_sleep(snap, t, sc, w);
		return 0;
	case CLEAK_WAIT_CHILD:
		if (!waits_for_child(t, sc))
			break;
		classify_child(snap, pool, t, sc, w);
		return 0;
	case CLEAK_WAIT_SIGNAL:
		classify_signal(pool, t, sc, w);
		return 0;
	default:
		break;
	}
	w->kind = CLEAK_WAIT_SYSCALL;
	if (!cleak_syscall_name(nr)) {
		snprintf(text, sizeof(text), "system call %ld", nr);
		w->detail = cleak__intern(pool, text);
	}
	/* A file lock, a flush, an ioctl: on a descriptor, for as long as
	 * whatever is behind it takes. */
	fd = cleak__syscall_arg(sc, CLEAK__ARG_FD);
	if (fd >= 0) {
		set_fd(snap, w, (int)t->syscall_args[fd]);
		w->timeout = CLEAK_TIMEOUT_UNKNOWN;
	}
	return 0;
}

/*
 * A stopped thread keeps what it was waiting for (owner, descriptor), so
 * that a deadlock in a process someone stopped is still found; only its
 * kind says "stopped".
 */
static void mark_stopped(struct cleak__strpool *pool, const struct cleak_thread *t,
			 struct cleak_wait *w)
{
	w->stopped_while = w->kind;
	w->kind = CLEAK_WAIT_STOPPED;
	w->detail = cleak__intern(pool, t->state == 't'
		? "stopped by a debugger or tracer (tracing stop)"
		: "stopped by a signal (SIGSTOP, SIGTSTP, ...); SIGCONT resumes it");
	w->timeout = CLEAK_TIMEOUT_NONE;
	w->timeout_ms = -1;
}

static int classify_thread(const struct cleak_snapshot *snap, struct cleak__strpool *pool,
			   struct cleak_thread *t)
{
	struct cleak_wait *w = &t->wait;
	char text[160];
	int err = 0;

	free(w->watched);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->timeout_ms = -1;
	if (t->state == 'Z' || t->state == 'X') {
		w->kind = CLEAK_WAIT_ZOMBIE;
		return 0;
	}
	if (t->syscall_nr >= 0)
		err = classify_syscall(snap, pool, t, w);
	else if (t->syscall_nr == -2 || t->state == 'R')
		w->kind = CLEAK_WAIT_RUNNING;
	else
		w->detail = cleak__intern(pool, "blocked outside a system call");
	if (t->state == 'T' || t->state == 't' || t->was_stopped) {
		mark_stopped(pool, t, w);
		return err;
	}
	/* Uninterruptible sleep: the call is stuck in the kernel (disk,
	 * NFS, FUSE, a kernel lock), except a vfork parent, which waits
	 * killably for its child. */
	if (t->state == 'D' && w->kind != CLEAK_WAIT_CHILD) {
		w->kind = CLEAK_WAIT_DISK;
		w->timeout = CLEAK_TIMEOUT_UNKNOWN;
		snprintf(text, sizeof(text), "uninterruptible sleep%s%s",
			 t->wchan[0] ? " in " : "", t->wchan);
		w->detail = cleak__intern(pool, text);
	}
	return err;
}

int cleak_snapshot_classify(struct cleak_snapshot *snap)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	size_t i;
	int err;

	if (!pool)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < snap->nthreads; i++) {
		err = classify_thread(snap, pool, &snap->threads[i]);
		if (err)
			return cleak__fail(-err, "cannot classify thread %d: %s",
					   snap->threads[i].tid, strerror(-err));
	}
	return 0;
}
