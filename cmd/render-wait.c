// SPDX-License-Identifier: MIT
/*
 * Waits in words: the phrase on each group header ("waiting for mutex
 * 0x... held by 1234 worker-3"), the deadlock report and the waiting
 * chains at the end of `cleak stack`.  The JSON twin is threads[].wait and
 * "deadlocks" (lib/wait_json.c).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CLEAK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void print_duration_ms(FILE *f, int64_t ms)
{
	if (ms < 1000)
		fprintf(f, "%" PRId64 " ms", ms);
	else if (ms < 120000)
		fprintf(f, "%.1f s", (double)ms / 1000.0);
	else if (ms < 7200000)
		fprintf(f, "%.1f min", (double)ms / 60000.0);
	else
		fprintf(f, "%.1f h", (double)ms / 3600000.0);
}

/* "1234 worker-3"; a tid the snapshot lacks says why it may be missing
 * (`holder`: it holds a lock). */
static void print_thread_ref(const struct cleak_snapshot *snap, pid_t tid, bool holder,
			     FILE *f)
{
	const struct cleak_thread *t = cleak_snapshot_thread(snap, tid);

	if (t)
		fprintf(f, "%d %s", tid, t->name);
	else if (snap->capture.selected)
		fprintf(f, "%d (not among the threads asked for)", tid);
	else if (holder)
		fprintf(f, "%d (not a thread of this process: did it exit holding it, or is "
			"the lock shared with another process?)", tid);
	else
		fprintf(f, "%d (not a thread of this process)", tid);
}

static void print_holder(const struct cleak_snapshot *snap, const struct cleak_thread *t,
			 FILE *f)
{
	const struct cleak_wait *w = &t->wait;

	if (w->owner_tid == t->tid) {
		fputs(", which it holds itself", f);
	} else if (w->owner_tid > 0) {
		fputs(w->kind == CLEAK_WAIT_RWLOCK ? " held for writing by " : " held by ", f);
		print_thread_ref(snap, w->owner_tid, true, f);
	} else if (w->detail) {
		return;	/* says why the holder is unknown */
	} else if (w->kind == CLEAK_WAIT_RWLOCK) {
		fputs(" (held by readers, which glibc does not record)", f);
	} else {
		fputs(" (holder unknown)", f);
	}
}

static void print_fd(const struct cleak_wait *w, FILE *f)
{
	fprintf(f, " fd %d", w->fd);
	if (w->resource)
		fprintf(f, ": %s", w->resource);
}

static void print_watched(const struct cleak_wait *w, FILE *f)
{
	size_t i;

	if (!w->nwatched)
		return;
	fputs(" (watching", f);
	for (i = 0; i < w->nwatched && i < 4; i++)
		fprintf(f, "%s fd %d %s", i ? "," : "", w->watched[i].fd,
			w->watched[i].resource ? w->watched[i].resource : "?");
	if (i < w->nwatched)
		fprintf(f, ", and %zu more", w->nwatched - i);
	fputc(')', f);
}

void render_wait_phrase(const struct cleak_snapshot *snap, const struct cleak_thread *t,
			bool with_fd, FILE *f)
{
	const struct cleak_wait *w = &t->wait;
	const char *sc;

	switch (w->kind) {
	case CLEAK_WAIT_RUNNING:
		fputs("running", f);
		break;
	case CLEAK_WAIT_MUTEX:
		fprintf(f, "waiting for mutex 0x%" PRIx64, w->address);
		print_holder(snap, t, f);
		break;
	case CLEAK_WAIT_RWLOCK:
		fprintf(f, "waiting to %s rwlock 0x%" PRIx64, w->for_write ? "write" : "read",
			w->address);
		print_holder(snap, t, f);
		break;
	case CLEAK_WAIT_CONDVAR:
		if (with_fd)
			fprintf(f, "waiting on a condition variable (futex 0x%" PRIx64 ")", w->address);
		else
			fputs("waiting on condition variables", f);
		break;
	case CLEAK_WAIT_SEMAPHORE:
		if (with_fd)
			fprintf(f, "waiting on semaphore 0x%" PRIx64, w->address);
		else
			fputs("waiting on semaphores", f);
		break;
	case CLEAK_WAIT_FUTEX:
		if (with_fd)
			fprintf(f, "waiting on futex 0x%" PRIx64, w->address);
		else
			fputs("waiting on futexes", f);
		break;
	case CLEAK_WAIT_JOIN:
		fputs("waiting for thread ", f);
		print_thread_ref(snap, w->joined_tid, false, f);
		fputs(" to exit (join)", f);
		break;
	case CLEAK_WAIT_POLL:
		if (w->fd >= 0 && with_fd)
			fprintf(f, "polling epoll fd %d", w->fd);
		else if (w->fd >= 0)
			fputs("polling epolls", f);
		else
			fprintf(f, "polling %zu descriptor%s", w->nwatched, w->nwatched == 1 ? "" : "s");
		if (with_fd)
			print_watched(w, f);
		break;
	case CLEAK_WAIT_READ:
	case CLEAK_WAIT_WRITE:
	case CLEAK_WAIT_ACCEPT:
	case CLEAK_WAIT_CONNECT:
		fputs(w->kind == CLEAK_WAIT_READ ? "reading" : w->kind == CLEAK_WAIT_WRITE ? "writing"
		      : w->kind == CLEAK_WAIT_ACCEPT ? "accepting on" : "connecting", f);
		if (with_fd)
			print_fd(w, f);
		else
			fputs(" different descriptors", f);
		break;
	case CLEAK_WAIT_SLEEP:
		fputs("sleeping", f);
		if (w->timeout_ms >= 0) {
			fputs(" for ", f);
			print_duration_ms(f, w->timeout_ms);
		}
		break;
	case CLEAK_WAIT_CHILD:
		if (w->child_pid > 0)
			fprintf(f, "waiting for child %d (%s)", w->child_pid,
				w->child_comm ? w->child_comm : "?");
		else
			fprintf(f, "waiting for any child%s%s", w->resource ? ": " : "",
				w->resource ? w->resource : "");
		break;
	case CLEAK_WAIT_SIGNAL:
		fputs("waiting for a signal", f);
		break;
	case CLEAK_WAIT_DISK:
		fputs("in uninterruptible sleep (disk or another kernel wait)", f);
		if (with_fd && w->fd >= 0)
			print_fd(w, f);
		break;
	case CLEAK_WAIT_STOPPED:
		fputs("stopped", f);
		if (w->stopped_while == CLEAK_WAIT_RUNNING)
			fputs(" while running", f);
		else if (w->stopped_while != CLEAK_WAIT_UNKNOWN)
			fprintf(f, " (it was waiting: %s)", cleak_wait_kind_name(w->stopped_while));
		if (w->owner_tid > 0) {
			fprintf(f, " 0x%" PRIx64, w->address);
			print_holder(snap, t, f);
		}
		break;
	case CLEAK_WAIT_ZOMBIE:
		fputs("exited, not yet reaped (zombie)", f);
		break;
	case CLEAK_WAIT_SYSCALL:
		sc = cleak_syscall_name(t->syscall_nr);
		fprintf(f, "in %s%s", sc ? sc : "a system call", sc ? "()" : "");
		if (with_fd && w->fd >= 0)
			print_fd(w, f);
		break;
	default:
		fputs("state unknown", f);
		break;
	}
	if (w->detail && w->kind != CLEAK_WAIT_DISK)
		fprintf(f, " (%s)", w->detail);
	if (w->timeout == CLEAK_TIMEOUT_BOUNDED && w->kind != CLEAK_WAIT_SLEEP) {
		fputs(", times out", f);
		if (w->timeout_ms >= 0) {
			fputs(" within ", f);
			print_duration_ms(f, w->timeout_ms);
		}
	}
}

/* ---- deadlocks and chains ---- */

/* 1-based number of the deadlock `tid` is part of; 0 if none. */
static size_t deadlock_of(const struct cleak_snapshot *snap, pid_t tid)
{
	size_t i, j;

	for (i = 0; i < snap->ndeadlocks; i++)
		for (j = 0; j < snap->deadlocks[i].ntids; j++)
			if (snap->deadlocks[i].tids[j] == tid)
				return i + 1;
	return 0;
}

static void print_deadlock(const struct cleak_snapshot *snap, size_t n, FILE *f)
{
	const struct cleak_deadlock *d = &snap->deadlocks[n];
	size_t i;

	fprintf(f, "\nDeadlock %zu: %zu thread%s, %s\n", n + 1, d->ntids, d->ntids == 1 ? "" : "s",
		d->confirmed ? "confirmed: unchanged on a second look"
			     : "not confirmed (a saved snapshot cannot be looked at again)");
	for (i = 0; i < d->ntids; i++) {
		const struct cleak_thread *t = cleak_snapshot_thread(snap, d->tids[i]);

		if (!t)
			continue;
		fprintf(f, "  thread %d %s is ", t->tid, t->name);
		render_wait_phrase(snap, t, true, f);
		fputc('\n', f);
	}
	if (d->times_out)
		fputs("  At least one of these waits has a timeout: the cycle breaks when it\n"
		      "  expires, and that thread's lock call fails.  Until then none of them\n"
		      "  moves; the fix is still to take these locks in one order.  Where each\n"
		      "  one waits:\n", f);
	else if (d->ntids == 1)
		fputs("  A thread that locks a non-recursive mutex it already holds waits for\n"
		      "  itself forever: unlock it first, or make the mutex recursive.\n", f);
	else
		fputs("  None of these threads can go on: each holds what the next one needs.\n"
		      "  Only restarting the process frees them; the fix is to take these\n"
		      "  locks in the same order everywhere.  Where each one waits:\n", f);
	for (i = 0; i < d->ntids; i++) {
		const struct cleak_thread *t = cleak_snapshot_thread(snap, d->tids[i]);

		if (!t)
			continue;
		fprintf(f, "\n  thread %d %s\n", t->tid, t->name);
		render_frames(t, f);
	}
}

/* "..., which is reading fd 5: pipe ..." up the chain of holders. */
static void print_chain_tail(const struct cleak_snapshot *snap, const struct cleak_thread *h,
			     FILE *f)
{
	const struct cleak_thread *named[64];
	size_t n = 0, i, dl;

	while (h && n < CLEAK_ARRAY_LEN(named)) {
		for (i = 0; i < n && named[i] != h; i++)
			;
		if (i < n) {
			/* A cycle that moved when looked at again (or was never
			 * looked at): not reported as a deadlock. */
			fputs(", and so on (a cycle, not confirmed as a deadlock)", f);
			return;
		}
		dl = deadlock_of(snap, h->tid);
		if (dl) {
			fprintf(f, ", which is in deadlock %zu", dl);
			return;
		}
		named[n++] = h;
		fputs(", which is ", f);
		render_wait_phrase(snap, h, true, f);
		h = cleak_wait_holder(snap, h);
	}
}

/* Whether `o` waits where `t` does: the same kind of wait on the same lock,
 * for the same thread (same tid, so the same holder; no lookup needed). */
static bool waits_like(const struct cleak_thread *o, const struct cleak_thread *t)
{
	return o->wait.kind == t->wait.kind && o->wait.address == t->wait.address &&
	       o->wait.owner_tid == t->wait.owner_tid && o->wait.joined_tid == t->wait.joined_tid;
}

/*
 * Threads that wait for another thread (outside any cycle), grouped by
 * what they wait for: "3 threads (4545-4547 mx-waiter) are waiting for
 * mutex 0x... held by 4544 mx-holder, which is reading fd 15: tcp ...".
 */
static void print_chains(const struct cleak_snapshot *snap, FILE *f)
{
	bool *done = calloc(snap->nthreads ? snap->nthreads : 1, sizeof(*done));
	bool header = false;
	size_t i, j;

	if (!done)
		return;
	for (i = 0; i < snap->nthreads; i++) {
		const struct cleak_thread *t = &snap->threads[i], *h = cleak_wait_holder(snap, t);
		size_t count = 0, shown = 0;

		if (done[i] || !h || h == t || deadlock_of(snap, t->tid))
			continue;
		if (!header) {
			fputs("\nWaiting chains (threads blocked by another thread):\n", f);
			header = true;
		}
		for (j = i; j < snap->nthreads; j++)
			if (!done[j] && waits_like(&snap->threads[j], t))
				count++;
		fprintf(f, "  %zu thread%s (", count, count == 1 ? "" : "s");
		for (j = i; j < snap->nthreads; j++) {
			const struct cleak_thread *o = &snap->threads[j];

			if (done[j] || !waits_like(o, t))
				continue;
			done[j] = true;
			if (shown < 6)
				fprintf(f, "%s%d %s", shown ? ", " : "", o->tid, o->name);
			else if (shown == 6)
				fputs(", ...", f);
			shown++;
		}
		fputs(") ", f);
		render_wait_phrase(snap, t, true, f);
		print_chain_tail(snap, h, f);
		fputc('\n', f);
	}
	free(done);
}

void render_deadlocks_text(const struct cleak_snapshot *snap, FILE *f)
{
	size_t i;

	if (snap->ndeadlocks)
		fprintf(f, "\nFound %zu deadlock%s.\n", snap->ndeadlocks,
			snap->ndeadlocks == 1 ? "" : "s");
	for (i = 0; i < snap->ndeadlocks; i++)
		print_deadlock(snap, i, f);
	print_chains(snap, f);
}
