// SPDX-License-Identifier: MIT
/* What cleak diff and cleak check share: ignore rules, the interval, and
 * taking a series of snapshots of a live process. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_rule(const struct cli_command *cmd, struct leak_args *a,
		    enum cleak_ignore_kind kind, const char *func)
{
	if (!a->ignore && !(a->ignore = cleak_ignore_new())) {
		cli_error("out of memory");
		return -1;
	}
	if (cleak_ignore_add(a->ignore, kind, func)) {
		cli_usage_error(cmd, "%s", cleak_errmsg());
		return -1;
	}
	a->diff.ignore = a->ignore;
	return 1;
}

int leak_args_option(const struct cli_command *cmd, struct leak_args *a, const char *name,
		     const char *arg)
{
	if (strcmp(name, "interval") == 0) {
		if (!cli_parse_duration(arg, &a->interval_ms) || !a->interval_ms) {
			cli_usage_error(cmd, "--interval wants a duration such as 500ms, 10s "
					"or 2m, not '%s'", arg);
			return -1;
		}
	} else if (strcmp(name, "count") == 0) {
		if (!cli_parse_uint(arg, &a->count) || !a->count || a->count > 1000) {
			cli_usage_error(cmd, "--count wants a number of intervals from 1 to "
					"1000, not '%s'", arg);
			return -1;
		}
	} else if (strcmp(name, "pile") == 0) {
		if (!cli_parse_uint(arg, &a->diff.pile) || !a->diff.pile) {
			cli_usage_error(cmd, "--pile wants a number of 1 or more, not '%s'", arg);
			return -1;
		}
	} else if (strcmp(name, "json") == 0) {
		a->json = true;
	} else if (strcmp(name, "pretty") == 0) {
		a->json = a->pretty = true;
	} else if (strcmp(name, "nonblocking") == 0) {
		a->take.capture.nonblocking = true;
	} else if (strcmp(name, "ignore-top") == 0) {
		return add_rule(cmd, a, CLEAK_IGNORE_TOP, arg);
	} else if (strcmp(name, "ignore-created-by") == 0) {
		return add_rule(cmd, a, CLEAK_IGNORE_CREATED_BY, arg);
	} else if (strcmp(name, "ignore-any") == 0) {
		return add_rule(cmd, a, CLEAK_IGNORE_ANY, arg);
	} else if (strcmp(name, "ignore-file") == 0) {
		if (!a->ignore && !(a->ignore = cleak_ignore_new())) {
			cli_error("out of memory");
			return -1;
		}
		if (cleak_ignore_read_file(a->ignore, arg)) {
			cli_usage_error(cmd, "%s", cleak_errmsg());
			return -1;
		}
	} else {
		return 0;
	}
	a->diff.ignore = a->ignore;
	return 1;
}

void leak_args_release(struct leak_args *a)
{
	cleak_ignore_free(a->ignore);
	a->ignore = NULL;
}

/* "snapshot 2 of 4 in 7 s", rewritten each second on a terminal. */
static bool wait_with_progress(const char *verb, unsigned next, unsigned total, uint64_t ms)
{
	bool tty = isatty(STDERR_FILENO);

	while (ms > 0) {
		uint64_t step = tty && ms > 1000 ? (ms % 1000 ? ms % 1000 : 1000) : ms;

		if (tty)
			fprintf(stderr, "\rcleak %s: snapshot %u of %u in %llu s ", verb, next,
				total, (unsigned long long)((ms + 999) / 1000));
		if (!cli_sleep_ms(step))
			break;
		ms -= step;
	}
	if (tty)
		fprintf(stderr, "\r%*s\r", 60, "");
	return !cli_interrupted;
}

int take_series(const struct cli_command *cmd, pid_t pid, const struct leak_args *a,
		struct cleak_snapshot **snaps)
{
	unsigned i, total = a->count + 1;

	cli_catch_interrupt();
	for (i = 0; i < total; i++) {
		if (i && !wait_with_progress(cmd->name, i + 1, total, a->interval_ms)) {
			cli_error("interrupted after %u of %u snapshots; nothing compared", i, total);
			return EXIT_NOTHING;
		}
		if (cli_take_snapshot(pid, &a->take, &snaps[i])) {
			if (i)
				cli_error("snapshot %u of %u: %s", i + 1, total, cleak_errmsg());
			else
				cli_error("%s", cleak_errmsg());
			return EXIT_NOTHING;
		}
		if (snaps[i]->go && snaps[i]->go->error) {
			cli_error("%s", snaps[i]->go->error);
			return EXIT_NOTHING;
		}
	}
	return 0;
}
