// SPDX-License-Identifier: MIT
/*
 * cleak_snapshot_classify() and cleak_snapshot_find_deadlocks() over
 * synthetic snapshots: threads with the state, syscall line, wchan, frames
 * and copied wait memory that capture and symbolize would have left, as
 * glibc 2.36 on x86-64 produces them.  No process is touched.
 */
#include "internal.h"
#include "unit.h"

#include <json-c/json.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#define PID 4000
#define TID_A 4001
#define TID_B 4002
#define TID_C 4003

/* When the synthetic capture happened, on both clocks. */
#define NOW_UNIX_MS 1700000000123LL
#define NOW_MONO_MS 86400000LL

/* Where capture copies around a futex word (lib/waitargs.c). */
#define FUTEX_BEFORE 16
#define FUTEX_AFTER 64

/* FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME: glibc's
 * __futex_abstimed_wait_common64 on CLOCK_REALTIME, private. */
#define OP_WAIT_BITSET_RT_PRIVATE 0x189
/* The same, shared: pthread_join waits this way. */
#define OP_WAIT_BITSET_RT_SHARED 0x109

/*
 * Every snapshot a case makes is released after it, even when a CHECK
 * returned early, so that valgrind sees no leak from a failing case.
 */
static struct cleak_snapshot *tracked[4];

static struct cleak_snapshot *track(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(tracked); i++)
		if (!tracked[i]) {
			tracked[i] = snap;
			return snap;
		}
	fprintf(stderr, "test-classify: too many snapshots in one case\n");
	abort();
}

static void release_tracked(void)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(tracked); i++) {
		cleak_snapshot_free(tracked[i]);
		tracked[i] = NULL;
	}
}

#define RUN_CASE(fn)                                                             \
	do {                                                                     \
		RUN(fn);                                                         \
		release_tracked();                                               \
	} while (0)

/* A snapshot of `n` sleeping threads TID_A, TID_B, ... outside any call. */
static struct cleak_snapshot *new_snap(size_t n)
{
	struct cleak_snapshot *snap = calloc(1, sizeof(*snap));
	size_t i;

	if (!snap || !(snap->threads = calloc(n ? n : 1, sizeof(*snap->threads)))) {
		fprintf(stderr, "test-classify: out of memory\n");
		abort();
	}
	track(snap);
	snap->pid = PID;
	strcpy(snap->comm, "synthetic");
	snap->capture.time_unix_ms = NOW_UNIX_MS;
	snap->capture.time_mono_ms = NOW_MONO_MS;
	snap->nthreads = n;
	for (i = 0; i < n; i++) {
		struct cleak_thread *t = &snap->threads[i];

		t->tid = TID_A + (pid_t)i;
		snprintf(t->name, sizeof(t->name), "t%zu", i);
		t->state = 'S';
		t->syscall_nr = -1;
	}
	return snap;
}

static void set_syscall(struct cleak_thread *t, long nr, uint64_t a0, uint64_t a1,
			uint64_t a2, uint64_t a3)
{
	t->syscall_nr = nr;
	t->syscall_args[0] = a0;
	t->syscall_args[1] = a1;
	t->syscall_args[2] = a2;
	t->syscall_args[3] = a3;
}

/* Frames as symbolize leaves them, innermost first; NULL for "??".  The
 * names are literals: cleak_snapshot_free() frees the array, never the
 * strings (they normally live in the snapshot's pool). */
static void set_frames(struct cleak_thread *t, const char *const *names, size_t n)
{
	size_t i;

	t->frames = calloc(n, sizeof(*t->frames));
	if (!t->frames)
		abort();
	for (i = 0; i < n; i++) {
		t->frames[i].pc = 0x7f0000010000 + 0x40 * i;
		t->frames[i].function = (char *)names[i];
	}
	t->nframes = n;
}

#define FRAMES(t, ...)                                                           \
	do {                                                                     \
		static const char *const _names[] = { __VA_ARGS__ };             \
		set_frames((t), _names, CLEAK__ARRAY_SIZE(_names));              \
	} while (0)

static void set_mem(struct cleak_thread *t, enum cleak_waitmem_slot slot, uint64_t addr,
		    const void *bytes, uint32_t len)
{
	struct cleak_memcopy *m = &t->waitmem[slot];

	free(m->bytes);
	m->bytes = malloc(len);
	if (!m->bytes)
		abort();
	memcpy(m->bytes, bytes, len);
	m->addr = addr;
	m->len = len;
}

/* What capture copies for a futex wait on `word`: FUTEX_BEFORE bytes
 * before it and FUTEX_AFTER from it, with `obj` (a glibc structure that
 * starts at `objaddr`) in it and zeros elsewhere. */
static void set_futex_mem(struct cleak_thread *t, uint64_t word, uint64_t objaddr,
			  const void *obj, size_t objlen)
{
	uint8_t buf[FUTEX_BEFORE + FUTEX_AFTER] = { 0 };
	uint64_t start = word - FUTEX_BEFORE;

	if (objaddr < start || objaddr + objlen > start + sizeof(buf))
		abort();
	memcpy(buf + (objaddr - start), obj, objlen);
	set_mem(t, CLEAK_WAITMEM_OBJECT, start, buf, sizeof(buf));
}

static void set_timespec(struct cleak_thread *t, uint64_t addr, int64_t sec, int64_t nsec)
{
	int64_t ts[2] = { sec, nsec };

	set_mem(t, CLEAK_WAITMEM_TIMEOUT, addr, ts, sizeof(ts));
}

/* glibc x86-64 pthread_mutex_t: __lock, __count, __owner, __nusers, __kind,
 * __spins, __list (40 bytes). */
static void set_glibc_mutex(struct cleak_thread *t, uint64_t addr, uint32_t lock,
			    uint32_t owner, uint32_t kind)
{
	uint32_t m[10] = { lock, 0, owner, 1, kind };

	set_futex_mem(t, addr, addr, m, sizeof(m));
}

/* A thread blocked in pthread_mutex_lock on `addr`, held by `owner`,
 * frames as from a libc without debug symbols. */
static void mutex_waiter(struct cleak_thread *t, uint64_t addr, pid_t owner)
{
	set_syscall(t, SYS_futex, addr, FUTEX_WAIT_PRIVATE, 2, 0);
	FRAMES(t, NULL, "pthread_mutex_lock", "worker", "start_thread");
	set_glibc_mutex(t, addr, 2, (uint32_t)owner, 0);
}

static bool has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

/* ---- futex waits ---- */

static void classify_mutex_without_libc_symbols(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x55d0c0de4060;

	mutex_waiter(t, lock, TID_B);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK_STR(cleak_wait_kind_name(t->wait.kind), "mutex");
	CHECK(t->wait.address == lock);
	CHECK(t->wait.owner_tid == TID_B);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(t->wait.timeout_ms == -1);
	CHECK(t->wait.fd == -1);
	CHECK(t->wait.detail == NULL);
	CHECK(cleak_wait_holder(snap, t) == &snap->threads[1]);
}

static void classify_mutex_with_libc_debug_symbols(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x7ffd9a3c1e40;

	set_syscall(t, SYS_futex, lock, FUTEX_WAIT_PRIVATE, 2, 0);
	FRAMES(t, "futex_wait", "__GI___lll_lock_wait", "lll_mutex_lock_optimized",
	       "__pthread_mutex_lock", "cross", "start_thread", "clone3");
	set_glibc_mutex(t, lock, 2, TID_B, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.address == lock);
	CHECK(t->wait.owner_tid == TID_B);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

static void classify_mutex_with_foreign_kind_bits_has_no_holder(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x55d0c0de4060;

	set_syscall(t, SYS_futex, lock, FUTEX_WAIT_PRIVATE, 2, 0);
	FRAMES(t, NULL, "pthread_mutex_lock", "worker");
	set_glibc_mutex(t, lock, 2, TID_B, 0x12345678);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.address == lock);
	CHECK(t->wait.owner_tid == 0);
	CHECK(has(t->wait.detail, "holder unknown"));
	CHECK(cleak_wait_holder(snap, t) == NULL);
}

static void classify_mutex_robust_holder_from_lock_word(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x55d0c0de4060;

	/* Robust (kind 16): __owner not yet written, the lock word is
	 * holder | FUTEX_WAITERS. */
	set_syscall(t, SYS_futex, lock, FUTEX_WAIT_PRIVATE, TID_B | FUTEX_WAITERS, 0);
	FRAMES(t, NULL, "pthread_mutex_lock", "worker");
	set_glibc_mutex(t, lock, TID_B | FUTEX_WAITERS, 0, 16);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.owner_tid == TID_B);

	/* A robust mutex whose holder died: no holder to name. */
	set_glibc_mutex(t, lock, FUTEX_WAITERS, 0x7fffffff, 16);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.owner_tid == 0);
	CHECK(has(t->wait.detail, "died"));
}

static void classify_pi_mutex_by_futex_op_alone(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x55d0c0de5000;
	uint32_t word = TID_B | FUTEX_WAITERS;

	set_syscall(t, SYS_futex, lock, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, 0);
	FRAMES(t, NULL, NULL, "worker");
	set_futex_mem(t, lock, lock, &word, sizeof(word));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.address == lock);
	CHECK(t->wait.owner_tid == TID_B);
	CHECK(has(t->wait.detail, "priority-inheritance"));
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

/* glibc >= 2.25 x86-64 pthread_rwlock_t as 32-bit words: __readers [0],
 * __writers [1], __wrphase_futex [2], __writers_futex [3], __cur_writer
 * [6], __shared [7], __flags [12] (56 bytes). */
static void set_glibc_rwlock(struct cleak_thread *t, uint64_t word, uint64_t base,
			     uint32_t wrphase, uint32_t writers_futex, uint32_t cur_writer)
{
	uint32_t rw[14] = { 0 };

	rw[0] = 0xb;	/* one reader (1 << 3), PTHREAD_RWLOCK_WRPHASE | WRLOCKED */
	rw[2] = wrphase;
	rw[3] = writers_futex;
	rw[6] = cur_writer;
	set_futex_mem(t, word, base, rw, sizeof(rw));
}

static void classify_rwlock_reader_names_writer(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t base = 0x55d0c0de6000;

	/* Readers sleep on __wrphase_futex with 1 | PTHREAD_RWLOCK_FUTEX_USED. */
	set_syscall(t, SYS_futex, base + 8, OP_WAIT_BITSET_RT_PRIVATE, 3, 0);
	FRAMES(t, "__futex_abstimed_wait_common64", NULL, "pthread_rwlock_rdlock", "reader");
	set_glibc_rwlock(t, base + 8, base, 3, 0, TID_B);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_RWLOCK);
	CHECK(!t->wait.for_write);
	CHECK(t->wait.address == base);
	CHECK(t->wait.owner_tid == TID_B);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(cleak_wait_holder(snap, t) == &snap->threads[1]);
}

static void classify_rwlock_writer_on_writers_futex(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t base = 0x55d0c0de6000;

	/* Writers sleep on __writers_futex with 1 | PTHREAD_RWLOCK_FUTEX_USED. */
	set_syscall(t, SYS_futex, base + 12, OP_WAIT_BITSET_RT_PRIVATE, 3, 0);
	FRAMES(t, "__futex_abstimed_wait_common64", "__pthread_rwlock_wrlock_full64",
	       "___pthread_rwlock_wrlock", "writer");
	set_glibc_rwlock(t, base + 12, base, 1, 3, TID_B);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_RWLOCK);
	CHECK(t->wait.for_write);
	CHECK(t->wait.address == base);
	CHECK(t->wait.owner_tid == TID_B);
}

static void classify_condvar_untimed(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t word = 0x55d0c0de7008;

	set_syscall(t, SYS_futex, word, OP_WAIT_BITSET_RT_PRIVATE, 0, 0);
	FRAMES(t, "__futex_abstimed_wait_common64", "__futex_abstimed_wait_common",
	       "__pthread_cond_wait_common", "pthread_cond_wait", "consumer");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CONDVAR);
	CHECK(t->wait.address == word);
	CHECK(t->wait.owner_tid == 0);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(t->wait.timeout_ms == -1);
}

static void classify_condvar_timed_realtime_deadline(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t word = 0x55d0c0de7008, ts = 0x7ffd9a3c1d00;
	int64_t deadline_ms = NOW_UNIX_MS + 60000;

	set_syscall(t, SYS_futex, word, OP_WAIT_BITSET_RT_PRIVATE, 0, ts);
	FRAMES(t, NULL, "pthread_cond_timedwait", "consumer");
	set_timespec(t, ts, deadline_ms / 1000, (deadline_ms % 1000) * 1000000);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CONDVAR);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(t->wait.timeout_ms >= 59000 && t->wait.timeout_ms <= 60000);

	/* Without FUTEX_CLOCK_REALTIME the deadline is on CLOCK_MONOTONIC. */
	t->syscall_args[1] = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
	deadline_ms = NOW_MONO_MS + 1500;
	set_timespec(t, ts, deadline_ms / 1000, (deadline_ms % 1000) * 1000000);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(t->wait.timeout_ms == 1500);

	/* A deadline already past leaves nothing. */
	t->syscall_args[1] = OP_WAIT_BITSET_RT_PRIVATE;
	set_timespec(t, ts, NOW_UNIX_MS / 1000 - 10, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED && t->wait.timeout_ms == 0);
}

static void classify_semaphore_with_debug_symbols(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t sem = 0x55d0c0de8000;
	/* 64-bit sem_t: value in the low word, waiters in the high one. */
	uint32_t data[4] = { 0, 2, 0, 0 };

	set_syscall(t, SYS_futex, sem, OP_WAIT_BITSET_RT_PRIVATE, 0, 0);
	FRAMES(t, "__futex_abstimed_wait_common64", "__new_sem_wait_slow64.constprop.0",
	       "waiter");
	set_futex_mem(t, sem, sem, data, sizeof(data));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SEMAPHORE);
	CHECK(t->wait.address == sem);
	CHECK(has(t->wait.detail, "value 0, 2 waiting"));
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

static void classify_join_without_symbols(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	/* struct pthread's tid field of the joined thread. */
	uint64_t word = 0x7f3a2c200ad0;
	uint32_t tid = TID_B;

	set_syscall(t, SYS_futex, word, OP_WAIT_BITSET_RT_SHARED, TID_B, 0);
	FRAMES(t, NULL, NULL, "main");
	set_futex_mem(t, word, word, &tid, sizeof(tid));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_JOIN);
	CHECK(t->wait.joined_tid == TID_B);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(cleak_wait_holder(snap, t) == &snap->threads[1]);
}

static void classify_private_futex_with_non_tid_value_is_plain_futex(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t word = 0x7f3a2c200ad0;
	uint32_t value = 77;

	set_syscall(t, SYS_futex, word, OP_WAIT_BITSET_RT_PRIVATE, value, 0);
	FRAMES(t, NULL, NULL, "main");
	set_futex_mem(t, word, word, &value, sizeof(value));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_FUTEX);
	CHECK_STR(cleak_wait_kind_name(t->wait.kind), "futex");
	CHECK(t->wait.address == word);
	CHECK(t->wait.joined_tid == 0 && t->wait.owner_tid == 0);
	CHECK(cleak_wait_holder(snap, t) == NULL);

	/* A private wait on a tid is no join either: the kernel wakes the
	 * joiner with a shared futex. */
	t->syscall_args[2] = TID_B;
	value = TID_B;
	set_futex_mem(t, word, word, &value, sizeof(value));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_FUTEX);
}

/* ---- restarted calls ---- */

static void classify_restart_syscall_in_sleep(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_restart_syscall, 0, 0, 0, 0);
	strcpy(t->wchan, "hrtimer_nanosleep");
	FRAMES(t, "clock_nanosleep", "__nanosleep", "sleep", "main");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);

	/* The frames alone tell it. */
	t->wchan[0] = '\0';
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
}

static void classify_restart_syscall_in_timed_mutex(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t lock = 0x55d0c0de4060, ts = 0x7ffd9a3c1d00;
	int64_t deadline_ms = NOW_UNIX_MS + 5000;

	/* The registers still hold the futex arguments. */
	set_syscall(t, SYS_restart_syscall, lock, OP_WAIT_BITSET_RT_PRIVATE, 2, ts);
	strcpy(t->wchan, "futex_do_wait");
	FRAMES(t, NULL, "pthread_mutex_timedlock", "worker");
	set_glibc_mutex(t, lock, 2, TID_B, 0);
	set_timespec(t, ts, deadline_ms / 1000, (deadline_ms % 1000) * 1000000);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(t->wait.address == lock);
	CHECK(t->wait.owner_tid == TID_B);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(t->wait.timeout_ms == 5000);
}

/* ---- sleeps ---- */

static void classify_clock_nanosleep_relative_and_absolute(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *rel = &snap->threads[0], *abs = &snap->threads[1];
	uint64_t ts = 0x7ffd9a3c1d00;
	int64_t deadline_ms = NOW_MONO_MS + 90000;

	/* glibc's nanosleep(): clock_nanosleep(CLOCK_REALTIME, 0, &req, &rem). */
	set_syscall(rel, SYS_clock_nanosleep, CLOCK_REALTIME, 0, ts, ts + 16);
	FRAMES(rel, "__GI___clock_nanosleep", "__GI___nanosleep", "sleep", "main");
	set_timespec(rel, ts, 1000, 250000000);
	set_syscall(abs, SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, ts, 0);
	set_timespec(abs, ts, deadline_ms / 1000, (deadline_ms % 1000) * 1000000);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(rel->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(rel->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(rel->wait.timeout_ms == 1000250);
	CHECK(abs->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(abs->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(abs->wait.timeout_ms == 90000);
}

/*
 * "Sleep forever" idioms pass the largest time_t: coreutils' `sleep
 * infinity` ({INT64_MAX, 999999999}) and Rust's
 * thread::sleep(Duration::from_secs(u64::MAX)) ({INT64_MAX, 0}).  The
 * length in milliseconds does not fit: it is unknown (-1) or huge, never
 * another negative number (timeout_ms is -1 when not known).
 */
static void classify_sleep_forever_timespec_has_no_bogus_timeout(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *coreutils = &snap->threads[0], *rust = &snap->threads[1];
	uint64_t ts = 0x7ffd9a3c1d00;
	const int64_t thousand_years_ms = 1000LL * 365 * 86400 * 1000;

	set_syscall(coreutils, SYS_clock_nanosleep, CLOCK_REALTIME, 0, ts, ts);
	set_timespec(coreutils, ts, INT64_MAX, 999999999);
	set_syscall(rust, SYS_nanosleep, ts, ts, 0, 0);
	set_timespec(rust, ts, INT64_MAX, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(coreutils->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(coreutils->wait.timeout_ms == -1 || coreutils->wait.timeout_ms > thousand_years_ms);
	CHECK(rust->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(rust->wait.timeout_ms == -1 || rust->wait.timeout_ms > thousand_years_ms);
	/* A sleep that long never ends by itself. */
	CHECK(coreutils->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(rust->wait.timeout == CLEAK_TIMEOUT_NONE);
}

/* ---- uninterruptible sleep, vfork ---- */

static void classify_disk_read_in_state_d(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	t->state = 'D';
	set_syscall(t, SYS_read, 3, 0x7ffd9a3c0000, 4096, 0);
	strcpy(t->wchan, "io_schedule");
	FRAMES(t, "__GI___libc_read", "load", "main");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_DISK);
	CHECK_STR(cleak_wait_kind_name(t->wait.kind), "disk");
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_UNKNOWN);
	CHECK(has(t->wait.detail, "uninterruptible"));
	CHECK(has(t->wait.detail, "io_schedule"));
}

static void classify_vfork_parent_waits_for_child(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *t = &snap->threads[1];

	t->state = 'D';
	set_syscall(t, SYS_vfork, 0, 0, 0, 0);
	strcpy(t->wchan, "wait_for_vfork_done");
	snap->children = calloc(2, sizeof(*snap->children));
	CHECK(snap->children);
	snap->nchildren = 2;
	/* Another thread's child first: the vfork child is this thread's. */
	snap->children[0] = (struct cleak_child){ .pid = 5100, .parent_tid = TID_A };
	strcpy(snap->children[0].comm, "other");
	snap->children[1] = (struct cleak_child){ .pid = 5200, .parent_tid = TID_B };
	strcpy(snap->children[1].comm, "sh");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CHILD);
	CHECK_STR(cleak_wait_kind_name(t->wait.kind), "wait-child");
	CHECK(t->wait.child_pid == 5200);
	CHECK_STR(t->wait.child_comm, "sh");
	CHECK(has(t->wait.detail, "vfork"));
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

/* ---- poll, select, epoll ---- */

static void classify_select_without_fds_is_sleep(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t tvaddr = 0x7ffd9a3c1d00;
	struct timeval tv = { .tv_sec = 2, .tv_usec = 500000 };

	set_syscall(t, SYS_select, 0, 0, 0, 0);
	t->syscall_args[4] = tvaddr;
	set_mem(t, CLEAK_WAITMEM_TIMEOUT, tvaddr, &tv, sizeof(tv));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SLEEP);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(t->wait.timeout_ms == 2500);
	CHECK(t->wait.nwatched == 0);
}

static void classify_poll_two_fds(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t fdsaddr = 0x7ffd9a3c1c00;
	struct pollfd pfd[2] = { { .fd = 3, .events = POLLIN }, { .fd = 8, .events = POLLIN } };

	set_syscall(t, SYS_poll, fdsaddr, 2, 1000, 0);
	set_mem(t, CLEAK_WAITMEM_OBJECT, fdsaddr, pfd, sizeof(pfd));
	snap->fds = calloc(1, sizeof(*snap->fds));
	CHECK(snap->fds);
	snap->nfds = 1;
	snap->fds[0] = (struct cleak_fd){ .fd = 3, .link = "pipe:[9]", .resource = "pipe from 4001" };
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_POLL);
	CHECK(t->wait.nwatched == 2);
	CHECK(t->wait.watched[0].fd == 3 && t->wait.watched[1].fd == 8);
	CHECK_STR(t->wait.watched[0].resource, "pipe from 4001");
	CHECK(t->wait.watched[1].resource == NULL);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_BOUNDED);
	CHECK(t->wait.timeout_ms == 1000);

	/* poll(fds, 2, -1) never times out. */
	t->syscall_args[2] = (uint64_t)-1;
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_POLL && t->wait.nwatched == 2);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE && t->wait.timeout_ms == -1);
}

static void classify_epoll_wait_lists_interest_set(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_epoll_wait, 5, 0x7ffd9a3c1000, 16, (uint64_t)-1);
	snap->fds = calloc(3, sizeof(*snap->fds));
	CHECK(snap->fds);
	snap->nfds = 3;
	snap->fds[0] = (struct cleak_fd){ .fd = 5, .link = "anon_inode:[eventpoll]",
					  .resource = "epoll" };
	snap->fds[0].watched = malloc(2 * sizeof(int));
	CHECK(snap->fds[0].watched);
	snap->fds[0].watched[0] = 7;
	snap->fds[0].watched[1] = 9;
	snap->fds[0].nwatched = 2;
	snap->fds[1] = (struct cleak_fd){ .fd = 7, .link = "socket:[123]",
					  .resource = "tcp 127.0.0.1:8080 (listening)" };
	snap->fds[2] = (struct cleak_fd){ .fd = 9, .link = "pipe:[9]", .resource = "pipe" };
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_POLL);
	CHECK(t->wait.fd == 5);
	CHECK_STR(t->wait.resource, "epoll");
	CHECK(t->wait.nwatched == 2);
	CHECK(t->wait.watched[0].fd == 7 && t->wait.watched[1].fd == 9);
	CHECK_STR(t->wait.watched[0].resource, "tcp 127.0.0.1:8080 (listening)");
	CHECK_STR(t->wait.watched[1].resource, "pipe");
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(t->wait.timeout_ms == -1);
}

/* ---- descriptors ---- */

static void classify_read_on_socket_and_pipe(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *s = &snap->threads[0], *p = &snap->threads[1];

	set_syscall(s, SYS_read, 3, 0x7ffd9a3c0000, 4096, 0);
	set_syscall(p, SYS_read, 4, 0x7ffd9a3c0000, 4096, 0);
	snap->fds = calloc(2, sizeof(*snap->fds));
	CHECK(snap->fds);
	snap->nfds = 2;
	snap->fds[0] = (struct cleak_fd){ .fd = 3, .link = "socket:[123]",
					  .resource = "tcp 10.0.0.1:5000 -> 10.0.0.2:80" };
	snap->fds[1] = (struct cleak_fd){ .fd = 4, .link = "pipe:[9]",
					  .resource = "pipe, write end in 4002" };
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(s->wait.kind == CLEAK_WAIT_READ);
	CHECK_STR(cleak_wait_kind_name(s->wait.kind), "read");
	CHECK(s->wait.fd == 3);
	CHECK_STR(s->wait.resource, "tcp 10.0.0.1:5000 -> 10.0.0.2:80");
	/* SO_RCVTIMEO cannot be seen from outside. */
	CHECK(s->wait.timeout == CLEAK_TIMEOUT_UNKNOWN);
	CHECK(p->wait.kind == CLEAK_WAIT_READ);
	CHECK(p->wait.fd == 4);
	CHECK_STR(p->wait.resource, "pipe, write end in 4002");
	CHECK(p->wait.timeout == CLEAK_TIMEOUT_NONE);
}

static void classify_write_accept_connect(void)
{
	struct cleak_snapshot *snap = new_snap(3);
	struct cleak_thread *t = snap->threads;

	set_syscall(&t[0], SYS_write, 1, 0, 10, 0);
	set_syscall(&t[1], SYS_accept4, 6, 0, 0, 0);
	set_syscall(&t[2], SYS_connect, 7, 0, 16, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t[0].wait.kind == CLEAK_WAIT_WRITE && t[0].wait.fd == 1);
	CHECK(t[1].wait.kind == CLEAK_WAIT_ACCEPT && t[1].wait.fd == 6);
	CHECK(t[2].wait.kind == CLEAK_WAIT_CONNECT && t[2].wait.fd == 7);
}

/* ---- children ---- */

static void classify_wait4_for_one_child(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_wait4, 1234, 0x7ffd9a3c1000, 0, 0);
	snap->children = calloc(1, sizeof(*snap->children));
	CHECK(snap->children);
	snap->nchildren = 1;
	snap->children[0] = (struct cleak_child){ .pid = 1234, .parent_tid = TID_A };
	strcpy(snap->children[0].comm, "sleep");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CHILD);
	CHECK(t->wait.child_pid == 1234);
	CHECK_STR(t->wait.child_comm, "sleep");
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(t->wait.detail == NULL);
}

static void classify_wait4_any_child_names_children(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_wait4, (uint64_t)-1, 0x7ffd9a3c1000, 0, 0);
	snap->children = calloc(2, sizeof(*snap->children));
	CHECK(snap->children);
	snap->nchildren = 2;
	snap->children[0] = (struct cleak_child){ .pid = 1234, .parent_tid = TID_A };
	strcpy(snap->children[0].comm, "sleep");
	snap->children[1] = (struct cleak_child){ .pid = 1240, .parent_tid = TID_A };
	strcpy(snap->children[1].comm, "cat");
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CHILD);
	CHECK(t->wait.child_pid == -1);
	CHECK(t->wait.child_comm == NULL);
	CHECK(has(t->wait.resource, "1234 (sleep)"));
	CHECK(has(t->wait.resource, "1240 (cat)"));
}

static void classify_waitid_for_one_child(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_waitid, 1 /* P_PID */, 1234, 0x7ffd9a3c1000, 4 /* WEXITED */);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_CHILD);
	CHECK(t->wait.child_pid == 1234);
	CHECK(t->wait.child_comm == NULL);
}

/* ---- signals ---- */

static void classify_sigtimedwait_names_signal(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t setaddr = 0x7ffd9a3c1b00;
	uint64_t bits = 1ULL << (SIGUSR2 - 1);

	set_syscall(t, SYS_rt_sigtimedwait, setaddr, 0, 0, 8);
	set_mem(t, CLEAK_WAITMEM_OBJECT, setaddr, &bits, sizeof(bits));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SIGNAL);
	CHECK(has(t->wait.detail, "SIGUSR2"));
	CHECK(!has(t->wait.detail, "SIGUSR1"));
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

static void classify_pause_is_signal_without_timeout(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];

	set_syscall(t, SYS_pause, 0, 0, 0, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_SIGNAL);
	CHECK(t->wait.timeout == CLEAK_TIMEOUT_NONE);
}

/* ---- states and other calls ---- */

static void classify_running_stopped_zombie_and_unknown_syscall(void)
{
	struct cleak_snapshot *snap = new_snap(6);
	struct cleak_thread *t = snap->threads;

	t[0].state = 'R';
	t[0].syscall_nr = -2;
	t[1].state = 'T';
	set_syscall(&t[1], SYS_futex, 0x1000, FUTEX_WAIT_PRIVATE, 0, 0);
	t[2].state = 'Z';
	set_syscall(&t[3], 9999, 0, 0, 0, 0);
	t[4].state = 't';
	/* t[5]: sleeping but outside a system call. */
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t[0].wait.kind == CLEAK_WAIT_RUNNING);
	CHECK_STR(cleak_wait_kind_name(t[0].wait.kind), "running");
	CHECK(t[1].wait.kind == CLEAK_WAIT_STOPPED);
	CHECK(t[1].wait.stopped_while == CLEAK_WAIT_FUTEX);
	CHECK(t[1].wait.address == 0x1000);
	CHECK(t[1].wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(has(t[1].wait.detail, "SIGCONT"));
	CHECK(t[2].wait.kind == CLEAK_WAIT_ZOMBIE);
	CHECK(t[3].wait.kind == CLEAK_WAIT_SYSCALL);
	CHECK(has(t[3].wait.detail, "9999"));
	CHECK(t[4].wait.kind == CLEAK_WAIT_STOPPED);
	CHECK(t[4].wait.stopped_while == CLEAK_WAIT_UNKNOWN);
	CHECK(has(t[4].wait.detail, "tracer"));
	CHECK(t[5].wait.kind == CLEAK_WAIT_UNKNOWN);
	CHECK(has(t[5].wait.detail, "outside a system call"));
}

static void classify_wait_kind_names(void)
{
	int k;

	for (k = 0; k < CLEAK_WAIT__COUNT; k++) {
		CHECK(cleak_wait_kind_name((enum cleak_wait_kind)k) != NULL);
		CHECK(cleak_wait_kind_from_name(cleak_wait_kind_name((enum cleak_wait_kind)k)) == k);
	}
	CHECK(cleak_wait_kind_name(CLEAK_WAIT__COUNT) == NULL);
	CHECK(cleak_wait_kind_from_name("teleporting") == -1);
	CHECK(cleak_wait_kind_from_name(NULL) == -1);
}

static void classify_twice_is_stable(void)
{
	struct cleak_snapshot *snap = new_snap(1);
	struct cleak_thread *t = &snap->threads[0];
	uint64_t fdsaddr = 0x7ffd9a3c1c00;
	struct pollfd pfd[2] = { { .fd = 3 }, { .fd = 4 } };

	/* The second pass must release the first pass's watched array. */
	set_syscall(t, SYS_poll, fdsaddr, 2, 10, 0);
	set_mem(t, CLEAK_WAITMEM_OBJECT, fdsaddr, pfd, sizeof(pfd));
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t->wait.kind == CLEAK_WAIT_POLL && t->wait.nwatched == 2);
}

static void set_wait(struct cleak_thread *t, enum cleak_wait_kind kind, pid_t other)
{
	memset(&t->wait, 0, sizeof(t->wait));
	t->wait.kind = kind;
	t->wait.fd = -1;
	t->wait.timeout_ms = -1;
	t->wait.address = 0x1000 + (uint64_t)t->tid;
	if (kind == CLEAK_WAIT_JOIN)
		t->wait.joined_tid = other;
	else
		t->wait.owner_tid = other;
}

static bool tids_are(const struct cleak_deadlock *d, const pid_t *tids, size_t n)
{
	return d->ntids == n && memcmp(d->tids, tids, n * sizeof(*tids)) == 0;
}

/* A stopped thread keeps what it waited for, so its holder edge stays. */
static void classify_stopped_thread_keeps_mutex_holder(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *a = &snap->threads[0], *b = &snap->threads[1];
	pid_t want[] = { TID_A, TID_B };

	mutex_waiter(a, 0x55d0c0de4060, TID_B);
	a->state = 'T';
	mutex_waiter(b, 0x55d0c0de40a0, TID_A);
	b->was_stopped = true;	/* group-stopped before capture, state read as S */
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(a->wait.kind == CLEAK_WAIT_STOPPED);
	CHECK(a->wait.stopped_while == CLEAK_WAIT_MUTEX);
	CHECK(a->wait.owner_tid == TID_B);
	CHECK(a->wait.address == 0x55d0c0de4060);
	CHECK(a->wait.timeout == CLEAK_TIMEOUT_NONE);
	CHECK(b->wait.kind == CLEAK_WAIT_STOPPED);
	CHECK(b->wait.stopped_while == CLEAK_WAIT_MUTEX);
	CHECK(b->wait.owner_tid == TID_A);
	CHECK(cleak_wait_holder(snap, a) == b);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 2));
}

/*
 * After pthread_cond_signal, the waiter leaves the condvar and sleeps
 * re-taking the condvar's mutex: __pthread_cond_wait_common calls
 * __pthread_mutex_cond_lock (glibc 2.36 nptl/pthread_cond_wait.c), which
 * waits in __lll_lock_wait with FUTEX_WAIT on the mutex's __lock.  That is
 * a mutex wait with a holder; reported as a condvar it has no holder, and
 * a deadlock through it (B holds the mutex and waits for a lock A holds)
 * is missed.
 */
static void classify_condvar_wakeup_relocking_mutex_is_mutex_wait(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *a = &snap->threads[0], *b = &snap->threads[1];
	uint64_t cond_mutex = 0x55d0c0de4060, other = 0x55d0c0de40a0;

	set_syscall(a, SYS_futex, cond_mutex, FUTEX_WAIT_PRIVATE, 2, 0);
	FRAMES(a, "futex_wait", "__GI___lll_lock_wait", "__pthread_mutex_cond_lock",
	       "__pthread_cond_wait_common", "___pthread_cond_wait", "consumer",
	       "start_thread");
	set_glibc_mutex(a, cond_mutex, 2, TID_B, 0);
	mutex_waiter(b, other, TID_A);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(a->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(a->wait.owner_tid == TID_B);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
}

/* The same without libc symbols: only pthread_cond_wait (exported) has a
 * name, and the plain FUTEX_WAIT (condvars use FUTEX_WAIT_BITSET) tells
 * the mutex re-take. */
static void classify_condvar_wakeup_relocking_mutex_without_symbols(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *a = &snap->threads[0], *b = &snap->threads[1];
	uint64_t cond_mutex = 0x55d0c0de4060, other = 0x55d0c0de40a0;

	set_syscall(a, SYS_futex, cond_mutex, FUTEX_WAIT_PRIVATE, 2, 0);
	FRAMES(a, NULL, NULL, "pthread_cond_wait", "consumer");
	set_glibc_mutex(a, cond_mutex, 2, TID_B, 0);
	mutex_waiter(b, other, TID_A);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(a->wait.kind == CLEAK_WAIT_MUTEX);
	CHECK(a->wait.owner_tid == TID_B);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
}

/* ---- deadlocks ---- */

static void classify_deadlock_two_mutexes(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	/* Listed highest tid first: the cycle still starts at the lowest. */
	pid_t want[] = { TID_A, TID_B };

	snap->threads[0].tid = TID_B;
	snap->threads[1].tid = TID_A;
	mutex_waiter(&snap->threads[0], 0x55d0c0de4060, TID_A);
	mutex_waiter(&snap->threads[1], 0x55d0c0de40a0, TID_B);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(snap->threads[0].wait.owner_tid == TID_A);
	CHECK(snap->threads[1].wait.owner_tid == TID_B);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 2));
	CHECK(!snap->deadlocks[0].confirmed);
	/* Again: the earlier result is replaced, not added to. */
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 2));
}

static void classify_deadlock_three_cycle(void)
{
	struct cleak_snapshot *snap = new_snap(3);
	struct cleak_thread *t = snap->threads;
	/* 30 -> 10 -> 20 -> 30, the walk starting at 30. */
	pid_t want[] = { 10, 20, 30 };

	t[0].tid = 30;
	t[1].tid = 10;
	t[2].tid = 20;
	set_wait(&t[0], CLEAK_WAIT_MUTEX, 10);
	set_wait(&t[1], CLEAK_WAIT_RWLOCK, 20);
	set_wait(&t[2], CLEAK_WAIT_MUTEX, 30);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 3));
	CHECK(!snap->deadlocks[0].confirmed);
}

static void classify_deadlock_self_loop(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	pid_t want[] = { TID_B };

	/* B locks again a normal mutex it holds: __owner is its own tid. */
	mutex_waiter(&snap->threads[1], 0x55d0c0de4060, TID_B);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(snap->threads[1].wait.owner_tid == TID_B);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 1));
	CHECK(cleak_wait_holder(snap, &snap->threads[1]) == &snap->threads[1]);
}

static void classify_deadlock_chain_into_cycle_excludes_waiter(void)
{
	struct cleak_snapshot *snap = new_snap(3);
	struct cleak_thread *t = snap->threads;
	pid_t want_bc[] = { TID_B, TID_C }, want_ab[] = { TID_A, TID_B };

	/* A -> B <-> C, the waiter outside the cycle walked first. */
	set_wait(&t[0], CLEAK_WAIT_MUTEX, TID_B);
	set_wait(&t[1], CLEAK_WAIT_MUTEX, TID_C);
	set_wait(&t[2], CLEAK_WAIT_MUTEX, TID_B);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want_bc, 2));

	/* C -> A <-> B, the waiter outside the cycle walked last. */
	set_wait(&t[0], CLEAK_WAIT_MUTEX, TID_B);
	set_wait(&t[1], CLEAK_WAIT_MUTEX, TID_A);
	set_wait(&t[2], CLEAK_WAIT_MUTEX, TID_A);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want_ab, 2));
}

static void classify_deadlock_join_closes_cycle(void)
{
	struct cleak_snapshot *snap = new_snap(2);
	struct cleak_thread *a = &snap->threads[0], *b = &snap->threads[1];
	uint64_t word = 0x7f3a2c200ad0;
	uint32_t tid = TID_B;
	pid_t want[] = { TID_A, TID_B };

	/* A joins B (shared futex on B's tid word); B wants a mutex A holds. */
	set_syscall(a, SYS_futex, word, OP_WAIT_BITSET_RT_SHARED, TID_B, 0);
	FRAMES(a, NULL, "main");
	set_futex_mem(a, word, word, &tid, sizeof(tid));
	mutex_waiter(b, 0x55d0c0de4060, TID_A);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(a->wait.kind == CLEAK_WAIT_JOIN && a->wait.joined_tid == TID_B);
	CHECK(b->wait.kind == CLEAK_WAIT_MUTEX && b->wait.owner_tid == TID_A);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(tids_are(&snap->deadlocks[0], want, 2));
}

static void classify_no_deadlock_when_chain_ends(void)
{
	struct cleak_snapshot *snap = new_snap(4);
	struct cleak_thread *t = snap->threads;

	/* A -> B -> C, and C sleeps; D waits for a thread of another process. */
	set_syscall(&t[2], SYS_clock_nanosleep, 0, 0, 0x7ffd9a3c1d00, 0);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(t[2].wait.kind == CLEAK_WAIT_SLEEP);
	set_wait(&t[0], CLEAK_WAIT_MUTEX, TID_B);
	set_wait(&t[1], CLEAK_WAIT_JOIN, TID_C);
	set_wait(&t[3], CLEAK_WAIT_MUTEX, 99999);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 0);
	CHECK(t[2].wait.owner_tid == 0 && t[2].wait.joined_tid == 0);
}

static void classify_wait_holder(void)
{
	struct cleak_snapshot *snap = new_snap(4);
	struct cleak_thread *t = snap->threads;

	set_wait(&t[0], CLEAK_WAIT_MUTEX, TID_B);
	set_wait(&t[1], CLEAK_WAIT_JOIN, TID_C);
	set_wait(&t[2], CLEAK_WAIT_RWLOCK, 0);
	set_wait(&t[3], CLEAK_WAIT_MUTEX, 99999);
	CHECK(cleak_wait_holder(snap, &t[0]) == &t[1]);
	CHECK(cleak_wait_holder(snap, &t[1]) == &t[2]);
	CHECK(cleak_wait_holder(snap, &t[2]) == NULL);
	CHECK(cleak_wait_holder(snap, &t[3]) == NULL);
}

static void classify_deadlock_confirm_drops_what_it_cannot_see_again(void)
{
	struct cleak_snapshot *snap = new_snap(2);

	/* No such process: the second look fails, so the cycle is dropped. */
	snap->pid = 2147483000;
	mutex_waiter(&snap->threads[0], 0x55d0c0de4060, TID_B);
	mutex_waiter(&snap->threads[1], 0x55d0c0de40a0, TID_A);
	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(cleak_snapshot_find_deadlocks(snap, true) == 0);
	CHECK(snap->ndeadlocks == 0);
}

/* ---- JSON ---- */

/* threads[i].wait.waits_for of a JSON document, as "[a, b]". */
static bool waits_for_is(json_object *doc, size_t i, const pid_t *want, size_t n)
{
	json_object *threads, *w, *chain;
	size_t k;

	if (!json_object_object_get_ex(doc, "threads", &threads) ||
	    !json_object_object_get_ex(json_object_array_get_idx(threads, i), "wait", &w) ||
	    !json_object_object_get_ex(w, "waits_for", &chain) ||
	    !json_object_is_type(chain, json_type_array) || json_object_array_length(chain) != n)
		return false;
	for (k = 0; k < n; k++)
		if (json_object_get_int(json_object_array_get_idx(chain, k)) != want[k])
			return false;
	return true;
}

static void classify_json_waits_for_chains(void)
{
	struct cleak_snapshot *snap = new_snap(6);
	struct cleak_thread *t = snap->threads;
	pid_t tid_d = TID_C + 1, tid_f = TID_C + 3;
	pid_t of_a[] = { TID_B, TID_C }, of_c[] = { TID_A, TID_B };
	pid_t of_d[] = { TID_A, TID_B, TID_C }, of_e[] = { tid_d, TID_A, TID_B, TID_C };
	json_object *doc = NULL, *dls, *locks;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	/* A -> B -> C -> A; E -> D -> A (outside the cycle); F -> F. */
	set_wait(&t[0], CLEAK_WAIT_MUTEX, TID_B);
	set_wait(&t[1], CLEAK_WAIT_RWLOCK, TID_C);
	set_wait(&t[2], CLEAK_WAIT_JOIN, TID_A);
	set_wait(&t[3], CLEAK_WAIT_MUTEX, TID_A);
	set_wait(&t[4], CLEAK_WAIT_MUTEX, tid_d);
	set_wait(&t[5], CLEAK_WAIT_MUTEX, tid_f);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 2);
	f = open_memstream(&text, &len);
	CHECK(f);
	err = cleak_snapshot_write_json(snap, f, false);
	fclose(f);
	if (!err)
		doc = json_tokener_parse(text);
	free(text);
	CHECK(err == 0 && doc);
	err = !waits_for_is(doc, 0, of_a, 2) || !waits_for_is(doc, 2, of_c, 2) ||
	      !waits_for_is(doc, 3, of_d, 3) || !waits_for_is(doc, 4, of_e, 4) ||
	      !waits_for_is(doc, 5, NULL, 0);
	/* The deadlock's locks: waiter, kind, holder in the order of tids. */
	if (!err && (!json_object_object_get_ex(doc, "deadlocks", &dls) ||
		     !json_object_object_get_ex(json_object_array_get_idx(dls, 0), "locks",
						&locks) ||
		     json_object_array_length(locks) != 3))
		err = 2;
	if (!err) {
		json_object *l = json_object_array_get_idx(locks, 2), *v;

		err = 3;
		if (json_object_object_get_ex(l, "waiter_tid", &v) && json_object_get_int(v) == TID_C &&
		    json_object_object_get_ex(l, "holder_tid", &v) && json_object_get_int(v) == TID_A &&
		    json_object_object_get_ex(l, "kind", &v) &&
		    strcmp(json_object_get_string(v), "join") == 0)
			err = 0;
	}
	json_object_put(doc);
	CHECK(err == 0);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void classify_json_round_trip_of_waits_and_deadlocks(void)
{
	struct cleak_snapshot *snap = new_snap(9), *back = NULL;
	struct cleak_thread *t = snap->threads;
	uint64_t ts = 0x7ffd9a3c1d00, base = 0x55d0c0de6000;
	int64_t deadline_ms = NOW_UNIX_MS + 60000;
	size_t i, j;
	FILE *f;
	int err;

	/* A <-> B on two mutexes. */
	mutex_waiter(&t[0], 0x55d0c0de4060, TID_B);
	mutex_waiter(&t[1], 0x55d0c0de40a0, TID_A);
	/* A reader behind writer A. */
	set_syscall(&t[2], SYS_futex, base + 8, OP_WAIT_BITSET_RT_PRIVATE, 3, 0);
	FRAMES(&t[2], NULL, "pthread_rwlock_rdlock", "reader");
	set_glibc_rwlock(&t[2], base + 8, base, 3, 0, TID_A);
	/* A timed condvar. */
	set_syscall(&t[3], SYS_futex, 0x55d0c0de7008, OP_WAIT_BITSET_RT_PRIVATE, 0, ts);
	FRAMES(&t[3], NULL, "pthread_cond_timedwait", "consumer");
	set_timespec(&t[3], ts, deadline_ms / 1000, (deadline_ms % 1000) * 1000000);
	/* epoll_wait on 5 watching 7 and 9. */
	set_syscall(&t[4], SYS_epoll_wait, 5, 0x7ffd9a3c1000, 16, (uint64_t)-1);
	snap->fds = calloc(2, sizeof(*snap->fds));
	CHECK(snap->fds);
	snap->nfds = 2;
	snap->fds[0] = (struct cleak_fd){ .fd = 5, .link = "anon_inode:[eventpoll]",
					  .resource = "epoll" };
	snap->fds[0].watched = malloc(2 * sizeof(int));
	CHECK(snap->fds[0].watched);
	snap->fds[0].watched[0] = 7;
	snap->fds[0].watched[1] = 9;
	snap->fds[0].nwatched = 2;
	snap->fds[1] = (struct cleak_fd){ .fd = 7, .link = "socket:[123]", .resource = "tcp" };
	/* waitpid(-1) with one child. */
	set_syscall(&t[5], SYS_wait4, (uint64_t)-1, 0, 0, 0);
	snap->children = calloc(1, sizeof(*snap->children));
	CHECK(snap->children);
	snap->nchildren = 1;
	snap->children[0] = (struct cleak_child){ .pid = 1234, .parent_tid = t[5].tid };
	strcpy(snap->children[0].comm, "sleep");
	/* A restarted sleep, and a running thread. */
	set_syscall(&t[6], SYS_restart_syscall, 0, 0, 0, 0);
	FRAMES(&t[6], "clock_nanosleep", "__nanosleep", "sleep", "main");
	t[7].state = 'R';
	t[7].syscall_nr = -2;
	/* Stopped while joining A. */
	set_syscall(&t[8], SYS_futex, 0x7f3a2c200ad0, OP_WAIT_BITSET_RT_SHARED, TID_A, 0);
	FRAMES(&t[8], NULL, "pthread_join", "main");
	t[8].state = 'T';

	CHECK(cleak_snapshot_classify(snap) == 0);
	CHECK(cleak_snapshot_find_deadlocks(snap, false) == 0);
	CHECK(snap->ndeadlocks == 1);
	CHECK(t[2].wait.kind == CLEAK_WAIT_RWLOCK && t[2].wait.owner_tid == TID_A);
	CHECK(t[3].wait.timeout == CLEAK_TIMEOUT_BOUNDED && t[3].wait.timeout_ms > 0);
	CHECK(t[4].wait.nwatched == 2);
	CHECK(t[5].wait.child_pid == -1 && t[5].wait.resource);
	CHECK(t[8].wait.kind == CLEAK_WAIT_STOPPED && t[8].wait.stopped_while == CLEAK_WAIT_JOIN);
	CHECK(t[8].wait.joined_tid == TID_A);

	f = tmpfile();
	CHECK(f);
	err = cleak_snapshot_write_json(snap, f, true);
	if (!err) {
		rewind(f);
		err = cleak_snapshot_read_json(f, &back);
	}
	fclose(f);
	if (back)
		track(back);
	CHECK(err == 0 && back);
	CHECK(back->nthreads == snap->nthreads);
	CHECK(back->capture.time_unix_ms == NOW_UNIX_MS);
	for (i = 0; i < snap->nthreads; i++) {
		const struct cleak_wait *a = &snap->threads[i].wait, *b = &back->threads[i].wait;

		CHECK(back->threads[i].tid == snap->threads[i].tid);
		CHECK(b->kind == a->kind);
		CHECK(b->address == a->address);
		CHECK(b->owner_tid == a->owner_tid);
		CHECK(b->joined_tid == a->joined_tid);
		CHECK(b->child_pid == a->child_pid);
		CHECK(same_str(b->child_comm, a->child_comm));
		CHECK(b->for_write == a->for_write);
		CHECK(b->fd == a->fd);
		CHECK(same_str(b->resource, a->resource));
		CHECK(same_str(b->detail, a->detail));
		CHECK(b->stopped_while == a->stopped_while);
		CHECK(b->timeout == a->timeout);
		CHECK(b->timeout_ms == a->timeout_ms);
		CHECK(b->nwatched == a->nwatched);
		for (j = 0; j < a->nwatched; j++) {
			CHECK(b->watched[j].fd == a->watched[j].fd);
			CHECK(same_str(b->watched[j].resource, a->watched[j].resource));
		}
	}
	CHECK(back->ndeadlocks == 1);
	CHECK(back->deadlocks[0].ntids == 2);
	CHECK(back->deadlocks[0].tids[0] == TID_A && back->deadlocks[0].tids[1] == TID_B);
	CHECK(!back->deadlocks[0].confirmed);
	/* The graph is whole again: the same cycle from the read-back waits. */
	CHECK(cleak_snapshot_find_deadlocks(back, false) == 0);
	CHECK(back->ndeadlocks == 1);
	CHECK(cleak_wait_holder(back, &back->threads[2]) == &back->threads[0]);
	CHECK(cleak_wait_holder(back, &back->threads[8]) == &back->threads[0]);
}

static int read_text(const char *text, struct cleak_snapshot **out)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	if (!f)
		return -1;
	err = cleak_snapshot_read_json(f, out);
	fclose(f);
	if (*out)
		track(*out);
	return err;
}

static void classify_json_rejects_unknown_wait_kind(void)
{
	struct cleak_snapshot *snap = (void *)1;

	CHECK(read_text("{\"pid\": 5, \"threads\": [ {\"tid\": 6, \"wait\": "
			"{\"kind\": \"mutex\"}}, {\"tid\": 7, \"wait\": "
			"{\"kind\": \"teleporting\"}} ]}", &snap) < 0);
	CHECK(snap == NULL);
	CHECK(strstr(cleak_errmsg(), "threads[1].wait.kind") != NULL);
	CHECK(strstr(cleak_errmsg(), "teleporting") != NULL);

	snap = (void *)1;
	CHECK(read_text("{\"pid\": 5, \"threads\": [ {\"tid\": 6, \"wait\": 7} ]}", &snap) < 0);
	CHECK(snap == NULL);
	CHECK(strstr(cleak_errmsg(), "threads[0].wait") != NULL);

	/* Without "wait" (an older snapshot) nothing is classified. */
	CHECK(read_text("{\"pid\": 5, \"threads\": [ {\"tid\": 6} ]}", &snap) == 0);
	CHECK(snap && snap->threads[0].wait.kind == CLEAK_WAIT_UNKNOWN);
	CHECK(snap->threads[0].wait.fd == -1 && snap->threads[0].wait.timeout_ms == -1);
}

static void classify_json_rejects_bad_deadlocks(void)
{
	struct cleak_snapshot *snap = (void *)1;

	CHECK(read_text("{\"pid\": 5, \"threads\": [ {\"tid\": 6} ], "
			"\"deadlocks\": {\"tids\": [6]}}", &snap) < 0);
	CHECK(snap == NULL);
	CHECK(strstr(cleak_errmsg(), "\"deadlocks\"") != NULL);

	snap = (void *)1;
	CHECK(read_text("{\"pid\": 5, \"threads\": [ {\"tid\": 6} ], "
			"\"deadlocks\": [ {\"tids\": [6]}, {\"tids\": []} ]}", &snap) < 0);
	CHECK(snap == NULL);
	CHECK(strstr(cleak_errmsg(), "deadlocks[1]") != NULL);
}

int main(void)
{
	RUN_CASE(classify_mutex_without_libc_symbols);
	RUN_CASE(classify_mutex_with_libc_debug_symbols);
	RUN_CASE(classify_mutex_with_foreign_kind_bits_has_no_holder);
	RUN_CASE(classify_mutex_robust_holder_from_lock_word);
	RUN_CASE(classify_pi_mutex_by_futex_op_alone);
	RUN_CASE(classify_rwlock_reader_names_writer);
	RUN_CASE(classify_rwlock_writer_on_writers_futex);
	RUN_CASE(classify_condvar_untimed);
	RUN_CASE(classify_condvar_timed_realtime_deadline);
	RUN_CASE(classify_semaphore_with_debug_symbols);
	RUN_CASE(classify_join_without_symbols);
	RUN_CASE(classify_private_futex_with_non_tid_value_is_plain_futex);
	RUN_CASE(classify_restart_syscall_in_sleep);
	RUN_CASE(classify_restart_syscall_in_timed_mutex);
	RUN_CASE(classify_clock_nanosleep_relative_and_absolute);
	RUN_CASE(classify_disk_read_in_state_d);
	RUN_CASE(classify_vfork_parent_waits_for_child);
	RUN_CASE(classify_select_without_fds_is_sleep);
	RUN_CASE(classify_poll_two_fds);
	RUN_CASE(classify_epoll_wait_lists_interest_set);
	RUN_CASE(classify_read_on_socket_and_pipe);
	RUN_CASE(classify_write_accept_connect);
	RUN_CASE(classify_wait4_for_one_child);
	RUN_CASE(classify_wait4_any_child_names_children);
	RUN_CASE(classify_waitid_for_one_child);
	RUN_CASE(classify_sigtimedwait_names_signal);
	RUN_CASE(classify_pause_is_signal_without_timeout);
	RUN_CASE(classify_running_stopped_zombie_and_unknown_syscall);
	RUN_CASE(classify_wait_kind_names);
	RUN_CASE(classify_twice_is_stable);
	RUN_CASE(classify_stopped_thread_keeps_mutex_holder);
	RUN_CASE(classify_deadlock_two_mutexes);
	RUN_CASE(classify_deadlock_three_cycle);
	RUN_CASE(classify_deadlock_self_loop);
	RUN_CASE(classify_deadlock_chain_into_cycle_excludes_waiter);
	RUN_CASE(classify_deadlock_join_closes_cycle);
	RUN_CASE(classify_no_deadlock_when_chain_ends);
	RUN_CASE(classify_wait_holder);
	RUN_CASE(classify_deadlock_confirm_drops_what_it_cannot_see_again);
	RUN_CASE(classify_json_waits_for_chains);
	RUN_CASE(classify_json_round_trip_of_waits_and_deadlocks);
	RUN_CASE(classify_json_rejects_unknown_wait_kind);
	RUN_CASE(classify_json_rejects_bad_deadlocks);
	RUN_CASE(classify_sleep_forever_timespec_has_no_bogus_timeout);
	RUN_CASE(classify_condvar_wakeup_relocking_mutex_is_mutex_wait);
	RUN_CASE(classify_condvar_wakeup_relocking_mutex_without_symbols);
	return unit_failed;
}
