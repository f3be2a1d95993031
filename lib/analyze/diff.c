// SPDX-License-Identifier: MIT
/*
 * Snapshots of one process compared over time: what appeared, what ended,
 * what stayed stuck, which groups grew, and which of them look like leaks.
 *
 * Pure: it reads snapshots (live captures or JSON read back) and touches no
 * process.  Each snapshot is first grouped on its own (group.c, by pcs);
 * each group then gets a key made of names, files and lines, so that
 * groups of snapshots from two runs of a PIE binary still match.  Which
 * groups are suspects is judged in suspects.c.
 */
#include "analyze/analyze.h"
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)
#define NS_PER_S 1000000000LL

/* One snapshot's members: the diff group of each goroutine and thread
 * (NONE: runtime goroutine, or ignored). */
struct snap_map {
	size_t *ggroup, *tgroup;
	size_t ng, nt;
};

/* A local group of one snapshot and its cross-snapshot key. */
struct keyed_group {
	char *key;
	size_t snap;
	bool goroutine;
	const struct cleak_group *local;
};

/* An identity and where it sits in one snapshot. */
struct ident {
	uint64_t a, b;		/* goid, gopc | tid, start_time */
	size_t index;
};

struct builder {
	const struct cleak_snapshot *const *snaps;
	size_t nsnaps;
	const struct cleak_diff_opts *opts;
	struct snap_map *maps;
	struct cleak_diff *diff;
	/* local groups of every snapshot, to free at the end */
	struct cleak_group **lgroups;
	size_t *nlgroups;
	struct keyed_group *keyed;
	size_t nkeyed;
};

static const char *const thread_states[] = {
	"R", "S", "D", "T", "t", "Z", "X", "I", "P", "W", "K", "?",
};

static const char *thread_state_name(char c)
{
	size_t i;

	for (i = 0; i + 1 < CLEAK__ARRAY_SIZE(thread_states); i++)
		if (thread_states[i][0] == c)
			return thread_states[i];
	return "?";
}

static void key_frames(FILE *k, const struct cleak_frame *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (f[i].function)
			fprintf(k, "%s\x1e%s\x1e%d\x1f", f[i].function, f[i].file ? f[i].file : "",
				f[i].line);
		else
			fprintf(k, "?%s+%llx\x1f", f[i].module ? f[i].module : "",
				(unsigned long long)f[i].module_offset);
	}
}

/* What makes two groups of two snapshots one group: kind, status, wait,
 * frames and creator, by name. */
static char *group_key(const struct cleak_snapshot *snap, bool goroutine, size_t i)
{
	char *buf = NULL;
	size_t len;
	FILE *k = open_memstream(&buf, &len);

	if (!k)
		return NULL;
	if (goroutine) {
		const struct cleak_goroutine *g = &snap->go->goroutines[i];

		fprintf(k, "g\x1f%s\x1f%s\x1f%d\x1f", g->status_name,
			g->wait_reason ? g->wait_reason : "", g->leaked);
		key_frames(k, g->frames, g->nframes);
		fputs("\x1d", k);
		if (g->created_by.function)
			key_frames(k, &g->created_by, 1);
	} else {
		const struct cleak_thread *t = &snap->threads[i];

		fprintf(k, "t\x1f%s\x1f", cleak_wait_kind_name(t->wait.kind));
		key_frames(k, t->frames, t->nframes);
	}
	if (fclose(k)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed_group *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c)
		return c;
	return a->snap < b->snap ? -1 : a->snap > b->snap;
}

static int cmp_ident(const void *pa, const void *pb)
{
	const struct ident *a = pa, *b = pb;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

/* Whether a local group's members take part (not runtime, not ignored). */
static bool local_counts(const struct cleak_snapshot *snap, bool goroutine, size_t i,
			 const struct cleak_ignore *ig)
{
	if (goroutine) {
		const struct cleak_goroutine *g = &snap->go->goroutines[i];

		return !g->system && !cleak__ignore_goroutine(ig, g);
	}
	return !cleak__ignore_thread(ig, &snap->threads[i]);
}

static int add_keyed(struct builder *b, size_t s, bool goroutine, const struct cleak_group *lg)
{
	const struct cleak_snapshot *snap = b->snaps[s];
	struct keyed_group *kg;

	if (!local_counts(snap, goroutine, lg->members[0], b->opts->ignore)) {
		if (s == b->nsnaps - 1 && (!goroutine || !snap->go->goroutines[lg->members[0]].system))
			b->diff->ignored += lg->nmembers;
		return 0;
	}
	kg = &b->keyed[b->nkeyed];
	kg->key = group_key(snap, goroutine, lg->members[0]);
	if (!kg->key)
		return -ENOMEM;
	kg->snap = s;
	kg->goroutine = goroutine;
	kg->local = lg;
	b->nkeyed++;
	return 0;
}

/* Group every snapshot on its own, and key its groups. */
static int key_snapshots(struct builder *b)
{
	size_t s, total = 0, i;
	int err;

	for (s = 0; s < b->nsnaps; s++) {
		const struct cleak_snapshot *snap = b->snaps[s];
		struct cleak_group *gg = NULL, *tg = NULL;
		size_t ngg = 0, ntg = 0;

		err = cleak_snapshot_group(snap, &tg, &ntg);
		if (!err && snap->go)
			err = cleak_snapshot_group_goroutines(snap, &gg, &ngg);
		if (err) {
			cleak_groups_free(tg, ntg);
			return err;
		}
		b->lgroups[2 * s] = tg;
		b->nlgroups[2 * s] = ntg;
		b->lgroups[2 * s + 1] = gg;
		b->nlgroups[2 * s + 1] = ngg;
		total += ntg + ngg;
	}
	b->keyed = calloc(total ? total : 1, sizeof(*b->keyed));
	if (!b->keyed)
		return -ENOMEM;
	for (s = 0; s < b->nsnaps; s++) {
		for (i = 0; i < b->nlgroups[2 * s]; i++)
			if ((err = add_keyed(b, s, false, &b->lgroups[2 * s][i])))
				return err;
		for (i = 0; i < b->nlgroups[2 * s + 1]; i++)
			if ((err = add_keyed(b, s, true, &b->lgroups[2 * s + 1][i])))
				return err;
	}
	qsort(b->keyed, b->nkeyed, sizeof(*b->keyed), cmp_keyed);
	return 0;
}

/* One diff group per distinct key; its members' counts per snapshot. */
static int make_groups(struct builder *b)
{
	struct cleak_diff *d = b->diff;
	size_t i, k;

	d->groups = calloc(b->nkeyed ? b->nkeyed : 1, sizeof(*d->groups));
	if (!d->groups)
		return -ENOMEM;
	for (i = 0; i < b->nkeyed; i++) {
		const struct keyed_group *kg = &b->keyed[i];
		struct cleak_diff_group *dg;
		struct snap_map *m = &b->maps[kg->snap];

		if (i == 0 || strcmp(kg->key, b->keyed[i - 1].key) != 0) {
			dg = &d->groups[d->ngroups++];
			dg->goroutine = kg->goroutine;
			dg->counts = calloc(b->nsnaps, sizeof(*dg->counts));
			if (!dg->counts)
				return -ENOMEM;
		}
		dg = &d->groups[d->ngroups - 1];
		dg->counts[kg->snap] += kg->local->nmembers;
		/* Sorted by snapshot within a key: the last one seen is the newest. */
		dg->snap = kg->snap;
		dg->index = kg->local->members[0];
		for (k = 0; k < kg->local->nmembers; k++) {
			if (kg->goroutine)
				m->ggroup[kg->local->members[k]] = d->ngroups - 1;
			else
				m->tgroup[kg->local->members[k]] = d->ngroups - 1;
		}
	}
	for (i = 0; i < d->ngroups; i++) {
		struct cleak_diff_group *dg = &d->groups[i];
		const struct cleak_snapshot *snap = b->snaps[dg->snap];

		if (dg->goroutine) {
			const struct cleak_goroutine *g = &snap->go->goroutines[dg->index];

			dg->status = g->status_name;
			dg->wait = g->wait_reason;
			dg->frames = g->frames;
			dg->nframes = g->nframes;
			dg->created_by = g->created_by.function ? &g->created_by : NULL;
		} else {
			const struct cleak_thread *t = &snap->threads[dg->index];

			dg->status = thread_state_name(t->state);
			dg->wait = cleak_wait_kind_name(t->wait.kind);
			dg->frames = t->frames;
			dg->nframes = t->nframes;
		}
		dg->before = dg->counts[0];
		dg->after = dg->counts[b->nsnaps - 1];
	}
	return 0;
}

/* The identities of a snapshot's counted members, sorted. */
static struct ident *identities(const struct builder *b, size_t s, bool goroutine, size_t *n)
{
	const struct cleak_snapshot *snap = b->snaps[s];
	const struct snap_map *m = &b->maps[s];
	size_t i, total = goroutine ? m->ng : m->nt;
	struct ident *ids = calloc(total ? total : 1, sizeof(*ids));

	if (!ids)
		return NULL;
	*n = 0;
	for (i = 0; i < total; i++) {
		if ((goroutine ? m->ggroup[i] : m->tgroup[i]) == NONE)
			continue;
		if (goroutine)
			ids[*n] = (struct ident){ snap->go->goroutines[i].goid,
						  snap->go->goroutines[i].gopc, i };
		else
			ids[*n] = (struct ident){ (uint64_t)snap->threads[i].tid,
						  snap->threads[i].start_time, i };
		(*n)++;
	}
	qsort(ids, *n, sizeof(*ids), cmp_ident);
	return ids;
}

static const struct ident *find_ident(const struct ident *ids, size_t n, const struct ident *key)
{
	return bsearch(key, ids, n, sizeof(*ids), cmp_ident);
}

/* The ones of `from` that `in` lacks. */
static int missing_ids(const struct ident *from, size_t nfrom, const struct ident *in, size_t nin,
		       uint64_t **out, size_t *n)
{
	size_t i;

	*out = calloc(nfrom ? nfrom : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	*n = 0;
	for (i = 0; i < nfrom; i++)
		if (!find_ident(in, nin, &from[i]))
			(*out)[(*n)++] = from[i].a;
	return 0;
}

static size_t group_of(const struct builder *b, size_t s, bool goroutine, size_t index)
{
	return goroutine ? b->maps[s].ggroup[index] : b->maps[s].tgroup[index];
}

/*
 * Growth of each group, interval by interval: the change of its count,
 * less the moves that are no growth.  A member that moves in was there two
 * snapshots before (in any group) is old: it is no new goroutine or thread
 * where it arrives.  Where it leaves, its leaving is no end either, unless
 * its arrival there had counted (or its age was not known): then leaving
 * counts too, so each stay counts nothing overall.  So a thread going from
 * pthread_cond_wait to pthread_cond_timedwait is no leak, its leaving does
 * not hide one that appeared meanwhile, and a runtime thread hopping
 * between waits grows nothing.  Members that pass through groups on their
 * way (a pipeline's stages, a leak that waits a moment elsewhere first)
 * are not that old and count as the count does, so new goroutines show
 * where they pile up.  Over the first interval no member's age is known,
 * and moves count as the count does.  Every move is counted in
 * moved_in/moved_out.
 */
static int count_growth(struct builder *b, struct ident **ids, size_t *nids, bool goroutine)
{
	struct cleak_diff *d = b->diff;
	size_t s, i, g;
	long *old_in = calloc(d->ngroups + 1, sizeof(*old_in));
	long *old_out = calloc(d->ngroups + 1, sizeof(*old_out));
	/* counted[s][i]: ids[s][i]'s stay in its group counted as growth */
	bool **counted = calloc(b->nsnaps, sizeof(*counted));
	int err = -ENOMEM;

	if (!old_in || !old_out || !counted)
		goto out;
	for (s = 0; s < b->nsnaps; s++)
		if (!(counted[s] = calloc(nids[s] + 1, sizeof(**counted))))
			goto out;
	for (g = 0; g < d->ngroups; g++) {
		if (d->groups[g].goroutine != goroutine)
			continue;
		d->groups[g].grew_every_interval = b->nsnaps > 1;
		d->groups[g].interval_growth = calloc(b->nsnaps, sizeof(long));
		if (!d->groups[g].interval_growth)
			goto out;
	}
	for (s = 1; s < b->nsnaps; s++) {
		memset(old_in, 0, d->ngroups * sizeof(*old_in));
		memset(old_out, 0, d->ngroups * sizeof(*old_out));
		for (i = 0; i < nids[s]; i++) {
			const struct ident *was = find_ident(ids[s - 1], nids[s - 1], &ids[s][i]);
			size_t now = group_of(b, s, goroutine, ids[s][i].index), then;
			bool old, was_counted;

			counted[s][i] = true;	/* new since the last snapshot */
			if (!was)
				continue;
			was_counted = counted[s - 1][was - ids[s - 1]];
			then = group_of(b, s - 1, goroutine, was->index);
			counted[s][i] = was_counted;
			if (then == now)
				continue;
			d->groups[now].moved_in++;
			d->groups[then].moved_out++;
			old = s >= 2 && find_ident(ids[s - 2], nids[s - 2], &ids[s][i]);
			counted[s][i] = !old;
			if (old) {
				old_in[now]++;
				old_out[then] += !was_counted;
			}
		}
		for (g = 0; g < d->ngroups; g++) {
			struct cleak_diff_group *dg = &d->groups[g];
			long grew;

			if (dg->goroutine != goroutine)
				continue;
			grew = (long)dg->counts[s] - (long)dg->counts[s - 1] - old_in[g] + old_out[g];
			dg->interval_growth[s - 1] = grew;
			dg->growth += grew;
			if (grew <= 0)
				dg->grew_every_interval = false;
		}
	}
	for (g = 0; g < d->ngroups; g++)
		if (d->groups[g].goroutine == goroutine && d->seconds > 0)
			d->groups[g].rate_per_s = d->groups[g].growth / d->seconds;
	err = 0;
out:
	for (s = 0; counted && s < b->nsnaps; s++)
		free(counted[s]);
	free(counted);
	free(old_in);
	free(old_out);
	return err;
}

static uint64_t chan_of(const struct cleak_goroutine *g)
{
	return g->nchans ? g->chans[0]->address : 0;
}

/* Goroutine `a` of an earlier snapshot and `z` of the last are one
 * goroutine that stayed put: same group (checked by the caller), blocked
 * in both, on the same channel, and not woken in between where the runtime
 * recorded since when it waits. */
static bool goroutine_stayed(const struct cleak_goroutine *a, const struct cleak_goroutine *z,
			     int64_t elapsed_ns)
{
	if (!cleak__goroutine_blocked(a) || !cleak__goroutine_blocked(z) || chan_of(a) != chan_of(z))
		return false;
	/* waitsince only moves when it parks again; allow a second of slack
	 * between the two clocks of two captures. */
	if (a->wait_ns >= 0 && z->wait_ns >= 0 && z->wait_ns + NS_PER_S < a->wait_ns + elapsed_ns)
		return false;
	return true;
}

static bool thread_stayed(const struct cleak_thread *a, const struct cleak_thread *z)
{
	return cleak__thread_blocked(a) && cleak__thread_blocked(z) && a->utime + a->stime == z->utime + z->stime;
}

static int64_t capture_ms(const struct cleak_snapshot *snap)
{
	return snap->capture.time_unix_ms;
}

/* Stuck: in every snapshot, in the same group, blocked all along. */
static int find_stuck(struct builder *b, struct ident **gids, size_t *ngids, struct ident **tids,
		      size_t *ntids)
{
	struct cleak_diff *d = b->diff;
	size_t last = b->nsnaps - 1, s, i, kind;

	if (b->nsnaps < 2)
		return 0;
	d->stuck = calloc(ngids[last] + ntids[last] + 1, sizeof(*d->stuck));
	if (!d->stuck)
		return -ENOMEM;
	for (kind = 0; kind < 2; kind++) {
		bool goroutine = kind == 0;
		struct ident *ids = goroutine ? gids[last] : tids[last];
		size_t n = goroutine ? ngids[last] : ntids[last];

		for (i = 0; i < n; i++) {
			size_t zi = ids[i].index, group;
			bool stuck = true;

			group = goroutine ? b->maps[last].ggroup[zi] : b->maps[last].tgroup[zi];
			for (s = 0; s < last && stuck; s++) {
				const struct ident *found = goroutine
					? find_ident(gids[s], ngids[s], &ids[i])
					: find_ident(tids[s], ntids[s], &ids[i]);
				int64_t elapsed = (capture_ms(b->snaps[last]) -
						   capture_ms(b->snaps[s])) * 1000000;

				if (!found)
					stuck = false;
				else if (goroutine)
					stuck = b->maps[s].ggroup[found->index] == group &&
						goroutine_stayed(&b->snaps[s]->go->goroutines[found->index],
								 &b->snaps[last]->go->goroutines[zi],
								 elapsed);
				else
					stuck = b->maps[s].tgroup[found->index] == group &&
						thread_stayed(&b->snaps[s]->threads[found->index],
							      &b->snaps[last]->threads[zi]);
			}
			if (!stuck)
				continue;
			d->stuck[d->nstuck++] = (struct cleak_diff_stuck){ goroutine, zi, group };
			d->groups[group].stuck++;
		}
	}
	return 0;
}

static int cmp_goid_at(const void *pa, const void *pb, void *ctx)
{
	const struct cleak_goroutine *gs = ctx;
	uint64_t a = gs[*(const size_t *)pa].goid, b = gs[*(const size_t *)pb].goid;

	return a < b ? -1 : a > b;
}

static int cmp_tid_at(const void *pa, const void *pb, void *ctx)
{
	const struct cleak_thread *ts = ctx;
	pid_t a = ts[*(const size_t *)pa].tid, b = ts[*(const size_t *)pb].tid;

	return a < b ? -1 : a > b;
}

/* The members of each group in the last snapshot, by ascending id. */
static int collect_members(struct builder *b)
{
	struct cleak_diff *d = b->diff;
	const struct snap_map *m = &b->maps[b->nsnaps - 1];
	size_t i;

	for (i = 0; i < d->ngroups; i++) {
		d->groups[i].members = calloc(d->groups[i].after + 1, sizeof(size_t));
		if (!d->groups[i].members)
			return -ENOMEM;
	}
	for (i = 0; i < m->ng; i++) {
		struct cleak_diff_group *dg;

		if (m->ggroup[i] == NONE)
			continue;
		dg = &d->groups[m->ggroup[i]];
		dg->members[dg->nmembers++] = i;
		if (b->snaps[b->nsnaps - 1]->go->goroutines[i].leaked)
			dg->leaked++;
	}
	for (i = 0; i < m->nt; i++) {
		struct cleak_diff_group *dg;

		if (m->tgroup[i] == NONE)
			continue;
		dg = &d->groups[m->tgroup[i]];
		dg->members[dg->nmembers++] = i;
	}
	for (i = 0; i < d->ngroups; i++) {
		struct cleak_diff_group *dg = &d->groups[i];

		if (dg->goroutine)
			qsort_r(dg->members, dg->nmembers, sizeof(size_t), cmp_goid_at,
				b->snaps[b->nsnaps - 1]->go->goroutines);
		else
			qsort_r(dg->members, dg->nmembers, sizeof(size_t), cmp_tid_at,
				b->snaps[b->nsnaps - 1]->threads);
	}
	return 0;
}

static void count_members(struct cleak_diff *d, const struct snap_map *first,
			  const struct snap_map *last)
{
	size_t i;

	for (i = 0; i < first->ng; i++)
		d->goroutines_before += first->ggroup[i] != NONE;
	for (i = 0; i < last->ng; i++)
		d->goroutines_after += last->ggroup[i] != NONE;
	for (i = 0; i < first->nt; i++)
		d->threads_before += first->tgroup[i] != NONE;
	for (i = 0; i < last->nt; i++)
		d->threads_after += last->tgroup[i] != NONE;
}

static int alloc_maps(struct builder *b)
{
	size_t s, i;

	b->maps = calloc(b->nsnaps, sizeof(*b->maps));
	b->lgroups = calloc(2 * b->nsnaps, sizeof(*b->lgroups));
	b->nlgroups = calloc(2 * b->nsnaps, sizeof(*b->nlgroups));
	if (!b->maps || !b->lgroups || !b->nlgroups)
		return -ENOMEM;
	for (s = 0; s < b->nsnaps; s++) {
		struct snap_map *m = &b->maps[s];

		m->nt = b->snaps[s]->nthreads;
		m->ng = b->snaps[s]->go ? b->snaps[s]->go->ngoroutines : 0;
		m->tgroup = malloc((m->nt + 1) * sizeof(size_t));
		m->ggroup = malloc((m->ng + 1) * sizeof(size_t));
		if (!m->tgroup || !m->ggroup)
			return -ENOMEM;
		for (i = 0; i < m->nt; i++)
			m->tgroup[i] = NONE;
		for (i = 0; i < m->ng; i++)
			m->ggroup[i] = NONE;
	}
	return 0;
}

static void builder_release(struct builder *b)
{
	size_t s;

	for (s = 0; b->maps && s < b->nsnaps; s++) {
		free(b->maps[s].ggroup);
		free(b->maps[s].tgroup);
	}
	for (s = 0; b->lgroups && s < 2 * b->nsnaps; s++)
		cleak_groups_free(b->lgroups[s], b->nlgroups[s]);
	for (s = 0; s < b->nkeyed; s++)
		free(b->keyed[s].key);
	free(b->keyed);
	free(b->maps);
	free(b->lgroups);
	free(b->nlgroups);
}

static int check_same_process(const struct cleak_snapshot *const *snaps, const char *const *files,
			      size_t n)
{
	size_t s;

	for (s = 1; s < n; s++) {
		if (capture_ms(snaps[s]) < capture_ms(snaps[s - 1]))
			return cleak__fail(EINVAL, "%s was taken before %s: give the snapshots "
					   "oldest first", files && files[s] ? files[s] : "a snapshot",
					   files && files[s - 1] ? files[s - 1] : "the one before it");
		if (!snaps[s]->go != !snaps[0]->go)
			return cleak__fail(EINVAL, "%s and %s are not of the same program (one "
					   "has goroutines, the other not)",
					   files && files[0] ? files[0] : "the first snapshot",
					   files && files[s] ? files[s] : "a later one");
	}
	return 0;
}

int cleak_diff_build(const struct cleak_snapshot *const *snaps, const char *const *files,
		     size_t nsnaps, const struct cleak_diff_opts *opts, struct cleak_diff **out)
{
	static const struct cleak_diff_opts no_opts = { .sz = sizeof(no_opts) };
	struct builder b = { .snaps = snaps, .nsnaps = nsnaps, .opts = opts ? opts : &no_opts };
	struct ident **allg = NULL, **allt = NULL;
	size_t *nallg = NULL, *nallt = NULL, s, last = nsnaps - 1;
	struct cleak_diff *d;
	int err;

	*out = NULL;
	if (!nsnaps)
		return cleak__fail(EINVAL, "no snapshot to compare");
	if ((err = check_same_process(snaps, files, nsnaps)))
		return err;
	d = b.diff = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nsnaps = nsnaps;
	d->snaps = calloc(nsnaps, sizeof(*d->snaps));
	d->files = calloc(nsnaps, sizeof(*d->files));
	allg = calloc(nsnaps, sizeof(*allg));
	allt = calloc(nsnaps, sizeof(*allt));
	nallg = calloc(nsnaps, sizeof(*nallg));
	nallt = calloc(nsnaps, sizeof(*nallt));
	if (!d->snaps || !d->files || !allg || !allt || !nallg || !nallt) {
		err = -ENOMEM;
		goto fail;
	}
	for (s = 0; s < nsnaps; s++) {
		d->snaps[s] = snaps[s];
		d->files[s] = files ? files[s] : NULL;
	}
	d->seconds = (capture_ms(snaps[last]) - capture_ms(snaps[0])) / 1000.0;
	err = alloc_maps(&b);
	if (!err)
		err = key_snapshots(&b);
	if (!err)
		err = make_groups(&b);
	if (err)
		goto fail;
	count_members(d, &b.maps[0], &b.maps[last]);
	for (s = 0; s < nsnaps; s++) {
		allg[s] = identities(&b, s, true, &nallg[s]);
		allt[s] = identities(&b, s, false, &nallt[s]);
		if (!allg[s] || !allt[s]) {
			err = -ENOMEM;
			goto fail;
		}
	}
	err = missing_ids(allg[last], nallg[last], allg[0], nallg[0], &d->appeared_goids,
			  &d->nappeared_goids);
	if (!err)
		err = missing_ids(allg[0], nallg[0], allg[last], nallg[last], &d->ended_goids,
				  &d->nended_goids);
	if (!err) {
		uint64_t *a = NULL, *e = NULL;
		size_t i;

		err = missing_ids(allt[last], nallt[last], allt[0], nallt[0], &a, &d->nappeared_tids);
		if (!err)
			err = missing_ids(allt[0], nallt[0], allt[last], nallt[last], &e,
					  &d->nended_tids);
		d->appeared_tids = calloc(d->nappeared_tids + 1, sizeof(pid_t));
		d->ended_tids = calloc(d->nended_tids + 1, sizeof(pid_t));
		if (!err && (!d->appeared_tids || !d->ended_tids))
			err = -ENOMEM;
		for (i = 0; !err && i < d->nappeared_tids; i++)
			d->appeared_tids[i] = (pid_t)a[i];
		for (i = 0; !err && i < d->nended_tids; i++)
			d->ended_tids[i] = (pid_t)e[i];
		free(a);
		free(e);
	}
	if (!err)
		err = count_growth(&b, allg, nallg, true);
	if (!err)
		err = count_growth(&b, allt, nallt, false);
	if (!err)
		err = find_stuck(&b, allg, nallg, allt, nallt);
	if (!err)
		err = collect_members(&b);
	if (!err)
		err = cleak__diff_rank(d, b.opts);
	if (err)
		goto fail;
	*out = d;
	d = NULL;
fail:
	for (s = 0; allg && s < nsnaps; s++)
		free(allg[s]);
	for (s = 0; allt && s < nsnaps; s++)
		free(allt[s]);
	free(allg);
	free(allt);
	free(nallg);
	free(nallt);
	builder_release(&b);
	cleak_diff_free(d);
	if (err == -ENOMEM)
		return cleak__fail(ENOMEM, "out of memory comparing snapshots");
	return err;
}

void cleak_diff_free(struct cleak_diff *diff)
{
	size_t i;

	if (!diff)
		return;
	for (i = 0; i < diff->ngroups; i++) {
		free(diff->groups[i].counts);
		free(diff->groups[i].interval_growth);
		free(diff->groups[i].members);
		free(diff->groups[i].why);
	}
	free(diff->groups);
	free(diff->stuck);
	free(diff->appeared_goids);
	free(diff->ended_goids);
	free(diff->appeared_tids);
	free(diff->ended_tids);
	free(diff->snaps);
	free(diff->files);
	free(diff);
}
