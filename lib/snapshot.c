// SPDX-License-Identifier: MIT
/*
 * Snapshot ownership: what a snapshot holds and how it is released.  The
 * snapshot owns its plain data (cleak.h) and frees all of it here, so no
 * stage has to be called back to undo what it filled in.  What a stage
 * keeps with a snapshot past its own call (the opened files, a Go
 * program's tables, a capture's scratch) is attached with its own release
 * function: this file needs to know none of their types.  The JSON form is
 * json/snapshot_json.c.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What a snapshot owns besides its plain data (behind snap->priv). */
struct snapshot_priv {
	struct cleak__strpool *pool;
	struct {
		void *obj;
		void (*release)(void *obj);
	} attached[CLEAK__ATTACH_COUNT];
};

static struct snapshot_priv *priv_of(struct cleak_snapshot *snap)
{
	if (!snap->priv)
		snap->priv = calloc(1, sizeof(struct snapshot_priv));
	return snap->priv;
}

struct cleak__strpool *cleak__snapshot_pool(struct cleak_snapshot *snap)
{
	struct snapshot_priv *priv = priv_of(snap);

	if (priv && !priv->pool)
		priv->pool = cleak__strpool_new();
	return priv ? priv->pool : NULL;
}

void *cleak__snapshot_attached(const struct cleak_snapshot *snap, enum cleak__attachment what)
{
	const struct snapshot_priv *priv = snap->priv;

	return priv ? priv->attached[what].obj : NULL;
}

int cleak__snapshot_attach(struct cleak_snapshot *snap, enum cleak__attachment what,
			   void *obj, void (*release)(void *obj))
{
	struct snapshot_priv *priv = priv_of(snap);

	if (!priv) {
		if (obj)
			release(obj);
		return cleak__fail(ENOMEM, "out of memory");
	}
	if (priv->attached[what].obj)
		priv->attached[what].release(priv->attached[what].obj);
	priv->attached[what].obj = obj;
	priv->attached[what].release = release;
	return 0;
}

void cleak__drop_waitmem(struct cleak_thread *t)
{
	size_t i;

	for (i = 0; i < CLEAK_WAITMEM_COUNT; i++) {
		free(t->waitmem[i].bytes);
		memset(&t->waitmem[i], 0, sizeof(t->waitmem[i]));
	}
}

static void thread_release(struct cleak_thread *t)
{
	cleak__drop_waitmem(t);
	free(t->wait.watched);
	free(t->stack);
	free(t->pcs);
	free(t->frames);
	free(t->error);
}

void cleak__snapshot_drop_threads(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nthreads; i++)
		thread_release(&snap->threads[i]);
	free(snap->threads);
	snap->threads = NULL;
	snap->nthreads = 0;
}

void cleak__snapshot_drop_wait_facts(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nfds; i++)
		free(snap->fds[i].watched);
	free(snap->fds);
	snap->fds = NULL;
	snap->nfds = 0;
	free(snap->children);
	snap->children = NULL;
	snap->nchildren = 0;
}

void cleak__snapshot_drop_deadlocks(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->ndeadlocks; i++)
		free(snap->deadlocks[i].tids);
	free(snap->deadlocks);
	snap->deadlocks = NULL;
	snap->ndeadlocks = 0;
}

void cleak__go_free(struct cleak_go *go)
{
	size_t i;

	if (!go)
		return;
	for (i = 0; i < go->ngoroutines; i++) {
		free(go->goroutines[i].frames);
		free(go->goroutines[i].native_frames);
		free(go->goroutines[i].pcs);
		free(go->goroutines[i].chans);
		free(go->goroutines[i].error);
	}
	free(go->goroutines);
	free(go->chans);
	free(go->version);
	free(go->module);
	free(go->error);
	free(go);
}

void cleak__free_maps(struct cleak_mapping *maps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}

const struct cleak_mapping *cleak__find_mapping(const struct cleak_mapping *maps,
						size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	/* /proc/<pid>/maps is sorted by address. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < maps[mid].start)
			hi = mid;
		else if (addr >= maps[mid].end)
			lo = mid + 1;
		else
			return &maps[mid];
	}
	return NULL;
}

void cleak__thread_set_error(struct cleak_thread *t, char *msg)
{
	free(t->error);
	t->error = msg;
}

const struct cleak_thread *cleak_snapshot_thread(const struct cleak_snapshot *snap, pid_t tid)
{
	size_t i;

	for (i = 0; tid > 0 && i < snap->nthreads; i++)
		if (snap->threads[i].tid == tid)
			return &snap->threads[i];
	return NULL;
}

const struct cleak_fd *cleak__snapshot_fd(const struct cleak_snapshot *snap, int fd)
{
	size_t i;

	for (i = 0; i < snap->nfds; i++)
		if (snap->fds[i].fd == fd)
			return &snap->fds[i];
	return NULL;
}

void cleak__snapshot_detach(struct cleak_snapshot *snap, enum cleak__attachment what)
{
	struct snapshot_priv *priv = snap->priv;

	if (priv && priv->attached[what].obj) {
		priv->attached[what].release(priv->attached[what].obj);
		priv->attached[what].obj = NULL;
	}
}

void cleak_snapshot_free(struct cleak_snapshot *snap)
{
	struct snapshot_priv *priv;
	size_t i;

	if (!snap)
		return;
	cleak__snapshot_drop_threads(snap);
	cleak__free_maps(snap->maps, snap->nmaps);
	free(snap->exe);
	free(snap->vdso);
	cleak__snapshot_drop_wait_facts(snap);
	cleak__snapshot_drop_deadlocks(snap);
	cleak__go_free(snap->go);
	priv = snap->priv;
	if (priv) {
		/* last attached first: a later stage's scratch may point into
		 * an earlier one's */
		for (i = CLEAK__ATTACH_COUNT; i-- > 0;)
			if (priv->attached[i].obj)
				priv->attached[i].release(priv->attached[i].obj);
		cleak__strpool_free(priv->pool);
	}
	free(priv);
	free(snap);
}
