// SPDX-License-Identifier: MIT
/*
 * cleak __complete: the command and option tables, printed for the shell
 * completions in completions/ so that they name no option themselves.
 * Hidden from --help and the man pages: the scripts are its only readers.
 *
 *   cleak __complete commands         NAME SUMMARY
 *   cleak __complete options [CMD]    LONG SHORT ARG VALUE REPEAT CONFLICTS HELP
 *   cleak __complete operands CMD     none | pid | pid-or-snapshots
 *
 * One line per command or option, its fields separated by tabs; a field
 * with nothing in it is "-", since read in bash and zsh merges adjacent
 * tabs.  SUMMARY is the first line of the command's summary.  Without
 * CMD, the options are those before the command; CMD may be a unique
 * prefix, as cleak itself accepts.  VALUE is what a shell offers for ARG:
 * "-" (a flag), "any" (nothing), "file", "dir", "dirs" (':'-separated) or
 * "one-of:" and the values.  REPEAT is "repeat" or "once".  CONFLICTS
 * lists every form of the options that cannot go with it, or is "*" for
 * one that takes the whole command line, as --help does.  HELP is the
 * option's line of --help.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char *const value_names[] = {
	[CLI_VALUE_ANY] = "any",
	[CLI_VALUE_FILE] = "file",
	[CLI_VALUE_DIR] = "dir",
	[CLI_VALUE_DIRS] = "dirs",
};

static const char *const operand_names[] = {
	[CLI_OPERANDS_NONE] = "none",
	[CLI_OPERANDS_PID] = "pid",
	[CLI_OPERANDS_PID_OR_SNAPSHOTS] = "pid-or-snapshots",
};

static void print_forms(const struct cli_option *o, FILE *f)
{
	if (o->short_name)
		fprintf(f, "-%c ", o->short_name);
	fprintf(f, "--%s", o->long_name);
}

/*
 * The options of `table` named in o->conflicts, in all their forms.  A
 * name the table lacks is printed as it is, so that the test that checks
 * these against --help (tests/e2e/test_docs.py) sees the mistake.
 */
static void print_conflicts(const struct cli_option *table, const struct cli_option *o,
			    FILE *f)
{
	const char *s = o->conflicts;
	const struct cli_option *c;

	if (!s || !*s || strcmp(s, "*") == 0) {
		fputs(s && *s ? s : "-", f);
		return;
	}
	while (*s) {
		size_t len = strcspn(s, " ");

		for (c = table; c->long_name; c++)
			if (strlen(c->long_name) == len && strncmp(c->long_name, s, len) == 0)
				break;
		if (c->long_name)
			print_forms(c, f);
		else
			fprintf(f, "--%.*s", (int)len, s);
		s += len;
		s += strspn(s, " ");
		if (*s)
			fputc(' ', f);
	}
}

static void print_options(const struct cli_option *table, FILE *f)
{
	const struct cli_option *o;

	for (o = table; o->long_name; o++) {
		fprintf(f, "--%s\t", o->long_name);
		if (o->short_name)
			fprintf(f, "-%c\t", o->short_name);
		else
			fputs("-\t", f);
		fprintf(f, "%s\t", o->arg ? o->arg : "-");
		if (!o->arg)
			fputc('-', f);
		else if (o->choices)
			fprintf(f, "one-of:%s", o->choices);
		else
			fputs(value_names[o->value], f);
		fprintf(f, "\t%s\t", o->repeat ? "repeat" : "once");
		print_conflicts(table, o, f);
		fputc('\t', f);
		cli_print_option_help(o, f);
		fputc('\n', f);
	}
}

int cli_complete(int argc, char **argv)
{
	const struct cli_command *cmd = NULL;
	const char *what = argc > 1 ? argv[1] : "";
	size_t i;

	if (argc == 3)
		cmd = cli_find_command(argv[2], true);
	if (argc == 2 && strcmp(what, "commands") == 0) {
		for (i = 0; i < cli_ncommands; i++)
			printf("%s\t%.*s\n", cli_commands[i]->name,
			       (int)strcspn(cli_commands[i]->summary, "\n"),
			       cli_commands[i]->summary);
	} else if (argc == 2 && strcmp(what, "options") == 0) {
		print_options(cli_main_options, stdout);
	} else if (cmd && strcmp(what, "options") == 0) {
		print_options(cmd->options, stdout);
	} else if (cmd && strcmp(what, "operands") == 0) {
		printf("%s\n", operand_names[cmd->operands]);
	} else if (argc == 3 && (strcmp(what, "options") == 0 || strcmp(what, "operands") == 0)) {
		/* Not a command: nothing to say, the shell asks whatever is typed. */
		return EXIT_USAGE;
	} else {
		cli_error("usage: cleak __complete commands | options [<command>] | "
			  "operands <command>");
		return EXIT_USAGE;
	}
	fflush(stdout);
	return ferror(stdout) ? EXIT_NOTHING : 0;
}
