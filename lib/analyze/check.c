// SPDX-License-Identifier: MIT
/*
 * Health checks over a diff (cleak check): what a CI gate fails on.  Pure,
 * like the diff it reads: the members it names are those the diff counts,
 * so runtime goroutines and ignored ones never make a problem.
 */
#include "internal.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

static const char *const check_names[] = {
	[CLEAK_CHECK_LEAKED] = "leaked",
	[CLEAK_CHECK_DEADLOCK] = "deadlock",
	[CLEAK_CHECK_MAX_GOROUTINES] = "max-goroutines",
	[CLEAK_CHECK_MAX_THREADS] = "max-threads",
	[CLEAK_CHECK_GROWTH] = "growth",
	[CLEAK_CHECK_EXPECT_NONE] = "expect-none",
};

const char *cleak_check_kind_name(enum cleak_check_kind kind)
{
	return (unsigned)kind < CLEAK__ARRAY_SIZE(check_names) ? check_names[kind] : NULL;
}

static const struct cleak_snapshot *last_snap(const struct cleak_diff *d)
{
	return d->snaps[d->nsnaps - 1];
}

static struct cleak_problem *new_problem(struct cleak_check *c, enum cleak_check_kind kind,
					 const struct cleak_diff *d)
{
	struct cleak_problem *p = realloc(c->problems, (c->nproblems + 1) * sizeof(*p));
	size_t n = d->goroutines_after + d->threads_after + 1;

	if (!p)
		return NULL;
	c->problems = p;
	p = &c->problems[c->nproblems++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->goids = calloc(n, sizeof(*p->goids));
	p->tids = calloc(n, sizeof(*p->tids));
	p->groups = calloc(d->ngroups + 1, sizeof(*p->groups));
	return p->goids && p->tids && p->groups ? p : NULL;
}

static void add_group(struct cleak_problem *p, size_t group)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		if (p->groups[i] == group)
			return;
	p->groups[p->ngroups++] = group;
}

/* A member of a group: its goid or tid goes on the problem. */
static void add_member(struct cleak_problem *p, const struct cleak_diff *d, size_t group,
		       size_t index)
{
	const struct cleak_snapshot *snap = last_snap(d);

	if (d->groups[group].goroutine)
		p->goids[p->ngoids++] = snap->go->goroutines[index].goid;
	else
		p->tids[p->ntids++] = snap->threads[index].tid;
	add_group(p, group);
}

static int check_leaked(struct cleak_check *c, const struct cleak_diff *d)
{
	const struct cleak_snapshot *snap = last_snap(d);
	struct cleak_problem *p = NULL;
	size_t i, k, n = 0;

	for (i = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];

		for (k = 0; dg->goroutine && k < dg->nmembers; k++) {
			if (!snap->go->goroutines[dg->members[k]].leaked)
				continue;
			if (!p && !(p = new_problem(c, CLEAK_CHECK_LEAKED, d)))
				return -ENOMEM;
			add_member(p, d, i, dg->members[k]);
			n++;
		}
	}
	if (p && !(p->message = cleak__strdupf("%zu goroutine%s can never wake (a nil channel "
					       "or select {} with no cases)", n,
					       n == 1 ? "" : "s")))
		return -ENOMEM;
	return 0;
}

/* The group that counts thread `tid` of the last snapshot; -1: none. */
static long thread_group(const struct cleak_diff *d, pid_t tid, size_t *index)
{
	const struct cleak_snapshot *snap = last_snap(d);
	size_t i, k;

	for (i = 0; i < d->ngroups; i++)
		for (k = 0; !d->groups[i].goroutine && k < d->groups[i].nmembers; k++)
			if (snap->threads[d->groups[i].members[k]].tid == tid) {
				*index = d->groups[i].members[k];
				return (long)i;
			}
	return -1;
}

static int check_deadlocks(struct cleak_check *c, const struct cleak_diff *d)
{
	const struct cleak_snapshot *snap = last_snap(d);
	size_t i, k, index;
	long group;

	for (i = 0; i < snap->ndeadlocks; i++) {
		const struct cleak_deadlock *dl = &snap->deadlocks[i];
		struct cleak_problem *p = NULL;
		char tids[256] = "";

		if (!dl->confirmed)
			continue;
		for (k = 0; k < dl->ntids; k++) {
			if ((group = thread_group(d, dl->tids[k], &index)) < 0)
				continue;
			if (!p && !(p = new_problem(c, CLEAK_CHECK_DEADLOCK, d)))
				return -ENOMEM;
			add_member(p, d, (size_t)group, index);
			cleak__appendf(tids, sizeof(tids), "%s%d", p->ntids > 1 ? ", " : "",
				       dl->tids[k]);
		}
		if (p && !(p->message = cleak__strdupf("threads %s wait for each other in a "
						       "cycle%s", tids, dl->times_out ?
						       " (a timed wait may break it)" : "")))
			return -ENOMEM;
	}
	return 0;
}

/* More than `max` goroutines or threads: name the biggest groups. */
static int check_count(struct cleak_check *c, const struct cleak_diff *d, bool goroutines,
		       long max)
{
	size_t have = goroutines ? d->goroutines_after : d->threads_after, i, shown = 0;
	struct cleak_problem *p;

	if (max < 0 || have <= (size_t)max)
		return 0;
	p = new_problem(c, goroutines ? CLEAK_CHECK_MAX_GOROUTINES : CLEAK_CHECK_MAX_THREADS, d);
	if (!p)
		return -ENOMEM;
	p->message = cleak__strdupf("%zu %s, more than %ld", have,
				    goroutines ? "goroutines" : "threads", max);
	if (!p->message)
		return -ENOMEM;
	/* Groups are sorted by growth; the biggest few are what to look at. */
	for (i = 0; i < d->ngroups && shown < 5; i++) {
		size_t k;

		if (d->groups[i].goroutine != goroutines || !d->groups[i].after)
			continue;
		for (k = 0; k < d->groups[i].nmembers; k++)
			add_member(p, d, i, d->groups[i].members[k]);
		shown++;
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

static int check_growth(struct cleak_check *c, const struct cleak_diff *d, long max)
{
	size_t i, k;

	if (max < 0 || d->nsnaps < 2)
		return 0;
	for (i = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];
		const struct cleak_frame *top = dg->nframes ? &dg->frames[0] : NULL;
		struct cleak_problem *p;

		/* Idle by design (keep-alive connections under load, a pool
		 * warming up) is no leak; --max-goroutines caps those. */
		if (dg->growth <= max || dg->idle)
			continue;
		if (!(p = new_problem(c, CLEAK_CHECK_GROWTH, d)))
			return -ENOMEM;
		for (k = 0; k < dg->nmembers; k++)
			add_member(p, d, i, dg->members[k]);
		add_group(p, i);
		p->message = cleak__strdupf("+%ld %s in %.1f s at %s (%s:%d), more than %ld",
					    dg->growth, dg->goroutine ? "goroutines" : "threads",
					    d->seconds, top && top->function ? top->function : "?",
					    base_name(top ? top->file : NULL), top ? top->line : 0,
					    max);
		if (!p->message)
			return -ENOMEM;
	}
	return 0;
}

static bool frames_match(const regex_t *re, const struct cleak_frame *f, size_t n)
{
	char where[4096];
	size_t i;

	for (i = 0; i < n; i++) {
		if (f[i].function && regexec(re, f[i].function, 0, NULL, 0) == 0)
			return true;
		if (f[i].file) {
			snprintf(where, sizeof(where), "%s:%d", f[i].file, f[i].line);
			if (regexec(re, where, 0, NULL, 0) == 0)
				return true;
		}
	}
	return false;
}

static int check_expect_none(struct cleak_check *c, const struct cleak_diff *d,
			     const char *pattern)
{
	struct cleak_problem *p = NULL;
	char err[256];
	regex_t re;
	size_t i, k;
	int rc;

	if ((rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB))) {
		regerror(rc, &re, err, sizeof(err));
		return cleak__fail(EINVAL, "'%s' is not a regular expression: %s", pattern, err);
	}
	for (i = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];
		bool match = frames_match(&re, dg->frames, dg->nframes) ||
			     (dg->created_by && frames_match(&re, dg->created_by, 1));

		/* The group's frames are its members' frames, by name. */
		for (k = 0; match && k < dg->nmembers; k++) {
			if (!p && !(p = new_problem(c, CLEAK_CHECK_EXPECT_NONE, d))) {
				regfree(&re);
				return -ENOMEM;
			}
			add_member(p, d, i, dg->members[k]);
		}
	}
	regfree(&re);
	if (!p)
		return 0;
	p->pattern = pattern;
	p->message = cleak__strdupf("%zu goroutine%s and %zu thread%s match '%s'", p->ngoids,
				    p->ngoids == 1 ? "" : "s", p->ntids, p->ntids == 1 ? "" : "s",
				    pattern);
	return p->message ? 0 : -ENOMEM;
}

int cleak_check_run(const struct cleak_diff *diff, const struct cleak_check_opts *opts,
		    struct cleak_check **out)
{
	struct cleak_check *c = calloc(1, sizeof(*c));
	size_t i;
	int err;

	*out = NULL;
	if (!c)
		return cleak__fail(ENOMEM, "out of memory");
	err = check_leaked(c, diff);
	if (!err)
		err = check_deadlocks(c, diff);
	if (!err)
		err = check_count(c, diff, true, opts->max_goroutines);
	if (!err)
		err = check_count(c, diff, false, opts->max_threads);
	if (!err)
		err = check_growth(c, diff, opts->max_growth);
	for (i = 0; !err && i < opts->nexpect_none; i++)
		err = check_expect_none(c, diff, opts->expect_none[i]);
	if (err) {
		cleak_check_free(c);
		return err == -ENOMEM ? cleak__fail(ENOMEM, "out of memory") : err;
	}
	*out = c;
	return 0;
}

void cleak_check_free(struct cleak_check *check)
{
	size_t i;

	if (!check)
		return;
	for (i = 0; i < check->nproblems; i++) {
		free(check->problems[i].message);
		free(check->problems[i].goids);
		free(check->problems[i].tids);
		free(check->problems[i].groups);
	}
	free(check->problems);
	free(check);
}
