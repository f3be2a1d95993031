// SPDX-License-Identifier: MIT
/* cleak stack <pid>: every thread's stack, grouped. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	OPT_ALL, OPT_JSON, OPT_PRETTY, OPT_FREEZE, OPT_MAX_FRAMES, OPT_STACK_BYTES,
	OPT_TID, OPT_NO_INLINES, OPT_NO_LINES, OPT_RAW, OPT_SYSROOT, OPT_DEBUGINFO,
	OPT_FORMAT, OPT_NONBLOCKING, OPT_HELP,
};

static const struct cli_option stack_options[] = {
	[OPT_ALL] = { "all", 'a', NULL, "print every thread on its own instead of grouping" },
	[OPT_JSON] = CLI_OPT_JSON("print one JSON document (see cleak-stack(1))"),
	[OPT_PRETTY] = CLI_OPT_PRETTY,
	[OPT_FREEZE] = { "freeze", 'F', NULL,
			 "stop all threads together for one consistent instant",
			 .conflicts = "nonblocking" },
	[OPT_MAX_FRAMES] = { "max-frames", 'n', "N", "show at most N frames per thread (default 256)" },
	[OPT_STACK_BYTES] = { "stack-bytes", 0, "SIZE",
			      "copy at most SIZE bytes of each live stack (default 512K)" },
	[OPT_TID] = { "tid", 't', "TID", "show only this thread", .repeat = true },
	[OPT_NO_INLINES] = { "no-inlines", 0, NULL, "do not expand inlined calls" },
	[OPT_NO_LINES] = { "no-lines", 0, NULL, "do not look up source file:line" },
	[OPT_RAW] = { "raw", 'r', NULL, "do not demangle C++ and Rust names" },
	[OPT_SYSROOT] = { "sysroot", 0, "DIR",
			  "find the target's files under DIR (default /proc/PID/root)",
			  .value = CLI_VALUE_DIR },
	[OPT_DEBUGINFO] = { "debuginfo-path", 0, "PATH",
			    "also search these ':'-separated dirs for debug files",
			    .value = CLI_VALUE_DIRS },
	[OPT_FORMAT] = { "format", 'f', "FMT",
			 "text (default), json, or go: goroutines as the Go runtime prints them",
			 .choices = "text json go" },
	[OPT_NONBLOCKING] = CLI_OPT_NONBLOCKING("stop nothing: skip what moves while it is read",
						.conflicts = "freeze"),
	[OPT_HELP] = CLI_OPT_HELP,
	{ 0 },
};

struct stack_args {
	pid_t pid;
	struct render_opts render;
	struct take_opts take;
	pid_t *tids;
	size_t ntids;
};

static int parse_args(int argc, char **argv, struct stack_args *a)
{
	const char *arg;
	pid_t tid, *n;
	int opt;

	optind = 1;
	while ((opt = cli_getopt(&cmd_stack, argc, argv, &arg)) != -1) {
		switch (opt) {
		case -2:
			return EXIT_USAGE;
		case OPT_ALL: a->render.all = true; break;
		case OPT_JSON: a->render.json = true; break;
		case OPT_PRETTY: a->render.pretty = a->render.json = true; break;
		case OPT_FREEZE: a->take.capture.freeze = true; break;
		case OPT_MAX_FRAMES:
			if (!cli_parse_uint(arg, &a->take.unwind.max_frames) || !a->take.unwind.max_frames)
				return cli_usage_error(&cmd_stack, "--max-frames wants a "
						       "number of 1 or more, not '%s'", arg);
			break;
		case OPT_STACK_BYTES:
			if (!cli_parse_size(arg, &a->take.capture.max_stack_bytes) ||
			    a->take.capture.max_stack_bytes < 256)
				return cli_usage_error(&cmd_stack, "--stack-bytes wants a size "
						       "of 256 or more, such as 64K or 1M, not '%s'", arg);
			break;
		case OPT_TID:
			if (!cli_parse_pid(&cmd_stack, arg, &tid))
				return EXIT_USAGE;
			n = realloc(a->tids, (a->ntids + 1) * sizeof(*n));
			if (!n)
				return EXIT_NOTHING;
			a->tids = n;
			a->tids[a->ntids++] = tid;
			break;
		case OPT_NO_INLINES: a->take.sym.inlines = false; break;
		case OPT_NO_LINES: a->take.sym.lines = false; break;
		case OPT_RAW: a->take.sym.demangle = false; break;
		case OPT_SYSROOT: a->take.unwind.sysroot = a->take.sym.sysroot = arg; break;
		case OPT_DEBUGINFO: a->take.sym.debuginfo_path = arg; break;
		case OPT_FORMAT:
			if (strcmp(arg, "json") == 0)
				a->render.json = true;
			else if (strcmp(arg, "go") == 0)
				a->render.go = true;
			else if (strcmp(arg, "text") != 0)
				return cli_usage_error(&cmd_stack, "--format is text, json or go, "
						       "not '%s'", arg);
			break;
		case OPT_NONBLOCKING: a->take.capture.nonblocking = true; break;
		case OPT_HELP:
			cli_print_help(&cmd_stack, stdout);
			exit(0);
		}
	}
	if (a->take.capture.nonblocking && a->take.capture.freeze)
		return cli_usage_error(&cmd_stack, "--freeze stops every thread and "
				       "--nonblocking stops none: choose one");
	if (a->render.go && a->render.json)
		return cli_usage_error(&cmd_stack, "--json and --format go are two formats: "
				       "choose one");
	if (optind >= argc)
		return cli_usage_error(&cmd_stack, "which process? Give a pid");
	if (argc - optind > 1)
		return cli_usage_error(&cmd_stack, "one pid at a time (got '%s' too)",
				       argv[optind + 1]);
	if (!cli_parse_pid(&cmd_stack, argv[optind], &a->pid))
		return EXIT_USAGE;
	return 0;
}

/* Say which of the threads named with --tid the process does not have. */
static int report_missing_tids(const struct cleak_snapshot *snap, const pid_t *tids,
			       size_t ntids)
{
	size_t j;
	int rc = 0;

	for (j = 0; j < ntids; j++) {
		if (!cleak_snapshot_thread(snap, tids[j])) {
			cli_error("pid %d has no thread %d (its threads are listed in "
				  "/proc/%d/task)", snap->pid, tids[j], snap->pid);
			rc = EXIT_PARTIAL;
		}
	}
	return rc;
}

/*
 * A thread that exists but whose stack is incomplete makes the result
 * partial.  Threads that exited during capture, and zombies, are
 * reported but are no failure: there was nothing left to unwind.
 */
static bool thread_incomplete(const struct cleak_thread *t)
{
	if (t->state == 'Z' || t->state == 'X')
		return false;
	if (t->how == CLEAK_CAPTURE_NONE)
		return !t->error || strcmp(t->error, "exited during capture") != 0;
	return t->unwind_truncated || t->nframes == 0;
}

/*
 * A Go program whose goroutines could not be read (a release this cleak
 * does not know, a damaged binary) or whose stacks are incomplete is a
 * partial result; say why on stderr whatever the format.
 */
static int check_goroutines(const struct cleak_snapshot *snap, int rc)
{
	char note[512];
	size_t i;

	if (!snap->go)
		return rc;
	if (snap->go->error) {
		cli_error("%s", snap->go->error);
		return rc ? rc : EXIT_PARTIAL;
	}
	/* A newer release read all the same: said on stderr too, so that
	 * --json and --format go readers see it. */
	if (render_go_layout_note(snap->go, note, sizeof(note)))
		cli_error("note: %s", note);
	for (i = 0; i < snap->go->ngoroutines; i++)
		if (snap->go->goroutines[i].error && !snap->go->goroutines[i].system)
			return rc ? rc : EXIT_PARTIAL;
	return rc;
}

static int run_stack(int argc, char **argv)
{
	struct stack_args a = { 0 };
	struct cleak_snapshot *snap = NULL;
	size_t i;
	int rc, err;

	take_opts_init(&a.take);
	rc = parse_args(argc, argv, &a);
	if (rc)
		goto out;
	/* Only the threads asked for are touched at all. */
	a.take.capture.tids = a.tids;
	a.take.capture.ntids = a.ntids;
	err = cli_take_snapshot(a.pid, &a.take, &snap);
	if (err) {
		cli_error("%s", cleak_errmsg());
		rc = EXIT_NOTHING;
		goto out;
	}
	if (a.ntids)
		rc = report_missing_tids(snap, a.tids, a.ntids);
	if (snap->nthreads == 0) {
		rc = EXIT_NOTHING;
		goto out;
	}
	if (a.render.json) {
		if (cleak_snapshot_write_json(snap, stdout, a.render.pretty)) {
			cli_error("%s", cleak_errmsg());
			rc = EXIT_NOTHING;
			goto out;
		}
	} else if (a.render.go) {
		if (!snap->go) {
			cli_error("pid %d (%s) is not a Go program: --format go shows goroutines; "
				  "its threads are in the default format", snap->pid, snap->comm);
			rc = EXIT_NOTHING;
			goto out;
		}
		render_go_traceback(snap, stdout);
	} else {
		render_stack_text(snap, &a.render, stdout);
	}
	for (i = 0; i < snap->nthreads; i++)
		if (thread_incomplete(&snap->threads[i]))
			rc = EXIT_PARTIAL;
	rc = check_goroutines(snap, rc);
	fflush(stdout);
	if (ferror(stdout))
		rc = EXIT_NOTHING;
out:
	cleak_snapshot_free(snap);
	free(a.tids);
	return rc;
}

const struct cli_command cmd_stack = {
	.name = "stack",
	.args = "<pid>",
	.operands = CLI_OPERANDS_PID,
	.summary = "Print every thread (and goroutine) of a process with its stack.\n"
		   "Stacks are symbolized; threads in the same state with the same stack\n"
		   "are grouped; in a Go program, every goroutine is shown too, read from\n"
		   "outside.",
	.options = stack_options,
	.run = run_stack,
};
