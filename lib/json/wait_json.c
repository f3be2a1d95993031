// SPDX-License-Identifier: MIT
/*
 * The JSON form of threads[].wait and of the top-level "deadlocks", in
 * and out; keys are documented in cleak-stack(1) and only ever added.
 */
#include "internal.h"
#include "json/json_writer.h"
#include "json/wait_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Follow holder edges from `t`: the threads it waits for, in order, up to
 * one that waits for no thread or one already listed (a cycle, of which
 * `t` need not be part); at most 64. */
static void write_chain(struct cleak__jw *w, const struct cleak_snapshot *snap,
			const struct cleak_thread *t)
{
	const struct cleak_thread *h;
	pid_t chain[64];
	size_t n = 0, i;

	cleak__jw_array_begin(w);
	for (h = cleak_wait_holder(snap, t); h && h != t && n < CLEAK__ARRAY_SIZE(chain);
	     h = cleak_wait_holder(snap, h)) {
		for (i = 0; i < n && chain[i] != h->tid; i++)
			;
		if (i < n)
			break;
		chain[n++] = h->tid;
		cleak__jw_int(w, h->tid);
	}
	cleak__jw_array_end(w);
}

static void write_optional_int(struct cleak__jw *w, const char *key, bool present, int64_t v)
{
	cleak__jw_key(w, key);
	if (present)
		cleak__jw_int(w, v);
	else
		cleak__jw_null(w);
}

static void write_optional_hex(struct cleak__jw *w, const char *key, uint64_t v)
{
	cleak__jw_key(w, key);
	if (v)
		cleak__jw_hex(w, v);
	else
		cleak__jw_null(w);
}

void cleak__write_wait(struct cleak__jw *w, const struct cleak_snapshot *snap,
		       const struct cleak_thread *t)
{
	const struct cleak_wait *wt = &t->wait;
	size_t i;

	cleak__jw_object_begin(w);
	cleak__jw_key(w, "kind");
	cleak__jw_string(w, cleak_wait_kind_name(wt->kind));
	write_optional_hex(w, "address", wt->address);
	write_optional_int(w, "owner_tid", wt->owner_tid > 0, wt->owner_tid);
	write_optional_int(w, "joined_tid", wt->joined_tid > 0, wt->joined_tid);
	write_optional_int(w, "child_pid", wt->kind == CLEAK_WAIT_CHILD, wt->child_pid);
	cleak__jw_key(w, "child_comm");
	cleak__jw_string(w, wt->child_comm);
	cleak__jw_key(w, "mode");
	cleak__jw_string(w, wt->kind != CLEAK_WAIT_RWLOCK ? NULL : wt->for_write ? "write" : "read");
	write_optional_int(w, "fd", wt->fd >= 0, wt->fd);
	cleak__jw_key(w, "resource");
	cleak__jw_string(w, wt->resource);
	cleak__jw_key(w, "detail");
	cleak__jw_string(w, wt->detail);
	cleak__jw_key(w, "watched");
	cleak__jw_array_begin(w);
	for (i = 0; i < wt->nwatched; i++) {
		cleak__jw_object_begin(w);
		cleak__jw_key(w, "fd");
		cleak__jw_int(w, wt->watched[i].fd);
		cleak__jw_key(w, "resource");
		cleak__jw_string(w, wt->watched[i].resource);
		cleak__jw_object_end(w);
	}
	cleak__jw_array_end(w);
	cleak__jw_key(w, "stopped_while");
	cleak__jw_string(w, wt->kind == CLEAK_WAIT_STOPPED ? cleak_wait_kind_name(wt->stopped_while)
							   : NULL);
	cleak__jw_key(w, "timeout");
	if (wt->timeout == CLEAK_TIMEOUT_UNKNOWN)
		cleak__jw_null(w);
	else
		cleak__jw_bool(w, wt->timeout == CLEAK_TIMEOUT_BOUNDED);
	write_optional_int(w, "timeout_ms", wt->timeout_ms >= 0, wt->timeout_ms);
	cleak__jw_key(w, "waits_for");
	write_chain(w, snap, t);
	cleak__jw_object_end(w);
}

void cleak__write_deadlocks(struct cleak__jw *w, const struct cleak_snapshot *snap)
{
	size_t i, j;

	cleak__jw_array_begin(w);
	for (i = 0; i < snap->ndeadlocks; i++) {
		const struct cleak_deadlock *d = &snap->deadlocks[i];

		cleak__jw_object_begin(w);
		cleak__jw_key(w, "tids");
		cleak__jw_array_begin(w);
		for (j = 0; j < d->ntids; j++)
			cleak__jw_int(w, d->tids[j]);
		cleak__jw_array_end(w);
		cleak__jw_key(w, "confirmed");
		cleak__jw_bool(w, d->confirmed);
		cleak__jw_key(w, "times_out");
		cleak__jw_bool(w, d->times_out);
		/* What each member waits for and who holds it. */
		cleak__jw_key(w, "locks");
		cleak__jw_array_begin(w);
		for (j = 0; j < d->ntids; j++) {
			const struct cleak_thread *t = cleak_snapshot_thread(snap, d->tids[j]);

			if (!t)
				continue;
			cleak__jw_object_begin(w);
			cleak__jw_key(w, "waiter_tid");
			cleak__jw_int(w, t->tid);
			cleak__jw_key(w, "kind");
			cleak__jw_string(w, cleak_wait_kind_name(t->wait.kind));
			write_optional_hex(w, "address", t->wait.address);
			cleak__jw_key(w, "holder_tid");
			cleak__jw_int(w, d->tids[(j + 1) % d->ntids]);
			cleak__jw_object_end(w);
		}
		cleak__jw_array_end(w);
		cleak__jw_object_end(w);
	}
	cleak__jw_array_end(w);
}

/* ---- reading back ---- */

/* The member, or NULL when it is missing or null. */
static json_object *get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

int cleak__read_wait(struct cleak_snapshot *snap, json_object *jw, struct cleak_thread *t,
		     size_t index)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	struct cleak_wait *w = &t->wait;
	json_object *v, *watched;
	const char *s;
	int kind;
	size_t i, n;

	w->fd = -1;
	w->timeout_ms = -1;
	if (!jw)
		return 0;	/* a snapshot from before waits were classified */
	if (!json_object_is_type(jw, json_type_object))
		return cleak__fail(EINVAL, "threads[%zu].wait is not an object", index);
	s = cleak__json_str(jw, "kind");
	kind = cleak_wait_kind_from_name(s);
	if (kind < 0)
		return cleak__fail(EINVAL, "threads[%zu].wait.kind \"%s\" is not a wait kind "
				   "cleak knows", index, s ? s : "(missing)");
	w->kind = (enum cleak_wait_kind)kind;
	s = cleak__json_str(jw, "address");
	w->address = s ? strtoull(s, NULL, 16) : 0;
	w->owner_tid = (pid_t)cleak__json_int(jw, "owner_tid", 0);
	w->joined_tid = (pid_t)cleak__json_int(jw, "joined_tid", 0);
	w->child_pid = (pid_t)cleak__json_int(jw, "child_pid", 0);
	w->child_comm = cleak__intern(pool, cleak__json_str(jw, "child_comm"));
	s = cleak__json_str(jw, "mode");
	w->for_write = s && strcmp(s, "write") == 0;
	w->fd = (int)cleak__json_int(jw, "fd", -1);
	w->resource = cleak__intern(pool, cleak__json_str(jw, "resource"));
	w->detail = cleak__intern(pool, cleak__json_str(jw, "detail"));
	kind = cleak_wait_kind_from_name(cleak__json_str(jw, "stopped_while"));
	w->stopped_while = kind < 0 ? CLEAK_WAIT_UNKNOWN : (enum cleak_wait_kind)kind;
	v = get(jw, "timeout");
	w->timeout = !v ? CLEAK_TIMEOUT_UNKNOWN
		   : json_object_get_boolean(v) ? CLEAK_TIMEOUT_BOUNDED : CLEAK_TIMEOUT_NONE;
	w->timeout_ms = cleak__json_int(jw, "timeout_ms", -1);
	watched = get(jw, "watched");
	if (!watched)
		return 0;
	if (!json_object_is_type(watched, json_type_array))
		return cleak__fail(EINVAL, "threads[%zu].wait.watched is not an array", index);
	n = json_object_array_length(watched);
	if (!n)
		return 0;
	w->watched = calloc(n, sizeof(*w->watched));
	if (!w->watched)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(watched, i);

		if (!json_object_is_type(e, json_type_object))
			return cleak__fail(EINVAL, "threads[%zu].wait.watched[%zu] is not an "
					   "object", index, i);
		w->watched[i].fd = (int)cleak__json_int(e, "fd", -1);
		w->watched[i].resource = cleak__intern(pool, cleak__json_str(e, "resource"));
	}
	w->nwatched = n;
	return 0;
}

int cleak__read_deadlocks(struct cleak_snapshot *snap, json_object *jd)
{
	size_t i, j, n;

	if (!jd)
		return 0;
	if (!json_object_is_type(jd, json_type_array))
		return cleak__fail(EINVAL, "\"deadlocks\" is not an array");
	n = json_object_array_length(jd);
	snap->deadlocks = calloc(n ? n : 1, sizeof(*snap->deadlocks));
	if (!snap->deadlocks)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(jd, i), *tids = d ? get(d, "tids") : NULL;
		struct cleak_deadlock *out = &snap->deadlocks[i];

		if (!tids || !json_object_is_type(tids, json_type_array) ||
		    !json_object_array_length(tids))
			return cleak__fail(EINVAL, "deadlocks[%zu] has no \"tids\" array", i);
		out->ntids = json_object_array_length(tids);
		out->tids = calloc(out->ntids, sizeof(*out->tids));
		if (!out->tids)
			return cleak__fail(ENOMEM, "out of memory");
		snap->ndeadlocks++;
		for (j = 0; j < out->ntids; j++)
			out->tids[j] = (pid_t)json_object_get_int(json_object_array_get_idx(tids, j));
		out->confirmed = cleak__json_bool(d, "confirmed");
		out->times_out = cleak__json_bool(d, "times_out");
	}
	return 0;
}
