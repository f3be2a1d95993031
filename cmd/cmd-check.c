// SPDX-License-Identifier: MIT
/* cleak check: a health gate for CI; exit 1 when a goroutine or thread
 * leaks, deadlocks, or passes a limit. */
#include "cli.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_JSON, OPT_PRETTY, OPT_MAX_GOROUTINES, OPT_MAX_THREADS, OPT_MAX_GROWTH, OPT_INTERVAL,
	OPT_EXPECT_NONE,
	OPT_IGNORE_TOP, OPT_IGNORE_CREATED_BY, OPT_IGNORE_ANY, OPT_IGNORE_FILE,	/* CLI_OPTS_IGNORE */
	OPT_SETTLE, OPT_NONBLOCKING, OPT_HELP,
};

static const struct cli_option check_options[] = {
	[OPT_JSON] = CLI_OPT_JSON("print one JSON document (see cleak-check(1))"),
	[OPT_PRETTY] = CLI_OPT_PRETTY,
	[OPT_MAX_GOROUTINES] = { "max-goroutines", 0, "N",
				 "fail when there are more than N goroutines" },
	[OPT_MAX_THREADS] = { "max-threads", 0, "N", "fail when there are more than N threads" },
	[OPT_MAX_GROWTH] = { "max-growth", 0, "N",
			     "fail when a group grows by more than N in --interval" },
	[OPT_INTERVAL] = CLI_OPT_INTERVAL("time between the two snapshots of --max-growth "
					  "(default 10s)"),
	[OPT_EXPECT_NONE] = { "expect-none", 0, "REGEX",
			      "fail when a stack has a frame matching REGEX", .repeat = true },
	[OPT_IGNORE_TOP] = CLI_OPTS_IGNORE,
	[OPT_SETTLE] = { "settle", 0, "D",
			 "while a check fails, look again until it passes or D has passed" },
	[OPT_NONBLOCKING] = CLI_OPT_NONBLOCKING("look without stopping anything"),
	[OPT_HELP] = CLI_OPT_HELP,
	{ 0 },
};

struct check_args {
	struct leak_args leak;
	struct cleak_check_opts check;
	const char **patterns;
	uint64_t settle_ms;
	pid_t pid;
};

static bool parse_limit(const char *arg, long *out)
{
	unsigned v;

	if (!cli_parse_uint(arg, &v))
		return false;
	*out = (long)v;
	return true;
}

static bool valid_regex(const char *pattern)
{
	char msg[256];
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);

	if (rc) {
		regerror(rc, &re, msg, sizeof(msg));
		cli_usage_error(&cmd_check, "--expect-none '%s' is not an extended regular "
				"expression: %s", pattern, msg);
		return false;
	}
	regfree(&re);
	return true;
}

static int parse_args(int argc, char **argv, struct check_args *a)
{
	const char *arg, **p;
	bool timed = false;
	int opt;

	optind = 1;
	while ((opt = cli_getopt(&cmd_check, argc, argv, &arg)) != -1) {
		long *limit = NULL;

		switch (opt) {
		case -2:
			return EXIT_USAGE;
		case OPT_HELP:
			cli_print_help(&cmd_check, stdout);
			exit(0);
		case OPT_MAX_GOROUTINES: limit = &a->check.max_goroutines; break;
		case OPT_MAX_THREADS: limit = &a->check.max_threads; break;
		case OPT_MAX_GROWTH: limit = &a->check.max_growth; break;
		case OPT_EXPECT_NONE:
			if (!valid_regex(arg))
				return EXIT_USAGE;
			p = realloc(a->patterns, (a->check.nexpect_none + 1) * sizeof(*p));
			if (!p)
				return EXIT_NOTHING;
			a->patterns = p;
			a->patterns[a->check.nexpect_none++] = arg;
			a->check.expect_none = a->patterns;
			continue;
		case OPT_SETTLE:
			if (!cli_parse_duration(arg, &a->settle_ms))
				return cli_usage_error(&cmd_check, "--settle wants a duration such "
						       "as 5s, not '%s'", arg);
			continue;
		default:
			timed |= opt == OPT_INTERVAL;
			if (leak_args_option(&cmd_check, &a->leak, check_options[opt].long_name,
					     arg) < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!parse_limit(arg, limit))
			return cli_usage_error(&cmd_check, "--%s wants a number, not '%s'",
					       check_options[opt].long_name, arg);
	}
	if (timed && a->check.max_growth < 0)
		return cli_usage_error(&cmd_check, "--interval is the time of --max-growth: "
				       "give both");
	if (optind >= argc)
		return cli_usage_error(&cmd_check, "which process? Give a pid");
	if (argc - optind > 1)
		return cli_usage_error(&cmd_check, "one pid at a time (got '%s' too)",
				       argv[optind + 1]);
	if (!cli_parse_pid(&cmd_check, argv[optind], &a->pid))
		return EXIT_USAGE;
	return 0;
}

struct attempt {
	struct cleak_snapshot *snaps[2];
	size_t nsnaps;
	struct cleak_diff *diff;
	struct cleak_check *check;
};

static void attempt_release(struct attempt *t)
{
	cleak_check_free(t->check);
	cleak_diff_free(t->diff);
	cleak_snapshot_free(t->snaps[0]);
	cleak_snapshot_free(t->snaps[1]);
	memset(t, 0, sizeof(*t));
}

/* One look (two with --max-growth) and the checks over it. */
static int run_once(const struct check_args *a, struct attempt *t)
{
	int rc;

	t->nsnaps = a->check.max_growth >= 0 ? 2 : 1;
	rc = take_series(&cmd_check, a->pid, &a->leak, t->snaps);
	if (rc)
		return rc;
	if (a->check.max_goroutines >= 0 && !t->snaps[0]->go) {
		cli_error("pid %d (%s) is not a Go program: it has no goroutines to count "
			  "(--max-threads counts its threads)", a->pid, t->snaps[0]->comm);
		return EXIT_NOTHING;
	}
	if (cleak_diff_build((const struct cleak_snapshot *const *)t->snaps, NULL, t->nsnaps,
			     &a->leak.diff, &t->diff) ||
	    cleak_check_run(t->diff, &a->check, &t->check)) {
		cli_error("%s", cleak_errmsg());
		return EXIT_NOTHING;
	}
	return 0;
}

static int run_check(int argc, char **argv)
{
	struct check_args a = {
		.leak = { .interval_ms = 10000 },
		.check = { .sz = sizeof(a.check), .max_goroutines = -1, .max_threads = -1,
			   .max_growth = -1 },
	};
	struct attempt t = { 0 };
	uint64_t start, deadline, wait = 100;
	unsigned attempts = 0;
	int rc;

	take_opts_init(&a.leak.take);
	a.leak.diff.sz = sizeof(a.leak.diff);
	rc = parse_args(argc, argv, &a);
	if (rc)
		goto out;
	a.leak.count = a.check.max_growth >= 0 ? 1 : 0;
	/* goleak's habit: goroutines take a moment to end, so a failing
	 * check is retried with a growing pause until the deadline. */
	start = cli_now_ms();
	deadline = start + a.settle_ms;
	for (;;) {
		attempt_release(&t);
		attempts++;
		if ((rc = run_once(&a, &t)))
			goto out;
		if (!t.check->nproblems || cli_now_ms() + wait > deadline)
			break;
		if (!cli_sleep_ms(wait))
			break;
		wait = wait * 2 > 1000 ? 1000 : wait * 2;
	}
	if (a.leak.json) {
		if (cleak_check_write_json(t.check, t.diff, attempts, stdout, a.leak.pretty)) {
			cli_error("%s", cleak_errmsg());
			rc = EXIT_NOTHING;
			goto out;
		}
	} else {
		render_check_text(t.check, t.diff, stdout);
		if (attempts > 1)
			printf("(looked %u times in %.1f s)\n", attempts,
			       (double)(cli_now_ms() - start) / 1000);
	}
	rc = t.check->nproblems ? EXIT_PARTIAL : 0;
	fflush(stdout);
	if (ferror(stdout))
		rc = EXIT_NOTHING;
out:
	attempt_release(&t);
	free(a.patterns);
	leak_args_release(&a.leak);
	return rc;
}

const struct cli_command cmd_check = {
	.name = "check",
	.args = "<pid>",
	.operands = CLI_OPERANDS_PID,
	.summary = "Check a process's health for CI: exit 1 when something leaks.\n"
		   "Goroutines that can never wake and deadlocked threads always fail;\n"
		   "limits on counts, growth and stacks are added with options.",
	.options = check_options,
	.exits = "0 healthy, 1 a problem was found, 2 could not inspect the process, "
		 "64 usage error.",
	.run = run_check,
};
