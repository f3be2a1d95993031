// SPDX-License-Identifier: MIT
/*
 * The wait-for graph and its cycles.  An edge goes from a thread to the
 * thread it waits for: a mutex's holder, an rwlock's writer, a joined
 * thread.  A thread waits for one thing at a time, so each node has at
 * most one outgoing edge and a cycle is found by walking each path once.
 *
 * A default capture reads threads one after the other, so a cycle could
 * in principle be stitched together from moments that never coexisted.
 * Before a cycle is reported, its threads are looked at again in the live
 * process (syscall line and lock words, no stop): a deadlocked thread has
 * not moved.
 */
#include "target/target.h"
#include "capture/capture.h"
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only lock and join waits name another thread; a stopped thread keeps
 * the holder of what it was waiting for (classify.c). */
static pid_t waits_for(const struct cleak_thread *t)
{
	return t->wait.owner_tid > 0 ? t->wait.owner_tid : t->wait.joined_tid;
}

const struct cleak_thread *cleak_wait_holder(const struct cleak_snapshot *snap,
					     const struct cleak_thread *t)
{
	return cleak_snapshot_thread(snap, waits_for(t));
}

/* Index in snap->threads of the thread `t` waits for; -1 if none. */
static ssize_t holder_index(const struct cleak_snapshot *snap, const struct cleak_thread *t)
{
	const struct cleak_thread *h = cleak_wait_holder(snap, t);

	return h ? h - snap->threads : -1;
}

/* The bytes that named the holder: a mutex's lock word and __owner, an
 * rwlock's __cur_writer (classify.c). */
static bool holder_word(const struct cleak_thread *t, uint64_t *addr, size_t *len)
{
	enum cleak_wait_kind kind = t->wait.kind == CLEAK_WAIT_STOPPED ? t->wait.stopped_while
									 : t->wait.kind;

	if (!t->wait.owner_tid)
		return false;	/* a join: its word is in the syscall line */
	if (kind == CLEAK_WAIT_RWLOCK) {
		*addr = t->wait.address + 24;	/* an rwlock's __cur_writer */
		*len = 4;
	} else {
		*addr = t->wait.address;	/* a mutex's __lock .. __owner */
		*len = 12;
	}
	return true;
}

/*
 * The second look: the thread is still in the same call with the same
 * arguments, and the word naming its holder still names the same thread.
 */
static bool unchanged(const struct cleak_snapshot *snap, const struct cleak_thread *t)
{
	struct cleak__syscall sc;
	char path[80], buf[256];
	uint8_t now[16];
	const uint8_t *then;
	uint64_t addr;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", snap->pid, t->tid);
	if (cleak__read_small(path, buf, sizeof(buf)) <= 0 || cleak__parse_syscall(buf, &sc))
		return false;
	if (sc.nr != t->syscall_nr || memcmp(sc.args, t->syscall_args, sizeof(sc.args)) != 0)
		return false;
	if (!holder_word(t, &addr, &len))
		return true;
	then = cleak__waitmem_at(t, CLEAK_WAITMEM_OBJECT, addr, len);
	return then && cleak__read_target(snap->pid, addr, now, len) == len &&
	       memcmp(now, then, len) == 0;
}

static int add_cycle(struct cleak_snapshot *snap, const size_t *path, size_t len)
{
	struct cleak_deadlock *n, *d;
	size_t i, first = 0;

	n = realloc(snap->deadlocks, (snap->ndeadlocks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	snap->deadlocks = n;
	d = &n[snap->ndeadlocks];
	d->tids = calloc(len, sizeof(*d->tids));
	if (!d->tids)
		return -ENOMEM;
	/* Start at the lowest tid so that the same cycle reads the same. */
	for (i = 1; i < len; i++)
		if (snap->threads[path[i]].tid < snap->threads[path[first]].tid)
			first = i;
	for (i = 0; i < len; i++)
		d->tids[i] = snap->threads[path[(first + i) % len]].tid;
	d->ntids = len;
	d->confirmed = false;
	d->times_out = false;
	for (i = 0; i < len; i++)
		if (snap->threads[path[i]].wait.timeout == CLEAK_TIMEOUT_BOUNDED)
			d->times_out = true;
	snap->ndeadlocks++;
	return 0;
}

/* Keep the cycles whose threads all look the same again. */
static void confirm_cycles(struct cleak_snapshot *snap)
{
	size_t i, j, kept = 0;

	for (i = 0; i < snap->ndeadlocks; i++) {
		struct cleak_deadlock *d = &snap->deadlocks[i];
		bool same = true;

		for (j = 0; j < d->ntids && same; j++)
			same = unchanged(snap, cleak_snapshot_thread(snap, d->tids[j]));
		if (!same) {
			free(d->tids);
			continue;
		}
		d->confirmed = true;
		snap->deadlocks[kept++] = *d;
	}
	snap->ndeadlocks = kept;
}

int cleak_snapshot_find_deadlocks(struct cleak_snapshot *snap, bool confirm)
{
	enum { UNSEEN, ON_PATH, DONE };
	size_t n = snap->nthreads, i, len, k;
	unsigned char *color = calloc(n ? n : 1, 1);
	size_t *path = calloc(n ? n : 1, sizeof(*path));
	int err = 0;

	cleak__snapshot_drop_deadlocks(snap);
	if (!color || !path) {
		err = cleak__fail(ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n && !err; i++) {
		ssize_t at = (ssize_t)i;

		len = 0;
		while (at >= 0 && color[at] == UNSEEN) {
			color[at] = ON_PATH;
			path[len++] = (size_t)at;
			at = holder_index(snap, &snap->threads[at]);
		}
		/* Back on this walk's own path: from there on it is a cycle. */
		if (at >= 0 && color[at] == ON_PATH) {
			for (k = 0; path[k] != (size_t)at; k++)
				;
			if (add_cycle(snap, path + k, len - k))
				err = cleak__fail(ENOMEM, "out of memory");
		}
		for (k = 0; k < len; k++)
			color[path[k]] = DONE;
	}
	if (!err && confirm)
		confirm_cycles(snap);
out:
	free(color);
	free(path);
	return err;
}
