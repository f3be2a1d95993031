// SPDX-License-Identifier: MIT
/*
 * Threads with the same state, the same syscall, the same wait (kind, lock,
 * holder) and the same stack form a group, so that 500 idle workers read as one entry.  Biggest group first.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct keyed {
	size_t index;
	uint64_t hash;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	if (!s)
		return mix(h, 0);
	while (*s)
		h = mix(h, (unsigned char)*s++);
	return h;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The lock a thread waits for, where a holder goes with it; condvars,
 * semaphores and other futexes are often one per worker, and a pool of
 * identical workers is still one group. */
static uint64_t lock_address(const struct cleak_thread *t)
{
	return t->wait.kind == CLEAK_WAIT_MUTEX || t->wait.kind == CLEAK_WAIT_RWLOCK
	       ? t->wait.address : 0;
}

/* What makes two threads "the same" in a dump. */
static uint64_t thread_hash(const struct cleak_thread *t)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = mix(h, (unsigned char)t->state);
	h = mix(h, (uint64_t)t->syscall_nr);
	h = mix(h, (uint64_t)t->wait.kind);
	h = mix(h, lock_address(t));
	h = mix(h, (uint64_t)t->wait.owner_tid);
	h = mix(h, (uint64_t)t->wait.joined_tid);
	h = mix(h, (uint64_t)t->wait.child_pid);
	h = str_hash(h, t->error);
	for (i = 0; i < t->nframes; i++) {
		h = str_hash(h, t->frames[i].function);
		h = str_hash(h, t->frames[i].file);
		h = mix(h, (uint64_t)t->frames[i].line);
		h = mix(h, t->frames[i].module_offset);
	}
	return h;
}

static bool same_thread_state(const struct cleak_thread *a, const struct cleak_thread *b)
{
	size_t i;

	if (a->state != b->state || a->syscall_nr != b->syscall_nr ||
	    !str_eq(a->error, b->error) || a->nframes != b->nframes)
		return false;
	/* Waiting on a different lock, or for a different holder, is a
	 * different story even with the same stack; descriptors are not part
	 * of it (a hundred connection readers stay one group). */
	if (a->wait.kind != b->wait.kind || lock_address(a) != lock_address(b) ||
	    a->wait.owner_tid != b->wait.owner_tid || a->wait.joined_tid != b->wait.joined_tid ||
	    a->wait.child_pid != b->wait.child_pid)
		return false;
	for (i = 0; i < a->nframes; i++) {
		const struct cleak_frame *x = &a->frames[i], *y = &b->frames[i];

		if (!str_eq(x->function, y->function) || !str_eq(x->file, y->file) ||
		    x->line != y->line || x->module_offset != y->module_offset ||
		    !str_eq(x->module, y->module) || x->inlined != y->inlined)
			return false;
	}
	return true;
}

static int cmp_keyed(const void *pa, const void *pb, void *snapv)
{
	const struct cleak_snapshot *snap = snapv;
	const struct keyed *a = pa, *b = pb;
	pid_t ta, tb;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	ta = snap->threads[a->index].tid;
	tb = snap->threads[b->index].tid;
	return (ta > tb) - (ta < tb);
}

static int cmp_group(const void *pa, const void *pb, void *snapv)
{
	const struct cleak_snapshot *snap = snapv;
	const struct cleak_group *a = pa, *b = pb;
	pid_t ta, tb;

	if (a->nmembers != b->nmembers)
		return a->nmembers > b->nmembers ? -1 : 1;
	ta = snap->threads[a->members[0]].tid;
	tb = snap->threads[b->members[0]].tid;
	return (ta > tb) - (ta < tb);
}

int cleak_snapshot_group(const struct cleak_snapshot *snap, struct cleak_group **out,
			 size_t *ngroups)
{
	struct keyed *keys;
	struct cleak_group *groups;
	size_t n = snap->nthreads, i, j, count = 0;
	bool *taken;

	*out = NULL;
	*ngroups = 0;
	keys = calloc(n + 1, sizeof(*keys));
	groups = calloc(n + 1, sizeof(*groups));
	taken = calloc(n + 1, sizeof(*taken));
	if (!keys || !groups || !taken)
		goto err_nomem;
	for (i = 0; i < n; i++) {
		keys[i].index = i;
		keys[i].hash = thread_hash(&snap->threads[i]);
	}
	qsort_r(keys, n, sizeof(*keys), cmp_keyed, (void *)snap);
	/* Equal hashes are adjacent; split them by a full comparison. */
	for (i = 0; i < n; i++) {
		struct cleak_group *g;

		if (taken[i])
			continue;
		g = &groups[count++];
		g->members = malloc(sizeof(*g->members));
		if (!g->members)
			goto err_nomem;
		g->members[g->nmembers++] = keys[i].index;
		taken[i] = true;
		for (j = i + 1; j < n && keys[j].hash == keys[i].hash; j++) {
			size_t *m;

			if (taken[j] || !same_thread_state(&snap->threads[keys[i].index],
							   &snap->threads[keys[j].index]))
				continue;
			m = realloc(g->members, (g->nmembers + 1) * sizeof(*m));
			if (!m)
				goto err_nomem;
			g->members = m;
			g->members[g->nmembers++] = keys[j].index;
			taken[j] = true;
		}
	}
	qsort_r(groups, count, sizeof(*groups), cmp_group, (void *)snap);
	free(keys);
	free(taken);
	*out = groups;
	*ngroups = count;
	return 0;
err_nomem:
	free(keys);
	free(taken);
	if (groups)
		cleak_groups_free(groups, count);
	return cleak__fail(ENOMEM, "out of memory");
}

void cleak_groups_free(struct cleak_group *groups, size_t ngroups)
{
	size_t i;

	if (!groups)
		return;
	for (i = 0; i < ngroups; i++)
		free(groups[i].members);
	free(groups);
}
