// SPDX-License-Identifier: MIT
/* The text of cleak diff and cleak check (their JSON twins are in
 * lib/diff_json.c, over the same diff). */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define GROWTH_ROWS 20
#define FRAMES_SHOWN 8

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The frame that says where a group is: the first outside the runtime
 * and the standard library's plumbing, else the first with a line. */
static const struct cleak_frame *where_frame(const struct cleak_diff_group *dg)
{
	size_t i;

	for (i = 0; i < dg->nframes; i++) {
		const char *fn = dg->frames[i].function;

		if (dg->frames[i].file && fn && !starts_with(fn, "runtime.") &&
		    !starts_with(fn, "internal/") && !starts_with(fn, "sync.") &&
		    !starts_with(fn, "__"))
			return &dg->frames[i];
	}
	for (i = 0; i < dg->nframes; i++)
		if (dg->frames[i].file)
			return &dg->frames[i];
	return dg->nframes ? &dg->frames[0] : NULL;
}

static void print_where(const struct cleak_diff_group *dg, FILE *f)
{
	const struct cleak_frame *fr = where_frame(dg);

	if (!fr) {
		fputs("(no stack)", f);
		return;
	}
	fputs(fr->function ? fr->function : "??", f);
	if (fr->file)
		fprintf(f, " (%s:%d)", render_base_name(fr->file), fr->line);
}

static const char *noun(const struct cleak_diff_group *dg, size_t n)
{
	if (dg->goroutine)
		return n == 1 ? "goroutine" : "goroutines";
	return n == 1 ? "thread" : "threads";
}

/* The ids of a group's members in the last snapshot. */
static void print_members(const struct cleak_diff *d, const struct cleak_diff_group *dg,
			  bool all, const char *more, FILE *f)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	uint64_t *ids = calloc(dg->nmembers + 1, sizeof(*ids));
	size_t i;

	if (!ids)
		return;
	for (i = 0; i < dg->nmembers; i++)
		ids[i] = dg->goroutine ? last->go->goroutines[dg->members[i]].goid
				       : (uint64_t)last->threads[dg->members[i]].tid;
	render_id_ranges(ids, dg->nmembers, all, more, f);
	free(ids);
}

/* "[chan send] 200 goroutines: 34-233" then its frames and creator. */
static void print_group(const struct cleak_diff *d, const struct cleak_diff_group *dg,
			const char *indent, bool all, const char *more, FILE *f)
{
	size_t i, shown = all ? dg->nframes : FRAMES_SHOWN;

	fprintf(f, "%s[%s] %zu %s", indent, dg->wait ? dg->wait : dg->status, dg->nmembers,
		noun(dg, dg->nmembers));
	if (dg->nmembers) {
		fputs(": ", f);
		print_members(d, dg, all, more, f);
	}
	fputc('\n', f);
	if (dg->pile_chan && dg->pile > 1) {
		fprintf(f, "%s%zu stuck on ", indent, dg->pile);
		render_chan(dg->pile_chan, f);
		fputc('\n', f);
	}
	for (i = 0; i < dg->nframes && i < shown; i++) {
		fputs(indent, f);
		render_frame_line(&dg->frames[i], i, f);
	}
	if (dg->nframes > shown)
		fprintf(f, "%s  ... %zu more frames (%s)\n", indent, dg->nframes - shown, more);
	if (dg->created_by) {
		fprintf(f, "%s  created by %s", indent, dg->created_by->function);
		if (dg->created_by->file)
			fprintf(f, " at %s:%d", dg->created_by->file, dg->created_by->line);
		fputc('\n', f);
	}
}

static void print_suspects(const struct cleak_diff *d, bool all, FILE *f)
{
	size_t i;

	if (d->nunconfirmed)
		fprintf(f, "\n%zu group%s grew, blocked, over one interval, which cannot tell a "
			"request in flight from a leak: no verdict; --count 2 or more (or three "
			"saved snapshots) gives one.\n", d->nunconfirmed,
			d->nunconfirmed == 1 ? "" : "s");
	if (!d->nsuspects) {
		fputs("\nNo leak suspects.\n", f);
		return;
	}
	fputs("\nLeak suspects:\n", f);
	for (i = 0; i < d->ngroups && d->groups[i].suspect; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];

		fprintf(f, "  %u. ", dg->rank);
		if (dg->growth > 0 && d->nsnaps > 1)
			fprintf(f, "+%ld %s in %.1f s (%.1f/s), %zu -> %zu: ", dg->growth,
				noun(dg, (size_t)dg->growth), d->seconds, dg->rate_per_s,
				dg->before, dg->after);
		fprintf(f, "%s\n", dg->why);
		print_group(d, dg, "     ", all, "-a lists all", f);
	}
}

/* Grew, or members moved in or out (which is no growth). */
static bool changed(const struct cleak_diff_group *dg)
{
	return dg->growth || dg->moved_in || dg->moved_out;
}

static void print_growth(const struct cleak_diff *d, bool all, FILE *f)
{
	size_t i, rows = 0;

	for (i = 0; i < d->ngroups; i++)
		rows += changed(&d->groups[i]);
	if (!rows)
		return;
	fprintf(f, "\nGrowth by group:\n  %6s %6s %7s %7s  %-16s %s\n", "BEFORE", "AFTER",
		"GROWTH", "RATE/S", "WAIT", "WHERE");
	for (i = 0, rows = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];

		if (!changed(dg))
			continue;
		if (!all && rows++ == GROWTH_ROWS) {
			fputs("  ... (-a lists every group)\n", f);
			break;
		}
		fprintf(f, "  %6zu %6zu %+7ld %7.1f  %-16s ", dg->before, dg->after, dg->growth,
			dg->rate_per_s, dg->wait ? dg->wait : dg->status);
		print_where(dg, f);
		if (dg->unconfirmed)
			fputs("  [one interval: no verdict]", f);
		if (dg->moved_in || dg->moved_out)
			fprintf(f, "  [moved: %zu in, %zu out]", dg->moved_in, dg->moved_out);
		if (dg->idle)
			fprintf(f, "  [%s]", dg->idle);
		fputc('\n', f);
	}
}

static void print_stuck(const struct cleak_diff *d, bool all, FILE *f)
{
	size_t i, g = 0, t = 0, groups = 0, idle = 0;

	for (i = 0; i < d->nstuck; i++) {
		if (d->groups[d->stuck[i].group].idle && !all) {
			idle++;
			continue;
		}
		if (d->stuck[i].goroutine)
			g++;
		else
			t++;
	}
	for (i = 0; i < d->ngroups; i++)
		groups += d->groups[i].stuck && (all || !d->groups[i].idle);
	if (!g && !t)
		return;
	fprintf(f, "\nStuck in all %zu snapshots: %zu goroutine%s, %zu thread%s, in %zu "
		"group%s", d->nsnaps, g, g == 1 ? "" : "s", t, t == 1 ? "" : "s", groups,
		groups == 1 ? "" : "s");
	if (idle)
		fprintf(f, " (and %zu idle by design; -a lists them)", idle);
	fputs(":\n", f);
	for (i = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];

		if (!dg->stuck || (dg->idle && !all))
			continue;
		fprintf(f, "  %zu of %zu %s [%s] ", dg->stuck, dg->nmembers, noun(dg, dg->nmembers),
			dg->wait ? dg->wait : dg->status);
		print_where(dg, f);
		if (dg->unconfirmed)
			fputs("  [one interval: no verdict]", f);
		if (dg->moved_in || dg->moved_out)
			fprintf(f, "  [moved: %zu in, %zu out]", dg->moved_in, dg->moved_out);
		if (dg->idle)
			fprintf(f, "  [%s]", dg->idle);
		fputc('\n', f);
	}
}

/* "Idle by design: 6 goroutines (accept loop 1, keep-alive connection 3)" */
static void print_idle(const struct cleak_diff *d, bool all, FILE *f)
{
	const char *reasons[16];
	size_t counts[16], nreasons = 0, total = 0, i, k;

	for (i = 0; i < d->ngroups; i++) {
		const struct cleak_diff_group *dg = &d->groups[i];

		if (!dg->idle || !dg->nmembers)
			continue;
		for (k = 0; k < nreasons && strcmp(reasons[k], dg->idle) != 0; k++)
			;
		if (k == nreasons && nreasons < 16) {
			reasons[nreasons] = dg->idle;
			counts[nreasons++] = 0;
		}
		if (k < nreasons)
			counts[k] += dg->nmembers;
		total += dg->nmembers;
	}
	if (!total)
		return;
	fprintf(f, "\nIdle by design, not suspects: %zu (", total);
	for (k = 0; k < nreasons; k++)
		fprintf(f, "%s%s %zu", k ? ", " : "", reasons[k], counts[k]);
	fputs(")\n", f);
	for (i = 0; all && i < d->ngroups; i++)
		if (d->groups[i].idle && d->groups[i].nmembers)
			print_group(d, &d->groups[i], "  ", all, "-a lists all", f);
}

void render_diff_text(const struct cleak_diff *d, bool all, FILE *f)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];

	fprintf(f, "cleak diff: pid %d (%s), %zu snapshots over %.1f s\n", last->pid, last->comm,
		d->nsnaps, d->seconds);
	if (last->go)
		fprintf(f, "goroutines: %zu -> %zu (%+ld, %.1f/s), %zu appeared, %zu ended; ",
			d->goroutines_before, d->goroutines_after,
			(long)d->goroutines_after - (long)d->goroutines_before,
			d->seconds > 0 ? ((double)d->goroutines_after - (double)d->goroutines_before) /
			d->seconds : 0.0, d->nappeared_goids, d->nended_goids);
	fprintf(f, "threads: %zu -> %zu", d->threads_before, d->threads_after);
	if (d->nappeared_tids || d->nended_tids)
		fprintf(f, ", %zu appeared, %zu ended", d->nappeared_tids, d->nended_tids);
	if (d->ignored)
		fprintf(f, "; %zu ignored by rules", d->ignored);
	fputc('\n', f);
	print_suspects(d, all, f);
	print_growth(d, all, f);
	print_stuck(d, all, f);
	print_idle(d, all, f);
}

void render_check_text(const struct cleak_check *c, const struct cleak_diff *d, FILE *f)
{
	const struct cleak_snapshot *last = d->snaps[d->nsnaps - 1];
	size_t i, k;

	fprintf(f, "cleak check: pid %d (%s): ", last->pid, last->comm);
	if (c->nproblems)
		fprintf(f, "%zu problem%s", c->nproblems, c->nproblems == 1 ? "" : "s");
	else
		fputs("healthy", f);
	fputs(" (", f);
	if (last->go)
		fprintf(f, "%zu goroutine%s, ", d->goroutines_after,
			d->goroutines_after == 1 ? "" : "s");
	fprintf(f, "%zu thread%s", d->threads_after, d->threads_after == 1 ? "" : "s");
	if (d->ignored)
		fprintf(f, ", %zu ignored", d->ignored);
	fputs(")\n", f);
	for (i = 0; i < c->nproblems; i++) {
		const struct cleak_problem *p = &c->problems[i];

		fprintf(f, "  %s: %s\n", cleak_check_kind_name(p->kind), p->message);
		for (k = 0; k < p->ngroups; k++)
			print_group(d, &d->groups[p->groups[k]], "    ", false, "--json lists all", f);
	}
}
