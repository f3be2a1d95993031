// SPDX-License-Identifier: MIT
/*
 * Which groups of a diff look like leaks, and which wait by design.
 *
 * A suspect is a group whose goroutines can never wake (a nil channel,
 * select {} with no cases), a blocked group that grew in every interval,
 * or a pile of stuck goroutines on one channel that no goroutine serves.
 * Idle by design (never a suspect): timers and tickers (every time.Timer
 * and time.Ticker channel is a chan time.Time), time.Sleep, accept loops,
 * HTTP keep-alive connections, os/signal's loop, and a worker pool at rest
 * (receivers sharing one open channel, not growing); for threads, event
 * loops, sleepers, thread pools on a condvar and the Go runtime's idle
 * threads.  cleak-diff(1) says the same for users.
 */
#include "analyze/analyze.h"
#include "go/gowait.h"
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool has_function(const struct cleak_frame *frames, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (frames[i].function && strcmp(frames[i].function, name) == 0)
			return true;
	return false;
}

bool cleak__goroutine_blocked(const struct cleak_goroutine *g)
{
	return strcmp(g->status_name, "running") != 0 && strcmp(g->status_name, "runnable") != 0 &&
	       !g->stack_unavailable;
}

bool cleak__thread_blocked(const struct cleak_thread *t)
{
	return t->state != 'R' && t->wait.kind != CLEAK_WAIT_RUNNING;
}

static int cmp_ptr(const void *pa, const void *pb)
{
	uintptr_t a = (uintptr_t)*(const void *const *)pa, b = (uintptr_t)*(const void *const *)pb;

	return a < b ? -1 : a > b;
}

/*
 * The channel most of a group's goroutines wait on in the last snapshot,
 * and how many: among the members marked in `only` (its stuck ones), or
 * all when `only` is NULL.
 */
static const struct cleak_go_chan *biggest_pile(const struct cleak_diff *d,
						const struct cleak_snapshot *last, size_t group,
						const bool *only, size_t *count)
{
	const struct cleak_diff_group *dg = &d->groups[group];
	const struct cleak_go_chan *best = NULL, **chans;
	size_t i, k, n = 0;

	*count = 0;
	chans = calloc(dg->nmembers + 1, sizeof(*chans));
	if (!chans)
		return NULL;
	for (i = 0; i < dg->nmembers; i++) {
		const struct cleak_goroutine *g = &last->go->goroutines[dg->members[i]];

		if ((!only || only[dg->members[i]]) && g->nchans == 1)
			chans[n++] = g->chans[0];
	}
	/* Chans are interned per snapshot: equal channels are one pointer. */
	qsort(chans, n, sizeof(*chans), cmp_ptr);
	for (i = 0; i < n; i = k) {
		for (k = i; k < n && chans[k] == chans[i]; k++)
			;
		if (k - i > *count) {
			*count = k - i;
			best = chans[i];
		}
	}
	free(chans);
	return best;
}

static bool any_chan_of_type(const struct cleak_goroutine *g, const char *type)
{
	size_t i;

	for (i = 0; i < g->nchans; i++)
		if (g->chans[i]->elem_type && strcmp(g->chans[i]->elem_type, type) == 0)
			return true;
	return false;
}

static bool str_is(const char *s, const char *want)
{
	return s && strcmp(s, want) == 0;
}

/*
 * Goroutines that wait by design, so that waiting long is no sign of a
 * leak: see cleak-diff(1), IDLE BY DESIGN.
 */
static const char *goroutine_idle(const struct cleak_diff *d, const struct cleak_snapshot *last,
				  size_t group, const struct cleak_goroutine *g, size_t pile_limit)
{
	const struct cleak_diff_group *dg = &d->groups[group];
	const struct cleak_go_chan *shared;
	size_t sharing;

	if (g->leaked)
		return NULL;
	if (cleak__gowait_kind(g->wait_reason) == CLEAK__GOWAIT_SLEEP)
		return "sleep";
	/* Every time.Timer and time.Ticker delivers on a chan time.Time. */
	if (any_chan_of_type(g, "time.Time"))
		return "timer or ticker";
	if (has_function(g->frames, g->nframes, "net.(*netFD).accept"))
		return "accept loop";
	if ((cleak__gowait_kind(g->wait_reason) == CLEAK__GOWAIT_IO &&
	     has_function(g->frames, g->nframes, "net/http.(*conn).serve")) ||
	    has_function(g->frames, g->nframes, "net/http.(*persistConn).readLoop") ||
	    has_function(g->frames, g->nframes, "net/http.(*persistConn).writeLoop"))
		return "keep-alive connection";
	if (has_function(g->frames, g->nframes, "os/signal.signal_recv"))
		return "signal loop";
	/* Workers that take jobs from one open channel nobody is sending
	 * on right now, and whose number does not grow: a pool at rest.  A
	 * pile as big as --pile is no pool any more (LeakProf's threshold). */
	if ((cleak__gowait_kind(g->wait_reason) == CLEAK__GOWAIT_CHAN_RECEIVE ||
	     cleak__gowait_kind(g->wait_reason) == CLEAK__GOWAIT_SELECT) && dg->growth <= 0) {
		shared = biggest_pile(d, last, group, NULL, &sharing);
		if (shared && sharing >= 2 && sharing < pile_limit && !shared->closed &&
		    shared->senders == 0)
			return "worker pool";
	}
	return NULL;
}

static bool runtime_thread(const struct cleak_thread *t)
{
	static const char *const idle_funcs[] = {
		"runtime.futex", "runtime.notesleep", "runtime.netpoll", "runtime.usleep",
		"runtime.futexsleep", "runtime.mPark",
	};
	size_t i, k;

	for (i = 0; i < t->nframes && i < 6; i++)
		for (k = 0; k < CLEAK__ARRAY_SIZE(idle_funcs); k++)
			if (str_is(t->frames[i].function, idle_funcs[k]))
				return true;
	return false;
}

static const char *thread_idle(const struct cleak_diff_group *dg, const struct cleak_thread *t)
{
	switch (t->wait.kind) {
	case CLEAK_WAIT_POLL:
	case CLEAK_WAIT_ACCEPT:
		return "event loop";
	case CLEAK_WAIT_SLEEP:
		return "sleep";
	case CLEAK_WAIT_CONDVAR:
		if (dg->after >= 2 && dg->growth <= 0)
			return "thread pool";
		break;
	default:
		break;
	}
	return runtime_thread(t) ? "runtime thread" : NULL;
}

static bool in_deadlock(const struct cleak_snapshot *snap, const struct cleak_diff_group *dg)
{
	size_t i, k, j;

	for (i = 0; i < snap->ndeadlocks; i++)
		for (k = 0; k < snap->deadlocks[i].ntids; k++)
			for (j = 0; j < dg->nmembers; j++)
				if (snap->threads[dg->members[j]].tid == snap->deadlocks[i].tids[k])
					return true;
	return false;
}

/* Suspect or not, and why; the score orders suspects. */
static int judge_group(struct cleak_diff *d, const struct cleak_diff_opts *opts,
		       const bool *stuck, size_t group, double *score)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	struct cleak_diff_group *dg = &d->groups[group];
	size_t s, limit = opts->pile ? opts->pile : CLEAK_DEFAULT_PILE;
	char intervals[256] = "";
	bool sends = dg->goroutine && cleak__gowait_kind(dg->wait) == CLEAK__GOWAIT_CHAN_SEND;
	bool grew;

	*score = 0;
	if (dg->goroutine && dg->nmembers)
		dg->pile_chan = biggest_pile(d, last, group, stuck, &dg->pile);
	if (dg->nmembers)
		dg->idle = dg->goroutine
			? goroutine_idle(d, last, group, &last->go->goroutines[dg->members[0]], limit)
			: thread_idle(dg, &last->threads[dg->members[0]]);
	grew = dg->grew_every_interval && dg->nmembers &&
	       (dg->goroutine ? cleak__goroutine_blocked(&last->go->goroutines[dg->members[0]])
		: cleak__thread_blocked(&last->threads[dg->members[0]]));
	if (dg->leaked) {
		dg->why = cleak__strdupf("can never wake: %s", cleak_goroutine_leak_cause(
					 &last->go->goroutines[dg->members[0]]));
		*score = 3e9 + dg->leaked;
	} else if (!dg->goroutine && dg->nmembers && in_deadlock(last, dg)) {
		dg->why = cleak__strdupf("deadlocked");
		*score = 3e9;
	} else if (dg->idle) {
		return 0;
	} else if (grew && d->nsnaps >= 3) {
		for (s = 1; s < d->nsnaps; s++)
			cleak__appendf(intervals, sizeof(intervals), "%s+%ld", s > 1 ? " " : "",
				       dg->interval_growth[s - 1]);
		dg->why = cleak__strdupf("grew in every interval (%s)", intervals);
		*score = 2e9 + dg->growth;
	} else if (dg->pile_chan && dg->pile >= limit &&
		   (sends ? dg->pile_chan->receivers == 0 : dg->pile_chan->senders == 0)) {
		dg->why = cleak__strdupf("%zu goroutines stuck on one channel that no goroutine %s",
					 dg->pile, sends ? "receives from" : "sends on");
		*score = 1e9 + dg->pile;
	} else {
		/* One interval cannot tell a request that was in flight when
		 * the second snapshot was taken from a leak: a busy server
		 * shows a few every time.  Two or more can. */
		if (grew) {
			dg->unconfirmed = true;
			d->nunconfirmed++;
		}
		return 0;
	}
	if (!dg->why)
		return -ENOMEM;
	dg->suspect = true;
	return 0;
}

struct ranked {
	size_t group;
	double score;
	long growth;
	size_t after;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->growth != b->growth)
		return a->growth > b->growth ? -1 : 1;
	if (a->after != b->after)
		return a->after > b->after ? -1 : 1;
	return a->group < b->group ? -1 : a->group > b->group;
}

/* Suspects first, by rank; the others by growth.  Stuck entries follow. */
int cleak__diff_rank(struct cleak_diff *d, const struct cleak_diff_opts *opts)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	struct ranked *r = calloc(d->ngroups + 1, sizeof(*r));
	struct cleak_diff_group *sorted = calloc(d->ngroups + 1, sizeof(*sorted));
	size_t *where = calloc(d->ngroups + 1, sizeof(*where));
	/* The last snapshot's stuck goroutines, by index, for the piles. */
	bool *stuck = calloc((last->go ? last->go->ngoroutines : 0) + 1, sizeof(*stuck));
	size_t i;
	int err = 0;

	if (!r || !sorted || !where || !stuck) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < d->nstuck; i++)
		if (d->stuck[i].goroutine)
			stuck[d->stuck[i].index] = true;
	for (i = 0; i < d->ngroups && !err; i++) {
		err = judge_group(d, opts, stuck, i, &r[i].score);
		r[i].group = i;
		r[i].growth = d->groups[i].growth;
		r[i].after = d->groups[i].after;
	}
	if (err)
		goto out;
	qsort(r, d->ngroups, sizeof(*r), cmp_ranked);
	for (i = 0; i < d->ngroups; i++) {
		sorted[i] = d->groups[r[i].group];
		where[r[i].group] = i;
		if (sorted[i].suspect)
			sorted[i].rank = (unsigned)++d->nsuspects;
	}
	for (i = 0; i < d->nstuck; i++)
		d->stuck[i].group = where[d->stuck[i].group];
	free(d->groups);
	d->groups = sorted;
	sorted = NULL;
out:
	free(r);
	free(sorted);
	free(where);
	free(stuck);
	return err;
}

