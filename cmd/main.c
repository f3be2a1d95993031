// SPDX-License-Identifier: MIT
/* cleak: the command table, dispatch and shared option handling. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const struct cli_command *const cli_commands[] = {
	&cmd_stack,
	&cmd_diff,
	&cmd_check,
	&cmd_watch,
	&cmd_ps,
};

const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

/* Each ends the command line: cleak does what it says and nothing else. */
const struct cli_option cli_main_options[] = {
	{ "help", 'h', NULL, "show this help (or `cleak <command> --help`)", .conflicts = "*" },
	{ "version", 'V', NULL, "show the version", .conflicts = "*" },
	{ 0 },
};

static const char *progname = "cleak";

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", progname, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", progname, cmd->name);
	return EXIT_USAGE;
}

static size_t count_options(const struct cli_option *o)
{
	size_t n = 0;

	while (o[n].long_name)
		n++;
	return n;
}

int cli_getopt(const struct cli_command *cmd, int argc, char **argv, const char **arg)
{
	static struct option longopts[64];
	static char shortopts[160];
	static const struct cli_command *built;
	size_t n = count_options(cmd->options), i;
	int c, index = -1;

	if (built != cmd) {
		char *s = shortopts;

		*s++ = ':';	/* report a missing argument as ':' */
		for (i = 0; i < n && i < 63; i++) {
			const struct cli_option *o = &cmd->options[i];

			longopts[i] = (struct option){ o->long_name,
				o->arg ? required_argument : no_argument, NULL, 1000 + (int)i };
			if (o->short_name) {
				*s++ = (char)o->short_name;
				if (o->arg)
					*s++ = ':';
			}
		}
		longopts[i] = (struct option){ 0 };
		*s = '\0';
		built = cmd;
	}
	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, &index);
	if (c == -1)
		return -1;
	if (c == '?' || c == ':') {
		const char *what = argv[optind - 1];

		if (optopt && c == '?')
			cli_usage_error(cmd, "unknown option '-%c'", optopt);
		else if (c == '?')
			cli_usage_error(cmd, "unknown option '%s'", what);
		else
			cli_usage_error(cmd, "option '%s' needs an argument", what);
		return -2;
	}
	*arg = optarg;
	if (c >= 1000)
		return c - 1000;
	for (i = 0; i < n; i++)
		if (cmd->options[i].short_name == c)
			return (int)i;
	return -2;
}

void cli_print_option_help(const struct cli_option *o, FILE *f)
{
	fprintf(f, "%s%s", o->help, o->repeat ? " (repeatable)" : "");
}

void cli_print_help(const struct cli_command *cmd, FILE *f)
{
	const struct cli_option *o;

	fprintf(f, "Usage: %s %s [options]%s%s\n\n%s\n\nOptions:\n", progname, cmd->name,
		*cmd->args ? " " : "", cmd->args, cmd->summary);
	for (o = cmd->options; o->long_name; o++) {
		char left[64];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
				 o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->long_name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s ", left);
		cli_print_option_help(o, f);
		fputc('\n', f);
	}
	fprintf(f, "\nExit status: %s\nSee cleak-%s(1).\n", cmd->exits ? cmd->exits :
		"0 all shown, 1 partial (some threads could not be unwound), 2 nothing "
		"shown, 64 usage error.", cmd->name);
}

bool cli_parse_pid(const struct cli_command *cmd, const char *s, pid_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > INT_MAX) {
		cli_usage_error(cmd, "'%s' is not a process id (a positive number, as "
				"`pgrep NAME` or `ps -e` prints)", s);
		return false;
	}
	*out = (pid_t)v;
	return true;
}

bool cli_parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || v > UINT_MAX || *s == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

bool cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		return false;
	*out = (size_t)v;
	return true;
}

bool cli_parse_duration(const char *s, uint64_t *ms_out)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	char *end;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v >= 0) || *s == '-' || *s == '+')
		return false;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			v *= units[i].ms;
			if (v > 1e12)
				return false;
			*ms_out = (uint64_t)(v + 0.5);
			return true;
		}
	}
	return false;
}

uint64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

volatile sig_atomic_t cli_interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

/* Ctrl-C between snapshots ends the command cleanly; during a capture
 * libcleak holds it back until the target runs again. */
void cli_catch_interrupt(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool cli_sleep_ms(uint64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (!cli_interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return !cli_interrupted;
}

static void print_main_help(FILE *f)
{
	const struct cli_option *o;
	size_t i;

	fprintf(f, "Usage: %s <command> [options] <args>\n\n"
		"Inspect the threads and goroutines of a running process from outside:\n"
		"fast, gentle stack dumps with symbols, inlined frames and source lines.\n\n"
		"Commands:\n", progname);
	/* Each command's summary, up to its first line break. */
	for (i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-10s %.*s\n", cli_commands[i]->name,
			(int)strcspn(cli_commands[i]->summary, "\n"), cli_commands[i]->summary);
	fprintf(f, "\nOptions:\n");
	for (o = cli_main_options; o->long_name; o++) {
		char left[32];

		snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		fprintf(f, "  %-14s %s\n", left, o->help);
	}
	fprintf(f, "\nSee cleak(1).\n");
}

const struct cli_command *cli_find_command(const char *name, bool quiet)
{
	const struct cli_command *found = NULL;
	size_t i, len = strlen(name);
	int matches = 0;

	for (i = 0; i < cli_ncommands; i++) {
		if (strcmp(cli_commands[i]->name, name) == 0)
			return cli_commands[i];
		if (strncmp(cli_commands[i]->name, name, len) == 0) {
			found = cli_commands[i];
			matches++;
		}
	}
	if (matches > 1) {
		if (!quiet)
			cli_error("ambiguous command '%s'", name);
		return NULL;
	}
	if (!found && !quiet)
		cli_error("unknown command '%s'; `%s --help` lists the commands", name,
			  progname);
	return found;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		if (argc > 2 && (cmd = cli_find_command(argv[2], false))) {
			cli_print_help(cmd, stdout);
			return 0;
		}
		print_main_help(stdout);
		return argc > 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("cleak %s\n", CLEAK_VERSION);
		printf("reads Go 1.%d to 1.%d with its own tables, newer Go releases through their "
		       "DWARF\n", CLEAK_GO_OLDEST, CLEAK_GO_NEWEST);
		return 0;
	}
	if (argv[1][0] == '-') {
		cli_error("unknown option '%s'; `%s --help` lists the commands", argv[1],
			  progname);
		return EXIT_USAGE;
	}
	/* Hidden: for the completions, which take every name from it. */
	if (strcmp(argv[1], "__complete") == 0)
		return cli_complete(argc - 1, argv + 1);
	cmd = cli_find_command(argv[1], false);
	if (!cmd)
		return EXIT_USAGE;
	return cmd->run(argc - 1, argv + 1);
}
