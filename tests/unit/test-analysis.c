// SPDX-License-Identifier: MIT
/*
 * The analysis over snapshots that cleak took of real fixtures and saved
 * (tests/data, made by tests/make-test-data.py; its README says what each
 * file holds): grouping, diff, suspects and their ranks, check, deadlocks
 * found again in a read snapshot, and the JSON round trip.  Public API
 * only, and no process is touched.
 *
 * Threads are found by name and groups by function rather than by tid, so
 * that regenerated data needs few changes here; the counts are the
 * fixtures' own (a step of `stages leak` adds one thread, a /sum request
 * to the leaky server leaks one goroutine).  The capture times and the
 * seconds between snapshots are the files' own, as `cleak diff --json`
 * shows them; tests/make-test-data.py says what to update after taking
 * the snapshots again.
 */
#include <cleak.h>

#include "unit.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* tests/data, from this program's path (build/tests/test-analysis) unless
 * CLEAK_TEST_DATA names it. */
static char data_dir[PATH_MAX];

static int find_data_dir(void)
{
	const char *env = getenv("CLEAK_TEST_DATA");
	char exe[PATH_MAX - 16];
	ssize_t n;
	int up;

	if (env) {
		snprintf(data_dir, sizeof(data_dir), "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -1;
	exe[n] = 0;
	for (up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');

		if (!slash)
			return -1;
		*slash = 0;
	}
	snprintf(data_dir, sizeof(data_dir), "%s/tests/data", exe);
	return 0;
}

static struct cleak_snapshot *load(const char *name)
{
	struct cleak_snapshot *snap = NULL;
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "re");
	if (!f) {
		printf("# cannot open %s\n", path);
		return NULL;
	}
	if (cleak_snapshot_read_json(f, &snap))
		printf("# %s: %s\n", path, cleak_errmsg());
	fclose(f);
	return snap;
}

/* Every snapshot the cases read, loaded once; the cases leave them as
 * they are (the one that finds deadlocks again reads its own copy). */
static struct cleak_snapshot *c_leak[3], *moved[3], *go_leak[3], *deadlock, *go_certain;

static int load_all(void)
{
	static const char *const c_names[] = { "c-leak-1.json", "c-leak-2.json", "c-leak-3.json" };
	static const char *const m_names[] = { "moved-1.json", "moved-2.json", "moved-3.json" };
	static const char *const g_names[] = { "go-leak-1.json", "go-leak-2.json",
					       "go-leak-3.json" };
	size_t i;

	for (i = 0; i < 3; i++) {
		c_leak[i] = load(c_names[i]);
		moved[i] = load(m_names[i]);
		go_leak[i] = load(g_names[i]);
		if (!c_leak[i] || !moved[i] || !go_leak[i])
			return -1;
	}
	deadlock = load("deadlock.json");
	go_certain = load("go-certain.json");
	return deadlock && go_certain ? 0 : -1;
}

static void free_all(void)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		cleak_snapshot_free(c_leak[i]);
		cleak_snapshot_free(moved[i]);
		cleak_snapshot_free(go_leak[i]);
	}
	cleak_snapshot_free(deadlock);
	cleak_snapshot_free(go_certain);
}

/*
 * What a case builds is released after it even when a CHECK returned
 * early, so that valgrind sees no leak from a failing case.
 */
static struct cleak_diff *case_diff;
static struct cleak_check *case_check;
static struct cleak_group *case_groups;
static size_t case_ngroups;
static struct cleak_ignore *case_ignore;
static struct cleak_snapshot *case_snap;
static char *case_buf;

static void release_case(void)
{
	cleak_check_free(case_check);
	cleak_diff_free(case_diff);
	cleak_groups_free(case_groups, case_ngroups);
	cleak_ignore_free(case_ignore);
	cleak_snapshot_free(case_snap);
	free(case_buf);
	case_check = NULL;
	case_diff = NULL;
	case_groups = NULL;
	case_ngroups = 0;
	case_ignore = NULL;
	case_snap = NULL;
	case_buf = NULL;
}

#define RUN_CASE(fn)                                                             \
	do {                                                                     \
		RUN(fn);                                                         \
		release_case();                                                  \
	} while (0)

static int diff_of(struct cleak_snapshot **snaps, size_t n, const struct cleak_diff_opts *opts)
{
	return cleak_diff_build((const struct cleak_snapshot *const *)snaps, NULL, n, opts,
				&case_diff);
}

/* ---- finding things by name ---- */

/* The tid of the nth (from 0) thread named `name`; 0: none. */
static pid_t tid_named(const struct cleak_snapshot *snap, const char *name, int nth)
{
	size_t i;

	for (i = 0; i < snap->nthreads; i++)
		if (strcmp(snap->threads[i].name, name) == 0 && nth-- == 0)
			return snap->threads[i].tid;
	return 0;
}

static bool has_function(const struct cleak_frame *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (f[i].function && strcmp(f[i].function, name) == 0)
			return true;
	return false;
}

/* The one diff group with `function` in its frames; NULL when there is
 * none or more than one. */
static const struct cleak_diff_group *group_with(const struct cleak_diff *d, const char *function)
{
	const struct cleak_diff_group *found = NULL;
	size_t i;

	for (i = 0; i < d->ngroups; i++) {
		if (!has_function(d->groups[i].frames, d->groups[i].nframes, function))
			continue;
		if (found)
			return NULL;
		found = &d->groups[i];
	}
	return found;
}

static const struct cleak_goroutine *goroutine_at(const struct cleak_snapshot *snap,
						  const char *top)
{
	size_t i;

	for (i = 0; i < snap->go->ngoroutines; i++) {
		const struct cleak_goroutine *g = &snap->go->goroutines[i];

		if (g->nframes && g->frames[0].function && strcmp(g->frames[0].function, top) == 0)
			return g;
	}
	return NULL;
}

static bool same_counts(const size_t *got, const size_t *want, size_t n)
{
	return memcmp(got, want, n * sizeof(*got)) == 0;
}

static bool same_longs(const long *got, const long *want, size_t n)
{
	return memcmp(got, want, n * sizeof(*got)) == 0;
}

/* The thread behind a diff group's member. */
static const struct cleak_thread *member_thread(const struct cleak_diff *d,
						const struct cleak_diff_group *dg, size_t k)
{
	return &d->snaps[d->nsnaps - 1]->threads[dg->members[k]];
}

static const struct cleak_goroutine *member_goroutine(const struct cleak_diff *d,
						      const struct cleak_diff_group *dg, size_t k)
{
	return &d->snaps[d->nsnaps - 1]->go->goroutines[dg->members[k]];
}

/* ---- the files themselves ---- */

static void offline_read_snapshots(void)
{
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK_STR(c_leak[i]->comm, "stages");
		CHECK(c_leak[i]->pid == c_leak[0]->pid && !c_leak[i]->go);
		/* main and one thread in each stage, then two more in
		 * second_stage() by each later snapshot */
		CHECK(c_leak[i]->nthreads == 3 + 2 * i);
		CHECK(go_leak[i]->go && go_leak[i]->pid == go_leak[0]->pid);
		CHECK_STR(go_leak[i]->go->version, "go1.27.3");
	}
	CHECK_STR(go_leak[0]->comm, "servers");
	CHECK(c_leak[0]->capture.time_unix_ms == 1796409458851LL);
	CHECK(c_leak[2]->capture.time_unix_ms == 1796409461179LL);
	/* The path of the checkout was replaced when the file was made. */
	CHECK_STR(c_leak[0]->exe, "/src/cleak/build/fixtures/stages");
	CHECK(deadlock->nthreads == 12 && deadlock->ndeadlocks == 3);
	CHECK(go_certain->go->ngoroutines == 25 && go_certain->go->nsystem == 5);
	CHECK_STR(go_certain->go->module, "cleak.test/leaks");
}

/* ---- grouping ---- */

static void offline_group_threads(void)
{
	size_t i, k;

	CHECK(cleak_snapshot_group(deadlock, &case_groups, &case_ngroups) == 0);
	/* Twelve threads: the three mx-waiters wait on one lock for one
	 * holder with one stack; every other thread has a story of its own
	 * (dl2-a and dl2-b share a stack but not the holder). */
	CHECK(case_ngroups == 10);
	CHECK(case_groups[0].nmembers == 3);
	for (k = 0; k < 3; k++) {
		const struct cleak_thread *t = &deadlock->threads[case_groups[0].members[k]];

		CHECK_STR(t->name, "mx-waiter");
		CHECK(t->tid == tid_named(deadlock, "mx-waiter", (int)k));
		CHECK(t->wait.owner_tid == tid_named(deadlock, "mx-holder", 0));
	}
	for (i = 1; i < case_ngroups; i++) {
		CHECK(case_groups[i].nmembers == 1);
		/* the biggest first, then by tid */
		CHECK(i == 1 || deadlock->threads[case_groups[i].members[0]].tid >
				deadlock->threads[case_groups[i - 1].members[0]].tid);
	}
	cleak_groups_free(case_groups, case_ngroups);
	case_groups = NULL;

	/* stages leak, last snapshot: five threads in second_stage(), one
	 * in first_stage(), main in read(). */
	CHECK(cleak_snapshot_group(c_leak[2], &case_groups, &case_ngroups) == 0);
	CHECK(case_ngroups == 3);
	CHECK(case_groups[0].nmembers == 5 && case_groups[1].nmembers == 1 &&
	      case_groups[2].nmembers == 1);
	for (k = 0; k < 5; k++) {
		const struct cleak_thread *t = &c_leak[2]->threads[case_groups[0].members[k]];

		CHECK(has_function(t->frames, t->nframes, "second_stage"));
		CHECK(t->wait.kind == CLEAK_WAIT_CONDVAR);
	}
	/* The smaller groups by tid: main comes first. */
	CHECK(c_leak[2]->threads[case_groups[1].members[0]].tid == c_leak[2]->pid);
}

static void offline_group_goroutines(void)
{
	size_t i, k, pool = 0, replicas = 0, sums = 0, lockers = 0;

	CHECK(cleak_snapshot_group_goroutines(go_certain, &case_groups, &case_ngroups) == 0);
	/* 25 goroutines, the runtime's 5 among them */
	CHECK(case_ngroups == 18);
	CHECK(case_groups[0].nmembers == 4);
	for (i = 0; i < case_ngroups; i++) {
		const struct cleak_group *cg = &case_groups[i];
		const struct cleak_goroutine *g = &go_certain->go->goroutines[cg->members[0]];

		for (k = 1; k < cg->nmembers; k++)
			CHECK(go_certain->go->goroutines[cg->members[k]].goid >
			      go_certain->go->goroutines[cg->members[k - 1]].goid);
		if (has_function(g->frames, g->nframes, "main.poolWorker"))
			pool = cg->nmembers;
		else if (has_function(g->frames, g->nframes, "main.queryReplica"))
			replicas = cg->nmembers;
		else if (has_function(g->frames, g->nframes, "main.sumInBackground"))
			sums = cg->nmembers;
		else if (has_function(g->frames, g->nframes, "main.lockMutex"))
			lockers += cg->nmembers == 1;
	}
	/* Not by channel: three requests, three channels, one group.  By
	 * creator: the two lockMutex goroutines come from two go statements. */
	CHECK(pool == 4 && replicas == 3 && sums == 3 && lockers == 2);
}

/* ---- diff ---- */

static void offline_diff_c_leak(void)
{
	static const size_t second_counts[] = { 1, 3, 5 };
	static const long second_growth[] = { 2, 2 };
	const struct cleak_diff_group *second, *first, *reader;
	size_t k;

	CHECK(diff_of(c_leak, 3, NULL) == 0);
	CHECK(case_diff->nsnaps == 3);
	CHECK(fabs(case_diff->seconds - 2.328) < 1e-9);
	CHECK(case_diff->threads_before == 3 && case_diff->threads_after == 7);
	CHECK(case_diff->goroutines_before == 0 && case_diff->goroutines_after == 0);
	CHECK(case_diff->nappeared_tids == 4 && case_diff->nended_tids == 0);
	CHECK(case_diff->ngroups == 3 && case_diff->nsuspects == 1 && case_diff->nunconfirmed == 0);

	/* The second stage grows by two a step: one thread moved on from the
	 * first stage, one passed through it.  Neither had sat a whole
	 * interval elsewhere, so both count. */
	second = group_with(case_diff, "second_stage");
	CHECK(second && second == &case_diff->groups[0]);
	CHECK(!second->goroutine && strcmp(second->wait, "condvar") == 0);
	CHECK_STR(second->status, "S");
	CHECK(same_counts(second->counts, second_counts, 3));
	CHECK(second->before == 1 && second->after == 5 && second->growth == 4);
	CHECK(same_longs(second->interval_growth, second_growth, 2));
	CHECK(second->grew_every_interval && !second->unconfirmed);
	CHECK(second->moved_in == 2 && second->moved_out == 0);
	CHECK(fabs(second->rate_per_s - 4 / 2.328) < 1e-9);
	CHECK(second->suspect && second->rank == 1 && !second->idle);
	CHECK_STR(second->why, "grew in every interval (+2 +2)");
	/* Only the first worker was there all along. */
	CHECK(second->stuck == 1 && second->nmembers == 5);
	for (k = 1; k < second->nmembers; k++)
		CHECK(member_thread(case_diff, second, k)->tid >
		      member_thread(case_diff, second, k - 1)->tid);

	first = group_with(case_diff, "first_stage");
	CHECK(first && !first->suspect && first->rank == 0);
	CHECK(first->before == 1 && first->after == 1 && first->growth == 0);
	CHECK(first->moved_in == 0 && first->moved_out == 2 && first->stuck == 0);
	/* The newest thread is the one waiting there now. */
	CHECK(first->nmembers == 1 &&
	      member_thread(case_diff, first, 0)->tid == case_diff->appeared_tids[3]);

	reader = group_with(case_diff, "_IO_fgets");
	CHECK(reader && reader->stuck == 1 && !reader->suspect);
	CHECK(member_thread(case_diff, reader, 0)->tid == c_leak[2]->pid);
	CHECK(case_diff->nstuck == 2);
}

static void offline_diff_one_interval_no_verdict(void)
{
	const struct cleak_diff_group *dg;

	/* The same growth over one interval: no suspect, unconfirmed. */
	CHECK(diff_of(c_leak, 2, NULL) == 0);
	CHECK(case_diff->nsuspects == 0 && case_diff->nunconfirmed == 1);
	dg = group_with(case_diff, "second_stage");
	CHECK(dg && dg->growth == 2 && dg->unconfirmed && !dg->suspect && !dg->why);
	cleak_diff_free(case_diff);
	case_diff = NULL;

	CHECK(diff_of(go_leak, 2, NULL) == 0);
	CHECK(case_diff->nsuspects == 0 && case_diff->nunconfirmed == 2);
	dg = group_with(case_diff, "main.sumInBackground");
	CHECK(dg && dg->growth == 5 && dg->unconfirmed);
	dg = group_with(case_diff, "main.followLog");
	CHECK(dg && dg->growth == 2 && dg->unconfirmed);
}

static void offline_diff_moved_thread(void)
{
	static const size_t timed_counts[] = { 0, 0, 1 }, untimed_counts[] = { 1, 1, 0 };
	const struct cleak_diff_group *timed, *untimed;

	/* The mover sat in pthread_cond_wait for a whole interval, then went
	 * to pthread_cond_timedwait: moved, not a new thread. */
	CHECK(diff_of(moved, 3, NULL) == 0);
	CHECK(case_diff->threads_before == 2 && case_diff->threads_after == 2);
	CHECK(case_diff->nappeared_tids == 0 && case_diff->nended_tids == 0);
	CHECK(case_diff->nsuspects == 0 && case_diff->nunconfirmed == 0);
	timed = group_with(case_diff, "wait_timed");
	untimed = group_with(case_diff, "wait_untimed");
	CHECK(timed && untimed);
	CHECK(same_counts(timed->counts, timed_counts, 3));
	CHECK(same_counts(untimed->counts, untimed_counts, 3));
	CHECK(timed->moved_in == 1 && timed->moved_out == 0 && timed->growth == 0);
	/* and its leaving is no end either: the group it left did not shrink */
	CHECK(untimed->moved_in == 0 && untimed->moved_out == 1 && untimed->growth == 0);
	CHECK(timed->nmembers == 1 && untimed->nmembers == 0);
	CHECK_STR(member_thread(case_diff, timed, 0)->name, "mover");
}

static void offline_diff_go_leak(void)
{
	static const size_t sum_counts[] = { 0, 5, 10 }, log_counts[] = { 0, 2, 4 };
	static const size_t pool_counts[] = { 4, 4, 4 };
	static const long sum_growth[] = { 5, 5 };
	const struct cleak_diff_group *sum, *logs, *pool, *ticker, *accept;
	size_t i, k;

	CHECK(diff_of(go_leak, 3, NULL) == 0);
	CHECK(fabs(case_diff->seconds - 1.4) < 1e-9);
	CHECK(case_diff->goroutines_before == 7 && case_diff->goroutines_after == 21);
	CHECK(case_diff->nappeared_goids == 14 && case_diff->nended_goids == 0);
	CHECK(case_diff->nsuspects == 2 && case_diff->nunconfirmed == 0);

	/* Ranked by growth: /sum leaked five a step, /logs two. */
	sum = &case_diff->groups[0];
	logs = &case_diff->groups[1];
	CHECK(sum == group_with(case_diff, "main.sumInBackground"));
	CHECK(logs == group_with(case_diff, "main.followLog"));
	CHECK(sum->goroutine && sum->suspect && sum->rank == 1);
	CHECK(logs->goroutine && logs->suspect && logs->rank == 2);
	CHECK_STR(sum->status, "waiting");
	CHECK_STR(sum->wait, "chan send");
	CHECK(same_counts(sum->counts, sum_counts, 3));
	CHECK(same_longs(sum->interval_growth, sum_growth, 2));
	CHECK(same_counts(logs->counts, log_counts, 3) && logs->growth == 4);
	CHECK_STR(sum->why, "grew in every interval (+5 +5)");
	CHECK(sum->created_by && sum->created_by->line == 99);
	CHECK_STR(sum->created_by->function, "main.sumHandler");
	CHECK_STR(logs->created_by->function, "main.logsContainer");
	CHECK(sum->frames[0].line == 85 && logs->frames[0].line == 120);
	/* None of them was in the first snapshot. */
	CHECK(sum->stuck == 0 && sum->leaked == 0);
	CHECK(sum->pile == 0 && !sum->pile_chan);	/* piles are of stuck members */
	/* The leaked goroutines are the fourteen that appeared. */
	for (k = 0; k < sum->nmembers; k++) {
		uint64_t goid = member_goroutine(case_diff, sum, k)->goid;
		bool appeared = false;

		for (i = 0; i < case_diff->nappeared_goids; i++)
			appeared |= case_diff->appeared_goids[i] == goid;
		CHECK(appeared);
		CHECK(k == 0 || goid > member_goroutine(case_diff, sum, k - 1)->goid);
	}
	CHECK(sum->nmembers + logs->nmembers == case_diff->nappeared_goids);

	/* Idle by design: a pool at rest, its ticker, the accept loop. */
	pool = group_with(case_diff, "main.poolWorker");
	CHECK(pool && pool->idle && strcmp(pool->idle, "worker pool") == 0 && !pool->suspect);
	CHECK(same_counts(pool->counts, pool_counts, 3) && pool->stuck == 4);
	CHECK(pool->pile == 4 && pool->pile_chan && pool->pile_chan->receivers == 4 &&
	      pool->pile_chan->senders == 0 && !pool->pile_chan->closed);
	CHECK_STR(pool->pile_chan->elem_type, "main.job");
	ticker = group_with(case_diff, "main.tickerLoop");
	CHECK(ticker && ticker->idle && strcmp(ticker->idle, "timer or ticker") == 0);
	accept = group_with(case_diff, "net.(*netFD).accept");
	CHECK(accept && accept->idle && strcmp(accept->idle, "accept loop") == 0);

	/* The suspects come first, the rest by growth. */
	for (i = 2; i < case_diff->ngroups; i++) {
		CHECK(!case_diff->groups[i].suspect && case_diff->groups[i].rank == 0);
		CHECK(i == 2 || case_diff->groups[i].growth <= case_diff->groups[i - 1].growth);
	}
}

static void offline_diff_ignore(void)
{
	struct cleak_diff_opts opts = { .sz = sizeof(opts) };

	CHECK((case_ignore = cleak_ignore_new()) != NULL);
	CHECK(cleak_ignore_add(case_ignore, CLEAK_IGNORE_TOP, "main.sumInBackground") == 0);
	opts.ignore = case_ignore;
	CHECK(diff_of(go_leak, 3, &opts) == 0);
	CHECK(case_diff->ignored == 10 && case_diff->goroutines_after == 11);
	CHECK(case_diff->nsuspects == 1 && !group_with(case_diff, "main.sumInBackground"));
	CHECK(case_diff->groups[0].rank == 1 &&
	      case_diff->groups[0].frames[0].line == 120);
	cleak_diff_free(case_diff);
	case_diff = NULL;
	cleak_ignore_free(case_ignore);
	case_ignore = NULL;

	/* A prefix, on the creator. */
	CHECK((case_ignore = cleak_ignore_new()) != NULL);
	CHECK(cleak_ignore_add(case_ignore, CLEAK_IGNORE_CREATED_BY, "main.logs*") == 0);
	opts.ignore = case_ignore;
	CHECK(diff_of(go_leak, 3, &opts) == 0);
	CHECK(case_diff->ignored == 4 && case_diff->nsuspects == 1);
	CHECK(case_diff->groups[0].rank == 1 && case_diff->groups[0].growth == 10);
}

static void offline_diff_certain_leaks(void)
{
	static const char *const leaked[] = { "main.nilReceive", "main.nilSend",
					      "main.selectNothing" };
	struct cleak_diff_opts opts = { .sz = sizeof(opts), .pile = 3 };
	const struct cleak_diff_group *dg;
	struct cleak_snapshot *twice[2] = { go_certain, go_certain };
	size_t i;

	/* One snapshot alone: its groups and its certain leaks, ranked
	 * first, no growth and nothing stuck (that takes two). */
	CHECK(diff_of(&go_certain, 1, NULL) == 0);
	CHECK(case_diff->nsuspects == 3 && case_diff->nstuck == 0 && case_diff->seconds == 0);
	CHECK(case_diff->goroutines_after == 20);
	for (i = 0; i < ARRAY_SIZE(leaked); i++) {
		dg = &case_diff->groups[i];
		CHECK(dg->suspect && dg->rank == i + 1 && dg->leaked == 1 && dg->growth == 0);
		CHECK_STR(dg->frames[0].function, leaked[i]);
	}
	CHECK_STR(case_diff->groups[0].why, "can never wake: an operation on a nil channel");
	CHECK_STR(case_diff->groups[2].why, "can never wake: select {} with no cases");
	CHECK(!case_diff->groups[3].suspect);
	cleak_diff_free(case_diff);
	case_diff = NULL;

	/* Twice, with --pile 3: three replicas stuck sending on one channel
	 * nobody receives from are a pile, and so are the pool's four,
	 * which is no pool at rest any more at that size. */
	CHECK(diff_of(twice, 2, &opts) == 0);
	CHECK(case_diff->nsuspects == 5 && case_diff->nstuck == 27);
	dg = &case_diff->groups[3];
	CHECK(dg->rank == 4 && dg->pile == 4 && !dg->idle);
	CHECK_STR(dg->frames[0].function, "main.poolWorker");
	CHECK_STR(dg->why, "4 goroutines stuck on one channel that no goroutine sends on");
	dg = &case_diff->groups[4];
	CHECK(dg->rank == 5 && dg->pile == 3 && dg->pile_chan->senders == 3);
	CHECK_STR(dg->frames[0].function, "main.queryReplica");
	CHECK_STR(dg->why, "3 goroutines stuck on one channel that no goroutine receives from");
	/* One channel per request: no pile. */
	dg = group_with(case_diff, "main.sumInBackground");
	CHECK(dg && !dg->suspect && dg->nmembers == 3 && dg->pile == 1);
}

static void offline_diff_deadlock(void)
{
	static const char *const cycle[] = { "dl2-a", "dl2-b", "dl3-a", "dl3-b", "dl3-c",
					     "self-lock" };
	struct cleak_snapshot *twice[2] = { deadlock, deadlock };
	const struct cleak_diff_group *dg;
	size_t i;

	/* The deadlocked threads are suspects; dl-victim, waiting on one of
	 * them, and the mx-waiters, whose holder reads a socket, are not. */
	CHECK(diff_of(twice, 2, NULL) == 0);
	CHECK(case_diff->nsuspects == ARRAY_SIZE(cycle) && case_diff->nstuck == 12);
	for (i = 0; i < ARRAY_SIZE(cycle); i++) {
		dg = &case_diff->groups[i];
		CHECK(dg->suspect && dg->rank == i + 1 && dg->nmembers == 1);
		CHECK_STR(dg->why, "deadlocked");
		CHECK_STR(member_thread(case_diff, dg, 0)->name, cycle[i]);
	}
	dg = group_with(case_diff, "dl_victim");
	CHECK(dg && !dg->suspect);
	dg = group_with(case_diff, "mx_waiter");
	CHECK(dg && !dg->suspect && dg->nmembers == 3 && dg->stuck == 3);
}

static void offline_diff_refuses(void)
{
	struct cleak_snapshot *backwards[2] = { c_leak[1], c_leak[0] };
	struct cleak_snapshot *mixed[2] = { c_leak[0], go_leak[0] };
	const char *files[2] = { "b.json", "a.json" };

	CHECK(cleak_diff_build((const struct cleak_snapshot *const *)backwards, files, 2, NULL,
			       &case_diff) == -EINVAL && !case_diff);
	CHECK(strstr(cleak_errmsg(), "a.json was taken before b.json"));
	CHECK(diff_of(mixed, 2, NULL) == -EINVAL && !case_diff);
	CHECK(strstr(cleak_errmsg(), "not of the same program"));
}

/* ---- deadlocks, found again ---- */

static bool cycle_is(const struct cleak_snapshot *snap, const struct cleak_deadlock *dl,
		     const char *const *names, size_t n)
{
	size_t i;

	if (dl->ntids != n)
		return false;
	for (i = 0; i < n; i++)
		if (dl->tids[i] != tid_named(snap, names[i], 0))
			return false;
	return true;
}

static void offline_deadlocks_found_again(void)
{
	static const char *const two[] = { "dl2-a", "dl2-b" };
	static const char *const three[] = { "dl3-a", "dl3-b", "dl3-c" };
	static const char *const self[] = { "self-lock" };
	const struct cleak_thread *victim, *holder;

	CHECK((case_snap = load("deadlock.json")) != NULL);
	/* As capture found and confirmed them. */
	CHECK(case_snap->ndeadlocks == 3);
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[0], two, 2));
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[1], three, 3));
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[2], self, 1));
	CHECK(case_snap->deadlocks[0].confirmed && !case_snap->deadlocks[0].times_out);

	/* From the waits read back alone; there is no process to look at a
	 * second time, so none is confirmed. */
	CHECK(cleak_snapshot_find_deadlocks(case_snap, false) == 0);
	CHECK(case_snap->ndeadlocks == 3);
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[0], two, 2));
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[1], three, 3));
	CHECK(cycle_is(case_snap, &case_snap->deadlocks[2], self, 1));
	CHECK(!case_snap->deadlocks[0].confirmed && !case_snap->deadlocks[1].confirmed &&
	      !case_snap->deadlocks[2].confirmed);

	victim = cleak_snapshot_thread(case_snap, tid_named(case_snap, "dl-victim", 0));
	CHECK(victim && victim->wait.kind == CLEAK_WAIT_MUTEX);
	holder = cleak_wait_holder(case_snap, victim);
	CHECK(holder && strcmp(holder->name, "dl2-a") == 0);
}

/* ---- check ---- */

static const struct cleak_check_opts no_limits = {
	.sz = sizeof(no_limits), .max_goroutines = -1, .max_threads = -1, .max_growth = -1,
};

static bool has_goid(const struct cleak_problem *p, uint64_t goid)
{
	size_t i;

	for (i = 0; i < p->ngoids; i++)
		if (p->goids[i] == goid)
			return true;
	return false;
}

static void offline_check_certain_leaks(void)
{
	struct cleak_check_opts opts = no_limits;
	const struct cleak_problem *p;

	CHECK(diff_of(&go_certain, 1, NULL) == 0);
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 1);
	p = &case_check->problems[0];
	CHECK(p->kind == CLEAK_CHECK_LEAKED && p->ngoids == 3 && p->ntids == 0 && p->ngroups == 3);
	CHECK(has_goid(p, goroutine_at(go_certain, "main.nilReceive")->goid));
	CHECK(has_goid(p, goroutine_at(go_certain, "main.nilSend")->goid));
	CHECK(has_goid(p, goroutine_at(go_certain, "main.selectNothing")->goid));
	CHECK_STR(p->message, "3 goroutines can never wake (a nil channel or select {} with no "
			      "cases)");
	CHECK_STR(cleak_check_kind_name(p->kind), "leaked");
	cleak_check_free(case_check);
	case_check = NULL;

	/* Twenty goroutines (the runtime's five are not counted). */
	opts.max_goroutines = 20;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 1);
	cleak_check_free(case_check);
	case_check = NULL;
	opts.max_goroutines = 19;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 2);
	p = &case_check->problems[1];
	CHECK(p->kind == CLEAK_CHECK_MAX_GOROUTINES);
	CHECK_STR(p->message, "20 goroutines, more than 19");
	CHECK(p->ngoids > 0 && p->ngroups <= 5);
}

static void offline_check_deadlocks(void)
{
	struct cleak_check_opts opts = no_limits;
	char want[128];
	pid_t a, b;

	CHECK(diff_of(&deadlock, 1, NULL) == 0);
	opts.max_threads = 11;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	/* One problem per cycle, in the snapshot's order, then the count. */
	CHECK(case_check->nproblems == 4);
	a = tid_named(deadlock, "dl2-a", 0);
	b = tid_named(deadlock, "dl2-b", 0);
	snprintf(want, sizeof(want), "threads %d, %d wait for each other in a cycle", a, b);
	CHECK(case_check->problems[0].kind == CLEAK_CHECK_DEADLOCK);
	CHECK(strcmp(case_check->problems[0].message, want) == 0);
	CHECK(case_check->problems[0].ntids == 2 && case_check->problems[0].tids[0] == a &&
	      case_check->problems[0].tids[1] == b && case_check->problems[0].ngoids == 0);
	CHECK(case_check->problems[1].kind == CLEAK_CHECK_DEADLOCK &&
	      case_check->problems[1].ntids == 3);
	snprintf(want, sizeof(want), "threads %d wait for each other in a cycle",
		 tid_named(deadlock, "self-lock", 0));
	CHECK(case_check->problems[2].kind == CLEAK_CHECK_DEADLOCK);
	CHECK(strcmp(case_check->problems[2].message, want) == 0);
	CHECK(case_check->problems[3].kind == CLEAK_CHECK_MAX_THREADS);
	CHECK_STR(case_check->problems[3].message, "12 threads, more than 11");
	cleak_check_free(case_check);
	case_check = NULL;

	/* A cycle that a second look did not confirm fails nothing. */
	CHECK((case_snap = load("deadlock.json")) != NULL);
	CHECK(cleak_snapshot_find_deadlocks(case_snap, false) == 0);
	cleak_diff_free(case_diff);
	case_diff = NULL;
	CHECK(diff_of(&case_snap, 1, NULL) == 0);
	CHECK(cleak_check_run(case_diff, &no_limits, &case_check) == 0);
	CHECK(case_check->nproblems == 0);
}

static void offline_check_growth(void)
{
	struct cleak_check_opts opts = no_limits;
	const struct cleak_problem *p;

	CHECK(diff_of(go_leak, 3, NULL) == 0);
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 0);	/* leaks that grow are for limits */
	cleak_check_free(case_check);
	case_check = NULL;

	opts.max_growth = 4;	/* /logs grew by 4: not more */
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 1);
	p = &case_check->problems[0];
	CHECK(p->kind == CLEAK_CHECK_GROWTH && p->ngoids == 10 && p->ngroups == 1);
	CHECK(p->groups[0] == 0);
	CHECK_STR(p->message, "+10 goroutines in 1.4 s at main.sumInBackground (main.go:85), "
			      "more than 4");
	cleak_check_free(case_check);
	case_check = NULL;

	/* A runtime thread appeared too (+1), but it is idle by design. */
	opts.max_growth = 0;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 2);
	CHECK(case_check->problems[1].ngoids == 4 && case_check->problems[1].ntids == 0);
	cleak_check_free(case_check);
	case_check = NULL;

	/* A steady state passes: the moved thread is no growth. */
	cleak_diff_free(case_diff);
	case_diff = NULL;
	CHECK(diff_of(moved, 3, NULL) == 0);
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 0);
}

static void offline_check_expect_none(void)
{
	const char *sums[] = { "sumInBackground" }, *line[] = { "stages\\.c:40$" },
		   *bad[] = { "(" };
	struct cleak_check_opts opts = no_limits;

	CHECK(diff_of(go_leak, 3, NULL) == 0);
	opts.expect_none = sums;
	opts.nexpect_none = 1;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 1);
	CHECK(case_check->problems[0].kind == CLEAK_CHECK_EXPECT_NONE);
	CHECK(case_check->problems[0].pattern == sums[0] && case_check->problems[0].ngoids == 10);
	CHECK_STR(case_check->problems[0].message,
		  "10 goroutines and 0 threads match 'sumInBackground'");
	cleak_check_free(case_check);
	case_check = NULL;

	opts.expect_none = bad;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == -EINVAL && !case_check);
	CHECK(strstr(cleak_errmsg(), "is not a regular expression"));

	/* file:line of a frame, in a C program: the five second-stage
	 * threads of the last snapshot. */
	cleak_diff_free(case_diff);
	case_diff = NULL;
	CHECK(diff_of(c_leak, 3, NULL) == 0);
	opts.expect_none = line;
	CHECK(cleak_check_run(case_diff, &opts, &case_check) == 0);
	CHECK(case_check->nproblems == 1 && case_check->problems[0].ntids == 5);
	CHECK_STR(case_check->problems[0].message, "0 goroutines and 5 threads match "
						   "'stages\\.c:40$'");
}

static void offline_check_json(void)
{
	json_object *doc = NULL, *problems, *first, *v;
	size_t len;
	FILE *f;

	CHECK(diff_of(&go_certain, 1, NULL) == 0);
	CHECK(cleak_check_run(case_diff, &no_limits, &case_check) == 0);
	CHECK((f = open_memstream(&case_buf, &len)) != NULL);
	CHECK(cleak_check_write_json(case_check, case_diff, 1, f, false) == 0);
	fclose(f);
	doc = json_tokener_parse(case_buf);
	CHECK(doc);
	if (!(json_object_object_get_ex(doc, "healthy", &v) && !json_object_get_boolean(v) &&
	      json_object_object_get_ex(doc, "goroutines", &v) && json_object_get_int(v) == 20 &&
	      json_object_object_get_ex(doc, "problems", &problems) &&
	      json_object_array_length(problems) == 1 &&
	      (first = json_object_array_get_idx(problems, 0)) &&
	      json_object_object_get_ex(first, "check", &v) &&
	      strcmp(json_object_get_string(v), "leaked") == 0)) {
		json_object_put(doc);
		CHECK(!"the check's JSON");
	}
	json_object_put(doc);
}

/* ---- JSON round trip ---- */

static char *write_snapshot(const struct cleak_snapshot *snap, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	if (cleak_snapshot_write_json(snap, f, false)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

static struct cleak_snapshot *read_buffer(const char *buf, size_t len)
{
	struct cleak_snapshot *snap = NULL;
	FILE *f = fmemopen((void *)buf, len, "r");

	if (!f)
		return NULL;
	if (cleak_snapshot_read_json(f, &snap))
		printf("# %s\n", cleak_errmsg());
	fclose(f);
	return snap;
}

/* Per-thread "stack_bytes" says how much stack the capture copied; a
 * read snapshot holds no stack, and writes 0 there. */
static void drop_stack_bytes(json_object *doc)
{
	json_object *threads;
	size_t i;

	if (!json_object_object_get_ex(doc, "threads", &threads))
		return;
	for (i = 0; i < json_object_array_length(threads); i++)
		json_object_object_del(json_object_array_get_idx(threads, i), "stack_bytes");
}

static bool same_json_but_stack_bytes(const char *path, const char *buf)
{
	json_object *a = json_object_from_file(path), *b = json_tokener_parse(buf);
	bool same;

	drop_stack_bytes(a);
	drop_stack_bytes(b);
	same = a && b && json_object_equal(a, b);
	json_object_put(a);
	json_object_put(b);
	return same;
}

static void offline_json_round_trip(void)
{
	static const char *const names[] = {
		"c-leak-1.json", "c-leak-2.json", "c-leak-3.json", "moved-1.json", "moved-2.json",
		"moved-3.json", "deadlock.json", "go-certain.json", "go-leak-1.json",
		"go-leak-2.json", "go-leak-3.json",
	};
	char path[PATH_MAX + 64], *second;
	size_t i, len, len2;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		CHECK((case_snap = load(names[i])) != NULL);
		CHECK((case_buf = write_snapshot(case_snap, &len)) != NULL);
		snprintf(path, sizeof(path), "%s/%s", data_dir, names[i]);
		/* Every key and value the file holds survives, but that one. */
		CHECK(same_json_but_stack_bytes(path, case_buf));
		cleak_snapshot_free(case_snap);
		/* And from then on, byte for byte. */
		CHECK((case_snap = read_buffer(case_buf, len)) != NULL);
		second = write_snapshot(case_snap, &len2);
		CHECK(second);
		if (len2 != len || memcmp(second, case_buf, len) != 0) {
			free(second);
			CHECK(!"read -> write -> read -> write gives the same bytes");
		}
		free(second);
		release_case();
	}
}

int main(void)
{
	if (find_data_dir() || load_all()) {
		printf("FAIL test-analysis: cannot read the snapshots of tests/data\n");
		free_all();
		return 1;
	}
	RUN_CASE(offline_read_snapshots);
	RUN_CASE(offline_group_threads);
	RUN_CASE(offline_group_goroutines);
	RUN_CASE(offline_diff_c_leak);
	RUN_CASE(offline_diff_one_interval_no_verdict);
	RUN_CASE(offline_diff_moved_thread);
	RUN_CASE(offline_diff_go_leak);
	RUN_CASE(offline_diff_ignore);
	RUN_CASE(offline_diff_certain_leaks);
	RUN_CASE(offline_diff_deadlock);
	RUN_CASE(offline_diff_refuses);
	RUN_CASE(offline_deadlocks_found_again);
	RUN_CASE(offline_check_certain_leaks);
	RUN_CASE(offline_check_deadlocks);
	RUN_CASE(offline_check_growth);
	RUN_CASE(offline_check_expect_none);
	RUN_CASE(offline_check_json);
	RUN_CASE(offline_json_round_trip);
	free_all();
	return unit_failed;
}
