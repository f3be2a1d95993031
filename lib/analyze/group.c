// SPDX-License-Identifier: MIT
/*
 * Threads with the same state, the same syscall, the same wait (kind, lock,
 * holder) and the same stack form a group, so that 500 idle workers read
 * as one entry; goroutines likewise.  Biggest group first.
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

/* What grouping needs to know about one kind of item. */
struct group_ops {
	uint64_t (*hash)(const struct cleak_snapshot *snap, size_t i);
	bool (*same)(const struct cleak_snapshot *snap, size_t a, size_t b);
	uint64_t (*order)(const struct cleak_snapshot *snap, size_t i);	/* tid, goid */
};

struct group_ctx {
	const struct cleak_snapshot *snap;
	const struct group_ops *ops;
};

static int cmp_keyed(const void *pa, const void *pb, void *ctxv)
{
	const struct group_ctx *c = ctxv;
	const struct keyed *a = pa, *b = pb;
	uint64_t oa, ob;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	oa = c->ops->order(c->snap, a->index);
	ob = c->ops->order(c->snap, b->index);
	return (oa > ob) - (oa < ob);
}

static int cmp_group(const void *pa, const void *pb, void *ctxv)
{
	const struct group_ctx *c = ctxv;
	const struct cleak_group *a = pa, *b = pb;
	uint64_t oa, ob;

	if (a->nmembers != b->nmembers)
		return a->nmembers > b->nmembers ? -1 : 1;
	oa = c->ops->order(c->snap, a->members[0]);
	ob = c->ops->order(c->snap, b->members[0]);
	return (oa > ob) - (oa < ob);
}

static int group_items(const struct cleak_snapshot *snap, const struct group_ops *ops, size_t n,
		       struct cleak_group **out, size_t *ngroups)
{
	struct group_ctx ctx = { snap, ops };
	struct keyed *keys;
	struct cleak_group *groups;
	size_t i, j, count = 0;
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
		keys[i].hash = ops->hash(snap, i);
	}
	qsort_r(keys, n, sizeof(*keys), cmp_keyed, &ctx);
	/* Equal hashes are adjacent; split them by a full comparison. */
	for (i = 0; i < n; i++) {
		struct cleak_group *g;
		size_t cap = 1;

		if (taken[i])
			continue;
		g = &groups[count++];
		g->members = malloc(cap * sizeof(*g->members));
		if (!g->members)
			goto err_nomem;
		g->members[g->nmembers++] = keys[i].index;
		taken[i] = true;
		for (j = i + 1; j < n && keys[j].hash == keys[i].hash; j++) {
			if (taken[j] || !ops->same(snap, keys[i].index, keys[j].index))
				continue;
			if (g->nmembers == cap) {
				size_t *m = realloc(g->members, (cap *= 2) * sizeof(*m));

				if (!m)
					goto err_nomem;
				g->members = m;
			}
			g->members[g->nmembers++] = keys[j].index;
			taken[j] = true;
		}
	}
	qsort_r(groups, count, sizeof(*groups), cmp_group, &ctx);
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

static uint64_t thread_hash_at(const struct cleak_snapshot *snap, size_t i)
{
	return thread_hash(&snap->threads[i]);
}

static bool same_thread_at(const struct cleak_snapshot *snap, size_t a, size_t b)
{
	return same_thread_state(&snap->threads[a], &snap->threads[b]);
}

static uint64_t thread_order(const struct cleak_snapshot *snap, size_t i)
{
	return (uint64_t)snap->threads[i].tid;
}

int cleak_snapshot_group(const struct cleak_snapshot *snap, struct cleak_group **out,
			 size_t *ngroups)
{
	static const struct group_ops ops = { thread_hash_at, same_thread_at, thread_order };

	return group_items(snap, &ops, snap->nthreads, out, ngroups);
}

/*
 * Goroutines group as pprof's debug=1 does, by what they wait for and
 * where: the same status and wait reason, the same frames (pcs) and the
 * same creator.  Not by channel: a handler that leaks one goroutine per
 * request leaks one channel per request too, and that is one group.
 */
static uint64_t goroutine_hash(const struct cleak_snapshot *snap, size_t i)
{
	const struct cleak_goroutine *g = &snap->go->goroutines[i];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t k;

	h = mix(h, g->status);
	h = str_hash(h, g->wait_reason);
	h = mix(h, g->created_by.pc);
	h = mix(h, (uint64_t)g->system << 1 | g->stack_unavailable);
	for (k = 0; k < g->nframes; k++)
		h = str_hash(mix(h, g->frames[k].pc), g->frames[k].function);
	return h;
}

static bool same_goroutine(const struct cleak_snapshot *snap, size_t ia, size_t ib)
{
	const struct cleak_goroutine *a = &snap->go->goroutines[ia], *b = &snap->go->goroutines[ib];
	size_t k;

	if (a->status != b->status || !str_eq(a->wait_reason, b->wait_reason) ||
	    a->created_by.pc != b->created_by.pc || a->system != b->system ||
	    a->stack_unavailable != b->stack_unavailable || a->nframes != b->nframes ||
	    !str_eq(a->error, b->error) || a->leaked != b->leaked)
		return false;
	for (k = 0; k < a->nframes; k++)
		if (a->frames[k].pc != b->frames[k].pc || a->frames[k].inlined != b->frames[k].inlined ||
		    !str_eq(a->frames[k].function, b->frames[k].function))
			return false;
	return true;
}

static uint64_t goroutine_order(const struct cleak_snapshot *snap, size_t i)
{
	return snap->go->goroutines[i].goid;
}

int cleak_snapshot_group_goroutines(const struct cleak_snapshot *snap, struct cleak_group **out,
				    size_t *ngroups)
{
	static const struct group_ops ops = { goroutine_hash, same_goroutine, goroutine_order };

	return group_items(snap, &ops, snap->go ? snap->go->ngoroutines : 0, out, ngroups);
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
