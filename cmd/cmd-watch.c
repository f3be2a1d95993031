// SPDX-License-Identifier: MIT
/* cleak watch: goroutines and threads counted by state, one line per
 * interval, read without stopping anything (a NumGoroutine() logger from
 * outside). */
#include "cli.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { OPT_INTERVAL, OPT_COUNT, OPT_JSON, OPT_HELP };

static const struct cli_option watch_options[] = {
	[OPT_INTERVAL] = CLI_OPT_INTERVAL("time between updates (default 2s)"),
	[OPT_COUNT] = CLI_OPT_COUNT("stop after N updates (default: until Ctrl-C)"),
	[OPT_JSON] = CLI_OPT_JSON("print one JSON object per line (see cleak-watch(1))"),
	[OPT_HELP] = CLI_OPT_HELP,
	{ 0 },
};

#define TOP_WAITS 3
#define MAX_WAITS 32

struct wait_count {
	const char *reason;
	long n;
};

/* What one update counts. */
struct tally {
	int64_t time_unix_ms;
	bool go;
	long goroutines;		/* user goroutines, moved ones included */
	long gstates[5];		/* running, runnable, waiting, syscall, other */
	struct wait_count waits[MAX_WAITS];
	size_t nwaits;
	long threads;
	long tstates[5];		/* running, sleeping, disk, stopped, other */
};

static const char *const gstate_names[] = { "running", "runnable", "waiting", "syscall", "other" };
static const char *const tstate_names[] = { "running", "sleeping", "disk", "stopped", "other" };

static size_t gstate_of(const char *name)
{
	size_t i;

	for (i = 0; i + 1 < 5; i++)
		if (strcmp(name, gstate_names[i]) == 0)
			return i;
	return 4;
}

static size_t tstate_of(char state)
{
	switch (state) {
	case 'R': return 0;
	case 'S': case 'I': return 1;
	case 'D': return 2;
	case 'T': case 't': return 3;
	default: return 4;
	}
}

static void count_wait(struct tally *t, const char *reason)
{
	size_t i;

	for (i = 0; i < t->nwaits; i++)
		if (strcmp(t->waits[i].reason, reason) == 0) {
			t->waits[i].n++;
			return;
		}
	if (t->nwaits < MAX_WAITS) {
		t->waits[t->nwaits].reason = reason;
		t->waits[t->nwaits++].n = 1;
	}
}

static int cmp_wait(const void *pa, const void *pb)
{
	const struct wait_count *a = pa, *b = pb;

	return a->n > b->n ? -1 : a->n < b->n;
}

static void tally_snapshot(const struct cleak_snapshot *snap, struct tally *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->time_unix_ms = snap->capture.time_unix_ms;
	t->threads = (long)snap->nthreads;
	for (i = 0; i < snap->nthreads; i++)
		t->tstates[tstate_of(snap->threads[i].state)]++;
	if (!snap->go || snap->go->error)
		return;
	t->go = true;
	for (i = 0; i < snap->go->ngoroutines; i++) {
		const struct cleak_goroutine *g = &snap->go->goroutines[i];

		if (g->system)
			continue;
		t->goroutines++;
		t->gstates[gstate_of(g->status_name)]++;
		if (g->wait_reason && *g->wait_reason)
			count_wait(t, g->wait_reason);
	}
	/* Goroutines that moved while read were running: count them so. */
	t->goroutines += (long)snap->go->nskipped;
	t->gstates[0] += (long)snap->go->nskipped;
	qsort(t->waits, t->nwaits, sizeof(t->waits[0]), cmp_wait);
}

static void print_header(const struct cleak_snapshot *snap, uint64_t interval_ms, FILE *f)
{
	fprintf(f, "cleak watch: pid %d (%s), every %.1f s, read without stopping it; "
		"Ctrl-C stops\n", snap->pid, snap->comm, (double)interval_ms / 1000);
	fprintf(f, "%-8s ", "TIME");
	if (snap->go && !snap->go->error)
		fprintf(f, "%10s %6s %6s %7s %8s %7s %7s ", "GOROUTINES", "+LAST", "+START",
			"RUNNING", "RUNNABLE", "WAITING", "SYSCALL");
	fprintf(f, "%7s %6s %6s %7s %8s %4s %7s", "THREADS", "+LAST", "+START", "RUNNING",
		"SLEEPING", "DISK", "STOPPED");
	if (snap->go && !snap->go->error)
		fputs("  TOP WAITS", f);
	fputc('\n', f);
}

static void print_line(const struct tally *t, const struct tally *prev,
		       const struct tally *first, FILE *f)
{
	time_t secs = (time_t)(t->time_unix_ms / 1000);
	struct tm tm;
	char when[16];
	size_t i;

	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "%-8s ", when);
	if (t->go)
		fprintf(f, "%10ld %+6ld %+6ld %7ld %8ld %7ld %7ld ", t->goroutines,
			t->goroutines - prev->goroutines, t->goroutines - first->goroutines,
			t->gstates[0], t->gstates[1], t->gstates[2], t->gstates[3]);
	fprintf(f, "%7ld %+6ld %+6ld %7ld %8ld %4ld %7ld", t->threads, t->threads - prev->threads,
		t->threads - first->threads, t->tstates[0], t->tstates[1], t->tstates[2],
		t->tstates[3]);
	if (t->go) {
		fputs(" ", f);
		for (i = 0; i < t->nwaits && i < TOP_WAITS; i++)
			fprintf(f, "%s %s %ld", i ? "," : "", t->waits[i].reason, t->waits[i].n);
	}
	fputc('\n', f);
	fflush(f);
}

static json_object *states_json(const char *const *names, const long *n)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < 5; i++)
		json_object_object_add(o, names[i], json_object_new_int64(n[i]));
	return o;
}

static json_object *change_json(bool known, long v)
{
	return known ? json_object_new_int64(v) : NULL;
}

/* One JSON object per line, flushed at once for a pipe. */
static void print_json_line(const struct tally *t, const struct tally *prev,
			    const struct tally *first, FILE *f)
{
	json_object *o = json_object_new_object(), *waits = NULL;
	size_t i;

	json_object_object_add(o, "time_unix_ms", json_object_new_int64(t->time_unix_ms));
	json_object_object_add(o, "goroutines", change_json(t->go, t->goroutines));
	json_object_object_add(o, "goroutines_change",
			       change_json(t->go, t->goroutines - prev->goroutines));
	json_object_object_add(o, "goroutines_since_start",
			       change_json(t->go, t->goroutines - first->goroutines));
	json_object_object_add(o, "goroutine_states",
			       t->go ? states_json(gstate_names, t->gstates) : NULL);
	if (t->go) {
		waits = json_object_new_object();
		for (i = 0; i < t->nwaits; i++)
			json_object_object_add(waits, t->waits[i].reason,
					       json_object_new_int64(t->waits[i].n));
	}
	json_object_object_add(o, "waits", waits);
	json_object_object_add(o, "threads", json_object_new_int64(t->threads));
	json_object_object_add(o, "threads_change", json_object_new_int64(t->threads - prev->threads));
	json_object_object_add(o, "threads_since_start",
			       json_object_new_int64(t->threads - first->threads));
	json_object_object_add(o, "thread_states", states_json(tstate_names, t->tstates));
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	fflush(f);
}

static int run_watch(int argc, char **argv)
{
	struct cleak_capture_opts capture = { .sz = sizeof(capture), .nonblocking = true };
	struct tally first, prev, now;
	uint64_t interval_ms = 2000;
	unsigned count = 0, n;
	bool json = false;
	const char *arg;
	pid_t pid;
	int opt;

	optind = 1;
	while ((opt = cli_getopt(&cmd_watch, argc, argv, &arg)) != -1) {
		switch (opt) {
		case -2:
			return EXIT_USAGE;
		case OPT_INTERVAL:
			if (!cli_parse_duration(arg, &interval_ms) || interval_ms < 10)
				return cli_usage_error(&cmd_watch, "--interval wants a duration of "
						       "10ms or more, such as 1s, not '%s'", arg);
			break;
		case OPT_COUNT:
			if (!cli_parse_uint(arg, &count) || !count)
				return cli_usage_error(&cmd_watch, "--count wants a number of 1 or "
						       "more, not '%s'", arg);
			break;
		case OPT_JSON: json = true; break;
		case OPT_HELP:
			cli_print_help(&cmd_watch, stdout);
			return 0;
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cmd_watch, "which process? Give a pid");
	if (argc - optind > 1)
		return cli_usage_error(&cmd_watch, "one pid at a time (got '%s' too)",
				       argv[optind + 1]);
	if (!cli_parse_pid(&cmd_watch, argv[optind], &pid))
		return EXIT_USAGE;
	cli_catch_interrupt();
	for (n = 0; !count || n < count; n++) {
		struct cleak_snapshot *snap = NULL;

		if (n && !cli_sleep_ms(interval_ms))
			break;
		if (cleak_snapshot_capture(pid, &capture, &snap)) {
			if (!n) {
				cli_error("%s", cleak_errmsg());
				return EXIT_NOTHING;
			}
			cli_error("%s; stopped watching", cleak_errmsg());
			break;
		}
		if (!n && snap->go && snap->go->error)
			cli_error("%s: counting threads only", snap->go->error);
		tally_snapshot(snap, &now);
		if (!n) {
			first = prev = now;
			if (!json)
				print_header(snap, interval_ms, stdout);
		}
		if (json)
			print_json_line(&now, &prev, &first, stdout);
		else
			print_line(&now, &prev, &first, stdout);
		prev = now;
		cleak_snapshot_free(snap);
		if (ferror(stdout))
			return EXIT_NOTHING;
	}
	return 0;
}

const struct cli_command cmd_watch = {
	.name = "watch",
	.args = "<pid>",
	.operands = CLI_OPERANDS_PID,
	.summary = "Count goroutines and threads by state, one line per interval.\n"
		   "The change since the last line and since the start shows the trend;\n"
		   "nothing is stopped.  Ctrl-C ends it.",
	.options = watch_options,
	.exits = "0 watched until Ctrl-C, --count or the process's end, 2 could not "
		 "inspect the process, 64 usage error.",
	.run = run_watch,
};
