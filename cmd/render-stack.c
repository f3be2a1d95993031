// SPDX-License-Identifier: MIT
/* The text form of a snapshot; its JSON twin is cleak_snapshot_write_json(). */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *state_word(char state)
{
	switch (state) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "uninterruptible (disk)";
	case 'T': return "stopped";
	case 't': return "stopped by a tracer";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'I': return "idle";
	default: return "unknown";
	}
}

const char *render_base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

static void print_duration(FILE *f, uint64_t us)
{
	if (us < 1000)
		fprintf(f, "%" PRIu64 " us", us);
	else if (us < 10000000)
		fprintf(f, "%.1f ms", (double)us / 1000.0);
	else
		fprintf(f, "%.1f s", (double)us / 1000000.0);
}

static void print_header(const struct cleak_snapshot *snap, FILE *f)
{
	const struct cleak_capture_info *c = &snap->capture;

	fprintf(f, "pid %d (%s) %s%s\n", snap->pid, snap->comm, snap->exe ? snap->exe : "?",
		snap->exe_deleted ? " (deleted)" : "");
	fprintf(f, "%zu thread%s, captured in ", snap->nthreads, snap->nthreads == 1 ? "" : "s");
	print_duration(f, c->wall_us);
	if (c->freeze && c->threads_unstopped) {
		fprintf(f, "; %u thread%s frozen for ", c->threads_stopped,
			c->threads_stopped == 1 ? "" : "s");
		print_duration(f, c->pause_us);
		fprintf(f, ", %u asleep in a call the whole time read without a stop",
			c->threads_unstopped);
	} else if (c->freeze) {
		fprintf(f, "; all threads frozen for ");
		print_duration(f, c->pause_us);
	} else if (c->threads_stopped) {
		fprintf(f, "; %u thread%s stopped (longest ", c->threads_stopped,
			c->threads_stopped == 1 ? "" : "s");
		print_duration(f, c->max_thread_pause_us);
		fprintf(f, "), %u read while blocked without a stop", c->threads_unstopped);
	} else {
		fprintf(f, "; no thread stopped, %u read while blocked without a stop",
			c->threads_unstopped);
	}
	if (c->threads_vanished)
		fprintf(f, "; %u exited meanwhile", c->threads_vanished);
	fputs("\n", f);
	render_go_summary(snap, f);
}

/* "[S sleeping, in futex(), wchan futex_do_wait]" */
static void print_state(const struct cleak_thread *t, FILE *f)
{
	const char *sc = cleak_syscall_name(t->syscall_nr);

	fprintf(f, " [%c %s", t->state ? t->state : '?', state_word(t->state));
	if (t->was_stopped && t->state != 'T')
		fputs(", job-control stopped", f);
	if (sc)
		fprintf(f, ", in %s()", sc);
	else if (t->syscall_nr >= 0)
		fprintf(f, ", in syscall %ld", t->syscall_nr);
	if (t->wchan[0])
		fprintf(f, ", wchan %s", t->wchan);
	fputc(']', f);
}

/* Members as tid ranges with their names: "4245-4247 worker, 4250 io".
 * cleak_snapshot_group() lists them in ascending tid order. */
static void print_members(const struct cleak_snapshot *snap, const struct cleak_group *g,
			  FILE *f)
{
	const size_t *idx = g->members;
	size_t i = 0, j, shown = 0;

	while (i < g->nmembers) {
		const struct cleak_thread *first = &snap->threads[idx[i]];

		/* A run of consecutive tids with one name. */
		for (j = i + 1; j < g->nmembers; j++) {
			const struct cleak_thread *t = &snap->threads[idx[j]];

			if (t->tid != snap->threads[idx[j - 1]].tid + 1 ||
			    strcmp(t->name, first->name) != 0)
				break;
		}
		if (shown++)
			fputs(", ", f);
		if (shown > 12) {
			fprintf(f, "... (-a lists all)");
			break;
		}
		if (j - i > 1)
			fprintf(f, "%d-%d %s", first->tid, snap->threads[idx[j - 1]].tid,
				first->name);
		else
			fprintf(f, "%d %s", first->tid, first->name);
		i = j;
	}
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether a group's members wait on the same descriptor or futex word
 * (groups do not split on them: a hundred connection readers, or workers
 * with a condvar each, stay one group). */
static bool same_descriptor(const struct cleak_snapshot *snap, const struct cleak_group *g)
{
	const struct cleak_wait *w0 = &snap->threads[g->members[0]].wait;
	size_t i;

	for (i = 1; i < g->nmembers; i++) {
		const struct cleak_wait *w = &snap->threads[g->members[i]].wait;

		if (w->fd != w0->fd || !str_same(w->resource, w0->resource) ||
		    w->nwatched != w0->nwatched || w->address != w0->address)
			return false;
	}
	return true;
}

/* "    4501 conn: fd 7: tcp 10.0.0.1:80 -> 10.0.0.9:3333 ESTABLISHED" */
static void print_member_descriptors(const struct cleak_snapshot *snap,
				     const struct cleak_group *g, FILE *f)
{
	size_t i;

	for (i = 0; i < g->nmembers; i++) {
		const struct cleak_thread *t = &snap->threads[g->members[i]];

		if (i == 12) {
			fprintf(f, "    ... %zu more (-a lists all)\n", g->nmembers - i);
			break;
		}
		fprintf(f, "    %d %s: ", t->tid, t->name);
		render_wait_phrase(snap, t, true, f);
		fputc('\n', f);
	}
}

void render_frames(const struct cleak_thread *t, FILE *f)
{
	size_t i;

	for (i = 0; i < t->nframes; i++) {
		const struct cleak_frame *fr = &t->frames[i];

		fprintf(f, "  #%-3zu 0x%016" PRIx64 " %s", i, fr->pc,
			fr->function ? fr->function : "??");
		if (fr->inlined)
			fputs(" (inlined)", f);
		if (fr->file) {
			fprintf(f, " at %s", fr->file);
			if (fr->line)
				fprintf(f, ":%d", fr->line);
		}
		/* The module belongs to the physical frame, not its inlines. */
		if (fr->module && fr->module[0] == '[' && !fr->inlined)
			fprintf(f, " %s", fr->module);	/* [vdso] */
		else if (fr->module && !fr->inlined)
			fprintf(f, " [%s]", render_base_name(fr->module));
		else if (!fr->module)
			fputs(" [?]", f);
		fputc('\n', f);
	}
	for (i = 0; i < t->nframes && !t->frames[i].inferred; i++)
		;
	if (i < t->nframes)
		fprintf(f, "  ~ frames #%zu and up were found through a frame pointer searched "
			"for on the stack, not read: the thread was not stopped\n", i);
	if (t->error)
		fprintf(f, "  ! %s\n", t->error);
}

void render_stack_text(const struct cleak_snapshot *snap, const struct render_opts *o,
		       FILE *f)
{
	struct cleak_group *groups = NULL;
	size_t ngroups = 0, i;

	print_header(snap, f);
	render_go_text(snap, o, f);
	if (snap->go && !snap->go->error)
		fprintf(f, "\nthreads:\n");
	if (o->all) {
		for (i = 0; i < snap->nthreads; i++) {
			const struct cleak_thread *t = &snap->threads[i];

			fprintf(f, "\nthread %d %s ", t->tid, t->name);
			render_wait_phrase(snap, t, true, f);
			print_state(t, f);
			fputc('\n', f);
			render_frames(t, f);
		}
		render_deadlocks_text(snap, f);
		return;
	}
	if (cleak_snapshot_group(snap, &groups, &ngroups)) {
		fprintf(f, "(cannot group threads: %s)\n", cleak_errmsg());
		return;
	}
	for (i = 0; i < ngroups; i++) {
		const struct cleak_thread *t = &snap->threads[groups[i].members[0]];
		bool same_fd = same_descriptor(snap, &groups[i]);

		fprintf(f, "\n%zu thread%s ", groups[i].nmembers, groups[i].nmembers == 1 ? "" : "s");
		render_wait_phrase(snap, t, same_fd, f);
		print_state(t, f);
		fputs(": ", f);
		print_members(snap, &groups[i], f);
		fputc('\n', f);
		if (!same_fd)
			print_member_descriptors(snap, &groups[i], f);
		render_frames(t, f);
	}
	cleak_groups_free(groups, ngroups);
	render_deadlocks_text(snap, f);
}
