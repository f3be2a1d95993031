// SPDX-License-Identifier: MIT
/* cleak ps: the processes on this machine; Go ones with release and goroutines. */
#include "cli.h"

#include <ctype.h>
#include <json-c/json.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OPT_GO, OPT_JSON, OPT_HELP };

static const struct cli_option ps_options[] = {
	[OPT_GO] = { "go", 'g', NULL, "list only Go programs" },
	[OPT_JSON] = CLI_OPT_JSON("print one JSON array (see cleak-ps(1))"),
	[OPT_HELP] = CLI_OPT_HELP,
	{ 0 },
};

struct proc_row {
	pid_t pid, ppid;
	long threads;
	char name[64];
	char exe[4096];		/* "" when not readable */
	bool exe_readable;
	struct cleak_go_info go;
	const char *go_error;	/* why goroutines were not counted */
};

/* Name, parent and thread count from /proc/PID/status. */
static bool read_status(struct proc_row *r)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", r->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Name:\t%63[^\n]", r->name) == 1)
			continue;
		if (sscanf(line, "PPid:\t%d", &r->ppid) == 1)
			continue;
		sscanf(line, "Threads:\t%ld", &r->threads);
	}
	fclose(f);
	return r->threads > 0;	/* 0: a zombie, or gone */
}

static bool kernel_thread(pid_t pid)
{
	char path[64];
	ssize_t n;
	char c;
	FILE *f;

	/* A kernel thread has an empty cmdline (and no exe). */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	n = (ssize_t)fread(&c, 1, 1, f);
	fclose(f);
	return n <= 0;
}

static void probe(struct proc_row *r)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", r->pid);
	n = readlink(path, r->exe, sizeof(r->exe) - 1);
	r->exe_readable = n > 0;
	r->exe[n > 0 ? n : 0] = '\0';
	if (!r->exe_readable)
		return;
	if (cleak_go_probe(r->pid, &r->go) && r->go.is_go)
		r->go_error = cleak_errmsg();
}

static json_object *json_row(const struct proc_row *r)
{
	json_object *o = json_object_new_object(), *go = NULL;

	json_object_object_add(o, "pid", json_object_new_int(r->pid));
	json_object_object_add(o, "ppid", json_object_new_int(r->ppid));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "threads", json_object_new_int64(r->threads));
	json_object_object_add(o, "exe", r->exe_readable ? json_object_new_string(r->exe) : NULL);
	if (r->exe_readable && !r->go.is_go) {
		go = json_object_new_boolean(false);
	} else if (r->go.is_go) {
		go = json_object_new_object();
		json_object_object_add(go, "version", json_object_new_string(r->go.version));
		json_object_object_add(go, "goroutines", r->go.goroutines >= 0
				       ? json_object_new_int64(r->go.goroutines) : NULL);
		json_object_object_add(go, "error", r->go_error
				       ? json_object_new_string(r->go_error) : NULL);
	}
	json_object_object_add(o, "go", go);
	return o;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

static int run_ps(int argc, char **argv)
{
	bool only_go = false, json = false, unreadable = false;
	json_object *rows = NULL;
	const char *arg;
	pid_t *pids = NULL, *np;
	size_t npids = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int opt;

	optind = 1;
	while ((opt = cli_getopt(&cmd_ps, argc, argv, &arg)) != -1) {
		switch (opt) {
		case -2: return EXIT_USAGE;
		case OPT_GO: only_go = true; break;
		case OPT_JSON: json = true; break;
		case OPT_HELP:
			cli_print_help(&cmd_ps, stdout);
			exit(0);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cmd_ps, "takes no arguments (got '%s')", argv[optind]);
	d = opendir("/proc");
	if (!d) {
		cli_error("cannot list /proc: %s (is procfs mounted?)", strerror(errno));
		return EXIT_NOTHING;
	}
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (npids == cap) {
			cap = cap ? cap * 2 : 256;
			np = realloc(pids, cap * sizeof(*np));
			if (!np) {
				closedir(d);
				free(pids);
				return EXIT_NOTHING;
			}
			pids = np;
		}
		pids[npids++] = (pid_t)atoi(de->d_name);
	}
	closedir(d);
	qsort(pids, npids, sizeof(*pids), cmp_pid);
	if (json)
		rows = json_object_new_array();
	else
		printf("%7s %7s %7s %10s  %-10s %-16s %s\n", "PID", "PPID", "THREADS",
		       "GOROUTINES", "GO", "NAME", "PATH");
	for (i = 0; i < npids; i++) {
		struct proc_row r = { .pid = pids[i] };

		if (r.pid == getpid() || kernel_thread(r.pid) || !read_status(&r))
			continue;
		probe(&r);
		unreadable |= !r.exe_readable;
		if (only_go && !r.go.is_go)
			continue;
		if (json) {
			json_object_array_add(rows, json_row(&r));
			continue;
		}
		printf("%7d %7d %7ld ", r.pid, r.ppid, r.threads);
		if (r.go.is_go && r.go.goroutines >= 0)
			printf("%10ld", r.go.goroutines);
		else
			printf("%10s", r.go.is_go || !r.exe_readable ? "?" : "-");
		printf("  %-10s %-16s %s\n", r.go.is_go ? r.go.version : r.exe_readable ? "-" : "?",
		       r.name, r.exe_readable ? r.exe : "(not allowed to look)");
		/* a Go program whose goroutines were not counted: say why
		 * (an unknown release is no permission problem) */
		if (r.go.is_go && r.go.goroutines < 0)
			fprintf(stderr, "cleak ps: %d (%s): goroutines not counted: %s\n", r.pid,
				r.name, r.go_error ? r.go_error : "unknown reason");
	}
	if (json) {
		puts(json_object_to_json_string_ext(rows, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(rows);
	} else if (unreadable)
		fprintf(stderr, "cleak ps: some processes could not be looked into (\"?\"): "
			"run as their user or as root\n");
	free(pids);
	fflush(stdout);
	return ferror(stdout) ? EXIT_NOTHING : EXIT_ALL_SHOWN;
}

const struct cli_command cmd_ps = {
	.name = "ps",
	.args = "",
	.operands = CLI_OPERANDS_NONE,
	.summary = "List the processes on this machine, with Go release and goroutines.\n"
		   "Shows each process's thread count and, for Go programs, the Go release\n"
		   "and the number of goroutines, read without stopping them.",
	.exits = "0 listed, 2 /proc cannot be read, 64 usage error.",
	.options = ps_options,
	.run = run_ps,
};
