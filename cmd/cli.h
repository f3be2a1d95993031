/* SPDX-License-Identifier: MIT */
/* The command table and the helpers every subcommand shares. */
#ifndef CLEAK_CLI_H
#define CLEAK_CLI_H

#include <cleak.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

/* Exit codes, as eu-stack's. */
enum {
	EXIT_ALL_SHOWN = 0,
	EXIT_PARTIAL = 1,	/* some threads could not be unwound */
	EXIT_NOTHING = 2,	/* nothing could be shown */
	EXIT_USAGE = 64,
};

/* What a shell offers for an option's argument (complete.c). */
enum cli_value {
	CLI_VALUE_ANY,		/* a number, a duration, a name: nothing to offer */
	CLI_VALUE_FILE,
	CLI_VALUE_DIR,
	CLI_VALUE_DIRS,		/* ':'-separated directories */
};

/*
 * A row of a command's option table.  --help, getopt and the shell
 * completions (through `cleak __complete`) are all read from it, so a new
 * option is this row and its entry in the man page.  The fields after
 * help are for the completions and may be left out.
 */
struct cli_option {
	const char *long_name;
	int short_name;		/* 0: long only */
	const char *arg;	/* NULL: a flag; else the argument's name */
	const char *help;
	enum cli_value value;
	const char *choices;	/* the only values of arg: "text json go" */
	bool repeat;		/* may be given again; --help says "(repeatable)" */
	const char *conflicts;	/* long names it does not go with; "*": anything */
};

/* What a command takes after its options, for the completions. */
enum cli_operands {
	CLI_OPERANDS_NONE,
	CLI_OPERANDS_PID,		/* one process id */
	CLI_OPERANDS_PID_OR_SNAPSHOTS,	/* a pid, or snapshots saved as JSON */
};

struct cli_command {
	const char *name;
	const char *args;	/* "<pid>" */
	enum cli_operands operands;	/* what args are */
	const char *summary;
	const struct cli_option *options;	/* ends with a zeroed entry */
	const char *exits;	/* the exit status line of --help; NULL: stack's */
	int (*run)(int argc, char **argv);
};

/*
 * Rows that several commands share, as bpftool's HELP_SPEC_OPTIONS: one
 * row serves each command that has the option.  Where the help says what
 * the option does for that command, the command gives it; more fields
 * (.conflicts = ...) may follow it.
 */
#define CLI_OPT_HELP { "help", 'h', NULL, "show this help", .conflicts = "*" }
#define CLI_OPT_PRETTY { "pretty", 0, NULL, "print indented JSON (implies --json)" }
#define CLI_OPT_JSON(help, ...) { "json", 'j', NULL, help, __VA_ARGS__ }
#define CLI_OPT_INTERVAL(help, ...) { "interval", 'i', "D", help, __VA_ARGS__ }
#define CLI_OPT_COUNT(help, ...) { "count", 'c', "N", help, __VA_ARGS__ }
#define CLI_OPT_NONBLOCKING(help, ...) { "nonblocking", 0, NULL, help, __VA_ARGS__ }
/* The ignore rules of diff and check (diff-opts.c reads them): four rows. */
#define CLI_OPTS_IGNORE \
	{ "ignore-top", 0, "FUNC", "ignore stacks whose innermost frame is FUNC", .repeat = true }, \
	{ "ignore-created-by", 0, "FUNC", "ignore goroutines created by FUNC", .repeat = true }, \
	{ "ignore-any", 0, "FUNC", "ignore stacks with FUNC in any frame", .repeat = true }, \
	{ "ignore-file", 0, "FILE", "read ignore rules from FILE", .value = CLI_VALUE_FILE }

extern const struct cli_command cmd_stack;
extern const struct cli_command cmd_ps;
extern const struct cli_command cmd_diff;
extern const struct cli_command cmd_check;
extern const struct cli_command cmd_watch;

/* main.c: the commands in the order --help lists them, and the options
 * that come before a command (-h, -V). */
extern const struct cli_command *const cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_option cli_main_options[];
/* The command that `name` or a unique prefix of it names (as tmux resolves
 * commands); NULL, after a message unless `quiet`, when none does. */
const struct cli_command *cli_find_command(const char *name, bool quiet);
/* complete.c: `cleak __complete`, the tables printed for the shells. */
int cli_complete(int argc, char **argv);

/*
 * getopt_long over a command's option table.  Returns the option's index
 * in the table, -1 at the end, or -2 after printing a usage error.
 */
int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const char **optarg_out);
void cli_print_help(const struct cli_command *cmd, FILE *f);
/* An option's description: its help, and whether it may be repeated. */
void cli_print_option_help(const struct cli_option *o, FILE *f);
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A pid or tid argument; false (after a usage message) if it is not one. */
bool cli_parse_pid(const struct cli_command *cmd, const char *s, pid_t *out);
/* "64K", "1M", "4096" */
bool cli_parse_size(const char *s, size_t *out);
bool cli_parse_uint(const char *s, unsigned *out);
/* "500ms", "10s", "2m", "1h"; a bare number is seconds.  Milliseconds. */
bool cli_parse_duration(const char *s, uint64_t *ms_out);
uint64_t cli_now_ms(void);	/* CLOCK_MONOTONIC */
/* Sleep `ms`, cut short by a signal; false when one came (Ctrl-C). */
bool cli_sleep_ms(uint64_t ms);
/* Set by SIGINT and SIGTERM once cli_catch_interrupt() ran. */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_interrupt(void);

/* take.c: a snapshot through every stage (capture ... deadlocks). */
struct take_opts {
	struct cleak_capture_opts capture;
	struct cleak_unwind_opts unwind;
	struct cleak_symbolize_opts sym;
};
void take_opts_init(struct take_opts *o);
int cli_take_snapshot(pid_t pid, const struct take_opts *o, struct cleak_snapshot **out);

/* ignore rules and diff options that diff and check share (diff-opts.c) */
struct leak_args {
	struct cleak_ignore *ignore;
	struct cleak_diff_opts diff;
	struct take_opts take;
	uint64_t interval_ms;
	unsigned count;		/* intervals */
	bool json, pretty;
};
/* 1: `opt` was one of the shared options (handled), 0: not, -1: usage error printed. */
int leak_args_option(const struct cli_command *cmd, struct leak_args *a, const char *name,
		     const char *arg);
void leak_args_release(struct leak_args *a);
/*
 * Take count + 1 snapshots of `pid`, interval apart (progress on a
 * terminal), into snaps[] (count + 1 entries).  0, or an exit status
 * after the message.
 */
int take_series(const struct cli_command *cmd, pid_t pid, const struct leak_args *a,
		struct cleak_snapshot **snaps);

/* render-diff.c */
void render_diff_text(const struct cleak_diff *d, bool all, FILE *f);
void render_check_text(const struct cleak_check *c, const struct cleak_diff *d, FILE *f);

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
/* The last component of a path; "?" for NULL. */
const char *render_base_name(const char *path);

/* render-go.c: "Go go1.26.0, module m: 42 goroutines ..." */
/* Why a Go program was read without cleak's own table for its release,
 * in buf; NULL when it was read with it. */
const char *render_go_layout_note(const struct cleak_go *go, char *buf, size_t size);
void render_go_summary(const struct cleak_snapshot *snap, FILE *f);
/* The goroutines grouped, biggest pile first (before the threads). */
void render_go_text(const struct cleak_snapshot *snap, const struct render_opts *o, FILE *f);
/* "  #3   main.worker at /src/main.go:42 +0x1f" */
void render_frame_line(const struct cleak_frame *fr, size_t idx, FILE *f);
/* "chan int 0xc000... (unbuffered; 3 sending, 0 receiving, 0 in select)" */
void render_chan(const struct cleak_go_chan *c, FILE *f);
/* "19-21, 25, 30" of ascending ids; the first 24 runs unless `all`,
 * then "... (<more>)". */
void render_id_ranges(const uint64_t *ids, size_t n, bool all, const char *more, FILE *f);
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
