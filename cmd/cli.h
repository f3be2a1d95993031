/* SPDX-License-Identifier: MIT */
/* The command table and the helpers every subcommand shares. */
#ifndef CLEAK_CLI_H
#define CLEAK_CLI_H

#include <cleak.h>
#include <getopt.h>
#include <stdbool.h>

/* Exit codes, as eu-stack's. */
enum {
	EXIT_ALL_SHOWN = 0,
	EXIT_PARTIAL = 1,	/* some threads could not be unwound */
	EXIT_NOTHING = 2,	/* nothing could be shown */
	EXIT_USAGE = 64,
};

struct cli_option {
	const char *long_name;
	int short_name;		/* 0: long only */
	const char *arg;	/* NULL: a flag; else the argument's name */
	const char *help;
};

struct cli_command {
	const char *name;
	const char *args;	/* "<pid>" */
	const char *summary;
	const struct cli_option *options;	/* ends with a zeroed entry */
	const char *exits;	/* the exit status line of --help; NULL: stack's */
	int (*run)(int argc, char **argv);
};

extern const struct cli_command cmd_stack;
extern const struct cli_command cmd_ps;

/*
 * getopt_long over a command's option table.  Returns the option's index
 * in the table, -1 at the end, or -2 after printing a usage error.
 */
int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const char **optarg_out);
void cli_print_help(const struct cli_command *cmd, FILE *f);
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A pid or tid argument; false (after a usage message) if it is not one. */
bool cli_parse_pid(const struct cli_command *cmd, const char *s, pid_t *out);
/* "64K", "1M", "4096" */
bool cli_parse_size(const char *s, size_t *out);
bool cli_parse_uint(const char *s, unsigned *out);

/* render-stack.c */
struct render_opts {
	bool all;		/* every thread on its own */
	bool json;
	bool pretty;
	bool go;		/* the Go runtime's traceback layout */
};
void render_stack_text(const struct cleak_snapshot *snap, const struct render_opts *o,
		       FILE *f);
void render_frames(const struct cleak_thread *t, FILE *f);

/* render-go.c: "Go go1.26.0, module m: 42 goroutines ..." */
void render_go_summary(const struct cleak_snapshot *snap, FILE *f);
/* The goroutines grouped, biggest pile first (before the threads). */
void render_go_text(const struct cleak_snapshot *snap, const struct render_opts *o, FILE *f);
/* The goroutines as runtime.Stack(all) prints them (--format go). */
void render_go_traceback(const struct cleak_snapshot *snap, FILE *f);

/* render-wait.c */
/* "waiting for mutex 0x... held by 1234 worker-3"; without `with_fd`, the
 * descriptor is left out (group members that differ in it). */
void render_wait_phrase(const struct cleak_snapshot *snap, const struct cleak_thread *t,
			bool with_fd, FILE *f);
/* The deadlocks and the waiting chains, after the groups. */
void render_deadlocks_text(const struct cleak_snapshot *snap, FILE *f);

#endif
