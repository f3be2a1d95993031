// SPDX-License-Identifier: MIT
/* cleak diff: what grew, what ended, what stayed stuck, and which groups
 * look like leaks, between snapshots of a live process or saved ones. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_INTERVAL, OPT_COUNT, OPT_JSON, OPT_PRETTY, OPT_ALL, OPT_PILE,
	OPT_IGNORE_TOP, OPT_IGNORE_CREATED_BY, OPT_IGNORE_ANY, OPT_IGNORE_FILE,	/* CLI_OPTS_IGNORE */
	OPT_NONBLOCKING, OPT_HELP,
};

static const struct cli_option diff_options[] = {
	[OPT_INTERVAL] = CLI_OPT_INTERVAL("time between snapshots (default 10s)"),
	[OPT_COUNT] = CLI_OPT_COUNT("take N+1 snapshots, N intervals (default 2)"),
	[OPT_JSON] = CLI_OPT_JSON("print one JSON document (see cleak-diff(1))"),
	[OPT_PRETTY] = CLI_OPT_PRETTY,
	[OPT_ALL] = { "all", 'a', NULL,
		      "also list idle-by-design groups and every stuck goroutine and thread" },
	[OPT_PILE] = { "pile", 0, "N",
		       "N goroutines stuck on one channel make a suspect (default 100)" },
	[OPT_IGNORE_TOP] = CLI_OPTS_IGNORE,
	[OPT_NONBLOCKING] = CLI_OPT_NONBLOCKING("take the snapshots without stopping anything"),
	[OPT_HELP] = CLI_OPT_HELP,
	{ 0 },
};

static bool is_pid(const char *s)
{
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

/* Saved snapshots, oldest first; a message naming the file on failure. */
static int read_snapshots(char **files, size_t n, struct cleak_snapshot **snaps)
{
	size_t i;

	for (i = 0; i < n; i++) {
		FILE *f = fopen(files[i], "re");

		if (!f) {
			cli_error("cannot read %s: %s", files[i], strerror(errno));
			return EXIT_NOTHING;
		}
		if (cleak_snapshot_read_json(f, &snaps[i])) {
			cli_error("%s: %s (diff reads the output of `cleak stack --json`)",
				  files[i], cleak_errmsg());
			fclose(f);
			return EXIT_NOTHING;
		}
		fclose(f);
	}
	return 0;
}

static int run_diff(int argc, char **argv)
{
	struct leak_args a = { .interval_ms = 10000, .count = 2 };
	struct cleak_snapshot **snaps = NULL;
	struct cleak_diff *diff = NULL;
	bool all = false, counted = false, timed = false;
	size_t nsnaps = 0, i;
	const char *arg;
	int opt, rc = 0;
	pid_t pid = 0;

	take_opts_init(&a.take);
	a.diff.sz = sizeof(a.diff);
	optind = 1;
	while ((opt = cli_getopt(&cmd_diff, argc, argv, &arg)) != -1) {
		if (opt == -2) {
			rc = EXIT_USAGE;
			goto out;
		}
		if (opt == OPT_HELP) {
			cli_print_help(&cmd_diff, stdout);
			goto out;
		}
		if (opt == OPT_ALL) {
			all = true;
			continue;
		}
		counted |= opt == OPT_COUNT;
		timed |= opt == OPT_INTERVAL;
		if (leak_args_option(&cmd_diff, &a, diff_options[opt].long_name, arg) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage_error(&cmd_diff, "give a pid, or two or more snapshot files "
				     "saved with `cleak stack --json`");
		goto out;
	}
	if (argc - optind == 1) {
		if (!is_pid(argv[optind])) {
			rc = cli_usage_error(&cmd_diff, "'%s' is no pid, and one snapshot file "
					     "has nothing to compare with: give two", argv[optind]);
			goto out;
		}
		if (!cli_parse_pid(&cmd_diff, argv[optind], &pid)) {
			rc = EXIT_USAGE;
			goto out;
		}
		nsnaps = a.count + 1;
	} else {
		if (counted || timed || a.take.capture.nonblocking) {
			rc = cli_usage_error(&cmd_diff, "--interval, --count and --nonblocking "
					     "are for a live process, not for saved snapshots");
			goto out;
		}
		nsnaps = (size_t)(argc - optind);
	}
	snaps = calloc(nsnaps, sizeof(*snaps));
	if (!snaps) {
		rc = EXIT_NOTHING;
		goto out;
	}
	rc = pid ? take_series(&cmd_diff, pid, &a, snaps)
		 : read_snapshots(argv + optind, nsnaps, snaps);
	if (rc)
		goto out;
	if (cleak_diff_build((const struct cleak_snapshot *const *)snaps,
			     pid ? NULL : (const char *const *)argv + optind, nsnaps, &a.diff,
			     &diff)) {
		cli_error("%s", cleak_errmsg());
		rc = EXIT_NOTHING;
		goto out;
	}
	if (a.json) {
		if (cleak_diff_write_json(diff, stdout, a.pretty)) {
			cli_error("%s", cleak_errmsg());
			rc = EXIT_NOTHING;
			goto out;
		}
	} else {
		render_diff_text(diff, all, stdout);
	}
	rc = diff->nsuspects ? EXIT_PARTIAL : 0;
	fflush(stdout);
	if (ferror(stdout))
		rc = EXIT_NOTHING;
out:
	cleak_diff_free(diff);
	for (i = 0; snaps && i < nsnaps; i++)
		cleak_snapshot_free(snaps[i]);
	free(snaps);
	leak_args_release(&a);
	return rc;
}

const struct cli_command cmd_diff = {
	.name = "diff",
	.args = "<pid> | <a.json> <b.json> [more.json...]",
	.operands = CLI_OPERANDS_PID_OR_SNAPSHOTS,
	.summary = "Compare snapshots over time: what grew, what stayed stuck, what leaks.\n"
		   "With a pid, take N+1 snapshots an interval apart; with files, compare\n"
		   "snapshots saved with `cleak stack --json`, oldest first.",
	.options = diff_options,
	.exits = "0 compared, no leak suspect, 1 leak suspects found, 2 could not inspect "
		 "or read a snapshot, 64 usage error.",
	.run = run_diff,
};
