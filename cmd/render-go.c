// SPDX-License-Identifier: MIT
/*
 * The goroutines of a Go program, in two text forms: grouped (the
 * default, like pprof's debug=1: biggest pile first), and the runtime's
 * own traceback layout (--format go, as runtime.Stack(all) and pprof's
 * debug=2 print it, so that panicparse and editors read it).  The JSON
 * twin is cleak_snapshot_write_json().
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MINUTE 60000000000LL
/* traceback.go: tracebackInnerFrames, tracebackOuterFrames */
#define INNER_FRAMES 50
#define OUTER_FRAMES 50
#define OLD_TRACEBACK_MAX 100	/* Go 1.20's _TracebackMaxFrames */
#define MEMBERS_SHOWN 24

static bool user_goroutine(const struct cleak_goroutine *g)
{
	return !g->system;
}

const char *render_go_layout_note(const struct cleak_go *go, char *buf, size_t size)
{
	int minor = 0;

	if (!go || go->layout == CLEAK_GO_LAYOUT_BUILTIN || go->error)
		return NULL;
	if (go->version)
		sscanf(go->version, "go1.%d", &minor);
	snprintf(buf, size, "Go 1.%d is newer than this cleak: %s; frames are shown, and waits "
		 "judged, by Go 1.%d's rules", minor,
		 go->layout == CLEAK_GO_LAYOUT_DWARF
		 ? "its runtime's layout was read from the binary's DWARF"
		 : "the binary has no DWARF, so it was read with the newest layout cleak knows, "
		   "which passed every check (cleak-stack(1), Go releases)",
		 go->rules_minor);
	return buf;
}

void render_go_summary(const struct cleak_snapshot *snap, FILE *f)
{
	char note[512];
	const struct cleak_go *go = snap->go;

	if (!go)
		return;
	fprintf(f, "Go %s", go->version ? go->version : "(unknown release)");
	if (go->module)
		fprintf(f, ", module %s", go->module);
	if (go->error) {
		fprintf(f, ": goroutines not shown: %s\n", go->error);
		return;
	}
	fprintf(f, ": %zu goroutine%s (+%zu of the runtime)", go->ngoroutines - go->nsystem,
		go->ngoroutines - go->nsystem == 1 ? "" : "s", go->nsystem);
	if (go->nonblocking)
		fprintf(f, ", read without stopping it; %zu moved while read and %s left out",
			go->nskipped, go->nskipped == 1 ? "was" : "were");
	fputc('\n', f);
	if (render_go_layout_note(go, note, sizeof(note)))
		fprintf(f, "(%s)\n", note);
}

void render_frame_line(const struct cleak_frame *fr, size_t idx, FILE *f)
{
	fprintf(f, "  #%-3zu %s", idx, fr->function ? fr->function : "??");
	if (fr->inlined)
		fputs(" (inlined)", f);
	if (fr->file)
		fprintf(f, " at %s:%d", fr->file, fr->line);
	else if (fr->module)
		fprintf(f, " [%s]", strrchr(fr->module, '/') ? strrchr(fr->module, '/') + 1
							      : fr->module);
	if (fr->func_offset)
		fprintf(f, " +0x%" PRIx64, fr->func_offset);
	fputc('\n', f);
}

/* "created by F in goroutine 4", or "in 3 goroutines (4, 7, 13)" when the
 * members share the go statement but not the parent. */
static void print_creator(const struct cleak_snapshot *snap, const struct cleak_group *gr,
			  FILE *f)
{
	const struct cleak_goroutine *g = &snap->go->goroutines[gr->members[0]];
	const struct cleak_frame *c = &g->created_by;
	size_t i, k, nparents = 0;
	uint64_t parents[4];

	if (!c->function)
		return;
	fprintf(f, "  created by %s", c->function);
	for (i = 0; i < gr->nmembers; i++) {
		uint64_t p = snap->go->goroutines[gr->members[i]].parent_goid;

		for (k = 0; k < nparents && k < 4 && parents[k] != p; k++)
			;
		if (k == nparents && nparents++ < 4)
			parents[k] = p;
		if (nparents > 4)
			break;
	}
	if (nparents == 1 && g->parent_goid)
		fprintf(f, " in goroutine %" PRIu64, g->parent_goid);
	else if (nparents > 1 && nparents <= 4) {
		fprintf(f, " in goroutines ");
		for (k = 0; k < nparents; k++)
			fprintf(f, "%s%" PRIu64, k ? ", " : "", parents[k]);
	} else if (nparents > 4)
		fputs(" in several goroutines", f);
	if (c->file)
		fprintf(f, " at %s:%d", c->file, c->line);
	fputc('\n', f);
}

void render_id_ranges(const uint64_t *ids, size_t n, bool all, const char *more, FILE *f)
{
	size_t i = 0, j, shown = 0;

	while (i < n) {
		for (j = i + 1; j < n && ids[j] == ids[j - 1] + 1; j++)
			;
		if (shown++)
			fputs(", ", f);
		if (!all && shown > MEMBERS_SHOWN) {
			fprintf(f, "... (%s)", more);
			return;
		}
		if (j - i > 1)
			fprintf(f, "%" PRIu64 "-%" PRIu64, ids[i], ids[j - 1]);
		else
			fprintf(f, "%" PRIu64, ids[i]);
		i = j;
	}
}

static void print_goids(const struct cleak_snapshot *snap, const struct cleak_group *gr, bool all,
			FILE *f)
{
	uint64_t *ids = calloc(gr->nmembers + 1, sizeof(*ids));
	size_t i;

	if (!ids)
		return;
	for (i = 0; i < gr->nmembers; i++)
		ids[i] = snap->go->goroutines[gr->members[i]].goid;
	render_id_ranges(ids, gr->nmembers, all, "-a lists all", f);
	free(ids);
}

/* "[chan send, 3-12 minutes, locked to thread]" for a whole group. */
static void print_group_state(const struct cleak_snapshot *snap, const struct cleak_group *gr,
			      FILE *f)
{
	const struct cleak_goroutine *g0 = &snap->go->goroutines[gr->members[0]];
	int64_t lo = -1, hi = -1;
	size_t i, locked = 0;
	char header[256];
	char *comma;

	for (i = 0; i < gr->nmembers; i++) {
		const struct cleak_goroutine *g = &snap->go->goroutines[gr->members[i]];
		int64_t m = g->wait_ns >= 0 ? g->wait_ns / NS_PER_MINUTE : -1;

		if (m >= 1 && (lo < 0 || m < lo))
			lo = m;
		if (m > hi)
			hi = m;
		locked += g->locked;
	}
	cleak_goroutine_header(g0, header, sizeof(header));
	/* the reason alone; minutes and locking are the group's */
	comma = strstr(header, ", ");
	if (comma)
		*comma = '\0';
	fprintf(f, "[%s", header);
	if (hi >= 1)
		fprintf(f, lo == hi ? ", %" PRId64 " minutes" : ", %" PRId64 "-%" PRId64 " minutes",
			lo, hi);
	if (locked == gr->nmembers)
		fputs(", locked to thread", f);
	else if (locked)
		fprintf(f, ", %zu locked to threads", locked);
	fputc(']', f);
}

void render_chan(const struct cleak_go_chan *c, FILE *f)
{
	fprintf(f, "chan %s 0x%" PRIx64 " (", c->elem_type ? c->elem_type : "?", c->address);
	if (c->cap)
		fprintf(f, "%" PRIu64 "/%" PRIu64 " buffered", c->len, c->cap);
	else
		fputs("unbuffered", f);
	if (c->closed)
		fputs(", closed", f);
	fprintf(f, "; %u sending, %u receiving, %u in select)", c->senders, c->receivers,
		c->selecting);
}

/* What the group waits on: its channel(s), and whether it can ever wake. */
static void print_group_wait(const struct cleak_snapshot *snap, const struct cleak_group *gr,
			     FILE *f)
{
	const struct cleak_goroutine *g0 = &snap->go->goroutines[gr->members[0]];
	size_t i, k;
	bool same = g0->nchans > 0;

	if (g0->leaked)
		fprintf(f, "  leaked: %s can never wake up: %s\n", gr->nmembers == 1 ? "it" : "they",
			cleak_goroutine_leak_cause(g0));
	for (i = 1; same && i < gr->nmembers; i++) {
		const struct cleak_goroutine *g = &snap->go->goroutines[gr->members[i]];

		if (g->nchans != g0->nchans)
			same = false;
		for (k = 0; same && k < g->nchans; k++)
			same = g->chans[k] == g0->chans[k];
	}
	if (same) {
		for (k = 0; k < g0->nchans; k++) {
			fputs(k ? "  or " : "  on ", f);
			render_chan(g0->chans[k], f);
			fputc('\n', f);
		}
	} else if (g0->nchans) {
		fprintf(f, "  on %s channels, one each (chan %s)\n",
			gr->nmembers == 2 ? "two" : "different",
			g0->chans[0]->elem_type ? g0->chans[0]->elem_type : "?");
	}
	for (i = 0; i < gr->nmembers && i < MEMBERS_SHOWN; i++) {
		const struct cleak_goroutine *g = &snap->go->goroutines[gr->members[i]];
		const struct cleak_thread *t = cleak_snapshot_thread(snap, g->tid);

		if (!g->tid)
			continue;
		fprintf(f, "  goroutine %" PRIu64 " runs on thread %d", g->goid, g->tid);
		if (t && cleak_syscall_name(t->syscall_nr))
			fprintf(f, ", in %s()", cleak_syscall_name(t->syscall_nr));
		fputc('\n', f);
	}
}

static void print_group(const struct cleak_snapshot *snap, const struct cleak_group *gr,
			bool all, FILE *f)
{
	const struct cleak_goroutine *g = &snap->go->goroutines[gr->members[0]];
	size_t i, n = 0;

	fprintf(f, "\n%zu goroutine%s ", gr->nmembers, gr->nmembers == 1 ? "" : "s");
	print_group_state(snap, gr, f);
	fputs(": ", f);
	print_goids(snap, gr, all, f);
	fputc('\n', f);
	print_group_wait(snap, gr, f);
	for (i = 0; i < g->nnative; i++)
		render_frame_line(&g->native_frames[i], n++, f);
	if (g->stack_unavailable)
		fputs("  (running, not stopped: no stack)\n", f);
	for (i = 0; i < g->nframes; i++)
		render_frame_line(&g->frames[i], n++, f);
	if (g->error)
		fprintf(f, "  ! %s\n", g->error);
	print_creator(snap, gr, f);
}

void render_go_text(const struct cleak_snapshot *snap, const struct render_opts *o, FILE *f)
{
	struct cleak_group *groups = NULL, one;
	size_t ngroups = 0, i;

	if (!snap->go || snap->go->error)
		return;
	if (o->all) {
		for (i = 0; i < snap->go->ngoroutines; i++) {
			if (!user_goroutine(&snap->go->goroutines[i]))
				continue;
			one.members = &i;
			one.nmembers = 1;
			print_group(snap, &one, true, f);
		}
		return;
	}
	if (cleak_snapshot_group_goroutines(snap, &groups, &ngroups)) {
		fprintf(f, "(cannot group goroutines: %s)\n", cleak_errmsg());
		return;
	}
	for (i = 0; i < ngroups; i++)
		if (user_goroutine(&snap->go->goroutines[groups[i].members[0]]))
			print_group(snap, &groups[i], false, f);
	cleak_groups_free(groups, ngroups);
}

/* ---- the runtime's layout (traceback.go traceback2, printcreatedby) ---- */

static void print_go_frame(const struct cleak_frame *fr, FILE *f)
{
	/* Argument values are not read: "(...)", as the runtime prints
	 * them for inlined calls. */
	fprintf(f, "%s(...)\n\t%s:%d", fr->function ? fr->function : "?",
		fr->file ? fr->file : "?", fr->line);
	if (!fr->inlined && fr->func_offset)
		fprintf(f, " +0x%" PRIx64, fr->func_offset);
	fputc('\n', f);
}

/* The frames traceback1 prints, with its cuts. */
static void print_go_frames(const struct cleak_goroutine *g, FILE *f)
{
	size_t k;

	/* Go 1.20 and older: the frames of the first 100 physical ones,
	 * and a note when that printed exactly 100 */
	if (g->old_traceback_nframes) {
		for (k = 0; k < g->old_traceback_nframes && k < g->nframes; k++)
			print_go_frame(&g->frames[k], f);
		if (g->old_traceback_nframes == OLD_TRACEBACK_MAX)
			fputs("...additional frames elided...\n", f);
		return;
	}
	/* the first 50 frames and the last 50 */
	for (k = 0; k < g->nframes; k++) {
		if (g->nframes > INNER_FRAMES + OUTER_FRAMES && k == INNER_FRAMES) {
			fprintf(f, "...%zu frames elided...\n",
				g->nframes - INNER_FRAMES - OUTER_FRAMES);
			k = g->nframes - OUTER_FRAMES;
		}
		print_go_frame(&g->frames[k], f);
	}
}

void render_go_traceback(const struct cleak_snapshot *snap, FILE *f)
{
	const struct cleak_go *go = snap->go;
	size_t i;
	bool first = true;

	if (!go || go->error)
		return;
	for (i = 0; i < go->ngoroutines; i++) {
		const struct cleak_goroutine *g = &go->goroutines[i];
		char header[256];

		if (!user_goroutine(g))
			continue;
		cleak_goroutine_header(g, header, sizeof(header));
		fprintf(f, "%sgoroutine %" PRIu64 " [%s]:\n", first ? "" : "\n", g->goid, header);
		first = false;
		if (g->stack_unavailable)
			fputs("\tgoroutine running on other thread; stack unavailable\n", f);
		print_go_frames(g, f);
		if (g->created_by.function) {
			fprintf(f, "created by %s", g->created_by.function);
			if (g->parent_goid)
				fprintf(f, " in goroutine %" PRIu64, g->parent_goid);
			fprintf(f, "\n\t%s:%d", g->created_by.file ? g->created_by.file : "?",
				g->created_by.line);
			if (g->created_by.func_offset)
				fprintf(f, " +0x%" PRIx64, g->created_by.func_offset);
			fputc('\n', f);
		}
	}
}
