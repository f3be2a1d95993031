// SPDX-License-Identifier: MIT
/* The JSON forms of a diff and of a check (documented in cleak-diff(1)
 * and cleak-check(1)); keys are only ever added. */
#include "internal.h"
#include "json/wait_json.h"

#include <errno.h>

static void write_group(struct cleak__jw *w, const struct cleak_diff *d, size_t i)
{
	const struct cleak_diff_group *dg = &d->groups[i];
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	size_t k;

	cleak__jw_object_begin(w);
	cleak__jw_key(w, "kind");
	cleak__jw_string(w, dg->goroutine ? "goroutine" : "thread");
	cleak__jw_key(w, "status");
	cleak__jw_string(w, dg->status);
	cleak__jw_key(w, "wait");
	cleak__jw_string(w, dg->wait);
	cleak__jw_key(w, "frames");
	cleak__jw_array_begin(w);
	for (k = 0; k < dg->nframes; k++)
		cleak__write_frame(w, &dg->frames[k]);
	cleak__jw_array_end(w);
	cleak__jw_key(w, "created_by");
	if (dg->created_by) {
		cleak__jw_object_begin(w);
		cleak__jw_key(w, "function");
		cleak__jw_string(w, dg->created_by->function);
		cleak__jw_key(w, "file");
		cleak__jw_string(w, dg->created_by->file);
		cleak__jw_key(w, "line");
		cleak__jw_int(w, dg->created_by->line);
		cleak__jw_object_end(w);
	} else {
		cleak__jw_null(w);
	}
	cleak__jw_key(w, "counts");
	cleak__jw_array_begin(w);
	for (k = 0; k < d->nsnaps; k++)
		cleak__jw_uint(w, dg->counts[k]);
	cleak__jw_array_end(w);
	cleak__jw_key(w, "before");
	cleak__jw_uint(w, dg->before);
	cleak__jw_key(w, "after");
	cleak__jw_uint(w, dg->after);
	cleak__jw_key(w, "growth");
	cleak__jw_int(w, dg->growth);
	cleak__jw_key(w, "interval_growth");
	cleak__jw_array_begin(w);
	for (k = 0; dg->interval_growth && k + 1 < d->nsnaps; k++)
		cleak__jw_int(w, dg->interval_growth[k]);
	cleak__jw_array_end(w);
	cleak__jw_key(w, "rate_per_s");
	cleak__jw_double(w, dg->rate_per_s);
	cleak__jw_key(w, "grew_every_interval");
	cleak__jw_bool(w, dg->grew_every_interval);
	cleak__jw_key(w, "unconfirmed");
	cleak__jw_bool(w, dg->unconfirmed);
	cleak__jw_key(w, "moved_in");
	cleak__jw_uint(w, dg->moved_in);
	cleak__jw_key(w, "moved_out");
	cleak__jw_uint(w, dg->moved_out);
	cleak__jw_key(w, "stuck");
	cleak__jw_uint(w, dg->stuck);
	cleak__jw_key(w, "leaked");
	cleak__jw_uint(w, dg->leaked);
	cleak__jw_key(w, "pile");
	if (dg->pile_chan) {
		cleak__jw_object_begin(w);
		cleak__jw_key(w, "channel");
		cleak__write_chan(w, dg->pile_chan);
		cleak__jw_key(w, "goroutines");
		cleak__jw_uint(w, dg->pile);
		cleak__jw_object_end(w);
	} else {
		cleak__jw_null(w);
	}
	cleak__jw_key(w, "idle");
	cleak__jw_string(w, dg->idle);
	cleak__jw_key(w, "suspect");
	cleak__jw_bool(w, dg->suspect);
	cleak__jw_key(w, "rank");
	if (dg->rank)
		cleak__jw_uint(w, dg->rank);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "why");
	cleak__jw_string(w, dg->why);
	cleak__jw_key(w, dg->goroutine ? "goids" : "tids");
	cleak__jw_array_begin(w);
	for (k = 0; k < dg->nmembers; k++) {
		if (dg->goroutine)
			cleak__jw_uint(w, last->go->goroutines[dg->members[k]].goid);
		else
			cleak__jw_int(w, last->threads[dg->members[k]].tid);
	}
	cleak__jw_array_end(w);
	cleak__jw_object_end(w);
}

static void write_ids(struct cleak__jw *w, const char *key, const uint64_t *goids,
		      const pid_t *tids, size_t n)
{
	size_t i;

	cleak__jw_key(w, key);
	cleak__jw_array_begin(w);
	for (i = 0; i < n; i++) {
		if (goids)
			cleak__jw_uint(w, goids[i]);
		else
			cleak__jw_int(w, tids[i]);
	}
	cleak__jw_array_end(w);
}

static void write_counts(struct cleak__jw *w, const char *key, size_t before, size_t after)
{
	cleak__jw_key(w, key);
	cleak__jw_object_begin(w);
	cleak__jw_key(w, "before");
	cleak__jw_uint(w, before);
	cleak__jw_key(w, "after");
	cleak__jw_uint(w, after);
}

static void write_stuck(struct cleak__jw *w, const struct cleak_diff *d)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	size_t i;

	cleak__jw_key(w, "stuck");
	cleak__jw_array_begin(w);
	for (i = 0; i < d->nstuck; i++) {
		const struct cleak_diff_stuck *s = &d->stuck[i];

		cleak__jw_object_begin(w);
		if (s->goroutine)
			cleak__write_goroutine_fields(w, &last->go->goroutines[s->index]);
		else
			cleak__write_thread_fields(w, last, &last->threads[s->index]);
		cleak__jw_key(w, "group");
		cleak__jw_uint(w, s->group);
		cleak__jw_key(w, "idle");
		cleak__jw_string(w, d->groups[s->group].idle);
		cleak__jw_object_end(w);
	}
	cleak__jw_array_end(w);
}

static void write_head(struct cleak__jw *w, const struct cleak_diff *d)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];

	cleak__jw_key(w, "cleak_version");
	cleak__jw_string(w, CLEAK_VERSION);
	cleak__jw_key(w, "pid");
	cleak__jw_int(w, last->pid);
	cleak__jw_key(w, "comm");
	cleak__jw_string(w, last->comm);
}

static int finish(FILE *f)
{
	fputc('\n', f);
	fflush(f);
	return ferror(f) ? cleak__fail(EIO, "cannot write JSON output") : 0;
}

int cleak_diff_write_json(const struct cleak_diff *d, FILE *f, bool pretty)
{
	struct cleak__jw w;
	size_t i;

	cleak__jw_init(&w, f, pretty);
	cleak__jw_object_begin(&w);
	write_head(&w, d);
	cleak__jw_key(&w, "snapshots");
	cleak__jw_array_begin(&w);
	for (i = 0; i < d->nsnaps; i++) {
		const struct cleak_snapshot *s = d->snaps[i];

		cleak__jw_object_begin(&w);
		cleak__jw_key(&w, "time_unix_ms");
		cleak__jw_int(&w, s->capture.time_unix_ms);
		cleak__jw_key(&w, "goroutines");
		if (s->go)
			cleak__jw_uint(&w, s->go->ngoroutines - s->go->nsystem);
		else
			cleak__jw_null(&w);
		cleak__jw_key(&w, "threads");
		cleak__jw_uint(&w, s->nthreads);
		cleak__jw_key(&w, "file");
		cleak__jw_string(&w, d->files[i]);
		cleak__jw_object_end(&w);
	}
	cleak__jw_array_end(&w);
	cleak__jw_key(&w, "seconds");
	cleak__jw_double(&w, d->seconds);
	write_counts(&w, "goroutines", d->goroutines_before, d->goroutines_after);
	write_ids(&w, "appeared", d->appeared_goids, NULL, d->nappeared_goids);
	write_ids(&w, "ended", d->ended_goids, NULL, d->nended_goids);
	cleak__jw_object_end(&w);
	write_counts(&w, "threads", d->threads_before, d->threads_after);
	write_ids(&w, "appeared", NULL, d->appeared_tids, d->nappeared_tids);
	write_ids(&w, "ended", NULL, d->ended_tids, d->nended_tids);
	cleak__jw_object_end(&w);
	cleak__jw_key(&w, "ignored");
	cleak__jw_uint(&w, d->ignored);
	cleak__jw_key(&w, "suspects");
	cleak__jw_uint(&w, d->nsuspects);
	cleak__jw_key(&w, "unconfirmed");
	cleak__jw_uint(&w, d->nunconfirmed);
	cleak__jw_key(&w, "groups");
	cleak__jw_array_begin(&w);
	for (i = 0; i < d->ngroups; i++)
		write_group(&w, d, i);
	cleak__jw_array_end(&w);
	write_stuck(&w, d);
	cleak__jw_object_end(&w);
	return finish(f);
}

int cleak_check_write_json(const struct cleak_check *c, const struct cleak_diff *d,
			   unsigned attempts, FILE *f, bool pretty)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	struct cleak__jw w;
	size_t i, k;

	cleak__jw_init(&w, f, pretty);
	cleak__jw_object_begin(&w);
	write_head(&w, d);
	cleak__jw_key(&w, "healthy");
	cleak__jw_bool(&w, c->nproblems == 0);
	cleak__jw_key(&w, "attempts");
	cleak__jw_uint(&w, attempts);
	cleak__jw_key(&w, "seconds");
	cleak__jw_double(&w, d->seconds);
	cleak__jw_key(&w, "goroutines");
	if (last->go)
		cleak__jw_uint(&w, d->goroutines_after);
	else
		cleak__jw_null(&w);
	cleak__jw_key(&w, "threads");
	cleak__jw_uint(&w, d->threads_after);
	cleak__jw_key(&w, "ignored");
	cleak__jw_uint(&w, d->ignored);
	cleak__jw_key(&w, "problems");
	cleak__jw_array_begin(&w);
	for (i = 0; i < c->nproblems; i++) {
		const struct cleak_problem *p = &c->problems[i];

		cleak__jw_object_begin(&w);
		cleak__jw_key(&w, "check");
		cleak__jw_string(&w, cleak_check_kind_name(p->kind));
		cleak__jw_key(&w, "message");
		cleak__jw_string(&w, p->message);
		cleak__jw_key(&w, "pattern");
		cleak__jw_string(&w, p->pattern);
		write_ids(&w, "goroutines", p->goids, NULL, p->ngoids);
		write_ids(&w, "threads", NULL, p->tids, p->ntids);
		cleak__jw_key(&w, "groups");
		cleak__jw_array_begin(&w);
		for (k = 0; k < p->ngroups; k++)
			write_group(&w, d, p->groups[k]);
		cleak__jw_array_end(&w);
		cleak__jw_object_end(&w);
	}
	cleak__jw_array_end(&w);
	cleak__jw_object_end(&w);
	return finish(f);
}
