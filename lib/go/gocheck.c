// SPDX-License-Identifier: MIT
/*
 * gocheck.c - reading a Go release newer than cleak's own tables, and the
 * checks that stand between such a reading and the user.
 *
 * A new release moves a few fields (Go 1.27 moved two of moduledata's).
 * When the binary keeps its DWARF (a plain `go build`), the runtime's
 * types say where every field is, as Delve reads them; stripped, there
 * is nothing to read them from, so the newest layout cleak knows is tried
 * and kept only if what it reads holds together: moduledata points where
 * such data lives, allgs starts with main's goroutine 1, every g's
 * stack, status, pcs and thread make sense, every sudog names its
 * goroutine and every channel's element type is of the right size.  A
 * wrong offset reads a pointer as a goid or a pc as a stack bound and
 * fails one of these; a refusal then names the release and the check,
 * and no goroutine is shown.  DWARF layouts go through the same checks.
 * Each check is one the runtime's own code guarantees, with the corners
 * of real programs in mind (tests/fixtures/go/corners: main gone with
 * Goexit, C threads calling into Go, selects over nil channels, types
 * reflect made, goroutines churning while nothing is stopped).
 */
#include "target/target.h"
#include "go/gocapture.h"
#include "go/gowait.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The error for a newer release whose reading failed a check. */
int cleak__go_check_refusal(const struct cleak__gobin *gb, const char *what, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, what);
	vsnprintf(why, sizeof(why), what, ap);
	va_end(ap);
	if (gb->layout_source == CLEAK_GO_LAYOUT_DWARF)
		return cleak__fail(EPROTO, "Go %s is newer than this cleak (it has tables for Go "
				   "1.%d to 1.%d); read with the layout of its DWARF, %s; "
				   "goroutines are not shown", gb->version, CLEAK__GO_OLDEST,
				   CLEAK__GO_NEWEST, why);
	return cleak__fail(EPROTO, "Go %s is newer than this cleak (it has tables for Go 1.%d to "
			   "1.%d) and the binary has no DWARF; read with Go 1.%d's layout, %s; "
			   "goroutines are not shown (a build that keeps DWARF, without "
			   "-ldflags=-w or -s, can be read)", gb->version, CLEAK__GO_OLDEST,
			   CLEAK__GO_NEWEST, CLEAK__GO_NEWEST, why);
}

int cleak__go_choose_layout(struct cleak__gobin *gb, Elf *elf)
{
	const struct cleak__golayout *newest = cleak__golayout_newest();
	int err;

	gb->layout = cleak__golayout_for(gb->minor);
	gb->layout_source = CLEAK_GO_LAYOUT_BUILTIN;
	if (gb->layout)
		return 0;
	if (gb->minor < newest->minor)
		return cleak__fail(ENOTSUP, "Go %s is not known to this cleak (it reads Go 1.%d to "
				   "1.%d, and newer releases through their DWARF); goroutines are "
				   "not shown", gb->version, CLEAK__GO_OLDEST, CLEAK__GO_NEWEST);
	err = cleak__godwarf_read(elf, &gb->dwarf);
	if (err == -ENOENT) {
		gb->own = *newest;
		gb->layout_source = CLEAK_GO_LAYOUT_CHECKED;
	} else if (err) {
		return cleak__fail(-err, "Go %s is newer than this cleak (it has tables for Go 1.%d "
				   "to 1.%d) and its DWARF does not describe a runtime cleak can "
				   "read: %s; goroutines are not shown", gb->version,
				   CLEAK__GO_OLDEST, CLEAK__GO_NEWEST, cleak_errmsg());
	} else {
		gb->own = gb->dwarf.layout;
		gb->layout_source = CLEAK_GO_LAYOUT_DWARF;
	}
	/* What DWARF cannot say (how the traceback prints, what a wait
	 * means) follows the newest release cleak knows. */
	gb->own.minor = gb->minor;
	gb->own.flags = newest->flags;
	gb->own.waitreasons = NULL;
	gb->own.nwaitreasons = 0;
	gb->layout = &gb->own;
	return cleak__golayout_check(gb, gb->layout);
}

/* Every field lies inside its struct, as any layout DWARF gives does. */
int cleak__golayout_check(const struct cleak__gobin *gb, const struct cleak__golayout *L)
{
	const uint32_t g_fields[] = {
		L->g_m, L->g_sched + CLEAK__GOBUF_PC, L->g_syscallsp, L->g_syscallpc,
		L->g_atomicstatus, L->g_goid, L->g_waitsince, L->g_lockedm, L->g_parentgoid,
		L->g_gopc, L->g_startpc, L->g_waiting,
	};
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(g_fields); i++)
		if (g_fields[i] + 8 > L->g_size || L->g_size > 4096)
			return cleak__go_check_refusal(gb, "its runtime.g has a field past its end");
	/* Go 1.21 on record the creator's goroutine, and the rules followed
	 * expect it */
	if (!L->g_parentgoid && !(L->flags & CLEAK__GO_OLD_TRACEBACK))
		return cleak__go_check_refusal(gb, "its runtime.g has no parentGoid");
	if (L->g_waitreason >= L->g_size || L->sudog_size > 1024 ||
	    L->sudog_c + 8 > L->sudog_size || L->sudog_waitlink + 8 > L->sudog_size ||
	    L->hchan_elemtype > 256 || L->m_procid > 4096)
		return cleak__go_check_refusal(gb, "its runtime.sudog, hchan or m has a field "
					       "past its end");
	return 0;
}

/* ---- the wait-reason table ---- */

/*
 * waitReasonStrings by its content: entry 1 has been "GC assist marking"
 * in every release since Go 1.19 and entry 0 is "".  Find the string in
 * the file, then the {ptr, 17} header that points at it in the live
 * process's data (PIE relocates the pointers at load), and read entries
 * from entry 0 on while they look like strings.  Entries past the real
 * end, if the next variable also holds strings, are harmless: the
 * runtime never stores a reason past its table.
 */
#define FIRST_REASON "GC assist marking"
#define MAX_REASONS 128

static const char *find_bytes(const uint8_t *hay, size_t len, const char *needle)
{
	return memmem(hay, len, needle, strlen(needle));
}

/* The runtime address of file offset `off`, 0 when not in a segment. */
static uint64_t runtime_addr_of(const struct cleak__gobin *gb, uint64_t off)
{
	size_t i;

	for (i = 0; i < gb->nsegs; i++)
		if (off >= gb->segs[i].offset && off - gb->segs[i].offset < gb->segs[i].filesz)
			return gb->segs[i].vaddr + (off - gb->segs[i].offset) + gb->bias;
	return 0;
}

static bool looks_like_string(const struct cleak__gobin *gb, uint64_t ptr, uint64_t len)
{
	const uint8_t *s;
	size_t i;

	if (!len || len > 64 || !(s = cleak__gobin_at(gb, ptr - gb->bias, len)))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* Search one writable segment of the process for the table. */
static int search_segment(struct cleak__gobin *gb, pid_t pid, const struct cleak__gobin_seg *seg,
			  const uint64_t *want, size_t nwant)
{
	size_t len = seg->filesz & ~(size_t)7, i, k, n;
	uint64_t *words;

	if (!len || len > (64u << 20) || !(words = malloc(len)))
		return -ENOMEM;
	len = cleak__read_target(pid, seg->vaddr + gb->bias, words, len) & ~(size_t)7;
	for (i = 2; i + 1 < len / 8; i++) {
		for (k = 0; k < nwant && words[i] != want[k]; k++)
			;
		if (k == nwant || words[i + 1] != strlen(FIRST_REASON) || words[i - 1] != 0)
			continue;
		for (n = 1; n < MAX_REASONS && i - 2 + 2 * n + 1 < len / 8; n++)
			if (!looks_like_string(gb, words[i - 2 + 2 * n], words[i - 2 + 2 * n + 1]))
				break;
		free(words);
		if (cleak__gobin_read_strings(gb, pid, seg->vaddr + gb->bias + (i - 2) * 8, n,
					      &gb->waitreasons))
			return -EINVAL;
		gb->nwaitreasons = n;
		return 0;
	}
	free(words);
	return -ENOENT;
}

static int search_waitreasons(struct cleak__gobin *gb, pid_t pid)
{
	uint64_t want[8];
	size_t nwant = 0, i;
	const uint8_t *p = gb->image, *end = gb->image + gb->image_len;
	const char *hit;

	/* the string may be there more than once; the table uses one */
	while (nwant < CLEAK__ARRAY_SIZE(want) && (hit = find_bytes(p, (size_t)(end - p), FIRST_REASON))) {
		uint64_t a = runtime_addr_of(gb, (uint64_t)((const uint8_t *)hit - gb->image));

		if (a)
			want[nwant++] = a;
		p = (const uint8_t *)hit + 1;
	}
	for (i = 0; nwant && i < gb->nsegs; i++)
		if ((gb->segs[i].flags & PF_W) && search_segment(gb, pid, &gb->segs[i], want, nwant) == 0)
			return 0;
	return -ENOENT;
}

static bool reason_at(const struct cleak__gobin *gb, int i, const char *want)
{
	return i >= 0 && (size_t)i < gb->nwaitreasons && strcmp(gb->waitreasons[i], want) == 0;
}

static bool has_reason(const struct cleak__gobin *gb, const char *want)
{
	size_t i;

	for (i = 0; i < gb->nwaitreasons; i++)
		if (strcmp(gb->waitreasons[i], want) == 0)
			return true;
	return false;
}

int cleak__go_find_waitreasons(struct cleak__gobin *gb, pid_t pid)
{
	/* the reasons cleak acts on (gowait.c) that every release has had */
	static const char *const needed[] = {
		"chan receive", "chan send", "select", "select (no cases)",
		"chan receive (nil chan)", "chan send (nil chan)", "sleep", "IO wait",
	};
	const struct cleak__godwarf *dw = &gb->dwarf;
	size_t i;

	if (!gb->waitreasons && gb->layout_source == CLEAK_GO_LAYOUT_DWARF && dw->waitreasons_addr &&
	    cleak__gobin_read_strings(gb, pid, dw->waitreasons_addr + gb->bias, dw->nwaitreasons,
				      &gb->waitreasons) == 0)
		gb->nwaitreasons = dw->nwaitreasons;
	if (!gb->waitreasons && search_waitreasons(gb, pid))
		return cleak__go_check_refusal(gb, "its wait reasons (runtime.waitReasonStrings) "
					       "could not be found");
	for (i = 0; i < CLEAK__ARRAY_SIZE(needed); i++)
		if (!has_reason(gb, needed[i]))
			return cleak__go_check_refusal(gb, "its wait reasons have no \"%s\"", needed[i]);
	/* DWARF also names them: its constants must index the same strings */
	if (gb->layout_source == CLEAK_GO_LAYOUT_DWARF &&
	    ((dw->wr_chan_receive >= 0 && !reason_at(gb, dw->wr_chan_receive, "chan receive")) ||
	     (dw->wr_chan_send >= 0 && !reason_at(gb, dw->wr_chan_send, "chan send")) ||
	     (dw->wr_select >= 0 && !reason_at(gb, dw->wr_select, "select")) ||
	     (dw->wr_select_no_cases >= 0 &&
	      !reason_at(gb, dw->wr_select_no_cases, "select (no cases)")) ||
	     (dw->wr_chan_receive_nil >= 0 &&
	      !reason_at(gb, dw->wr_chan_receive_nil, "chan receive (nil chan)")) ||
	     (dw->wr_chan_send_nil >= 0 && !reason_at(gb, dw->wr_chan_send_nil, "chan send (nil chan)"))))
		return cleak__go_check_refusal(gb, "its waitReason constants do not index its "
					       "waitReasonStrings");
	return 0;
}

/* ---- moduledata ---- */

/* [lo, hi) lies in one segment of the file, with those flags (and maybe others). */
static bool in_segment(const struct cleak__gobin *gb, uint64_t lo, uint64_t hi, uint32_t want,
		       uint32_t unwanted)
{
	const struct cleak__gobin_seg *seg = lo >= gb->bias ? cleak__gobin_seg_of(gb, lo - gb->bias)
							   : NULL;

	return seg && hi >= lo && hi - gb->bias <= seg->vaddr + seg->memsz &&
	       (seg->flags & want) == want && !(seg->flags & unwanted);
}

/*
 * text..etext is code; types..etypes and gofunc are data of the file,
 * outside the code (an external linker may put .rodata in the executable
 * segment, so the segment's flags do not tell): a field read at the
 * wrong offset is another field's pointer (into data, the heap, or the
 * same place twice) and fails one of these.  A release with a table of
 * its own is only held to what every build of it has shown.
 */
int cleak__go_check_moduledata(const struct cleak__gobin *gb)
{
	bool newer = gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN;
	const char *bad = NULL;

	if (!gb->text || gb->etext <= gb->text ||
	    (newer && !in_segment(gb, gb->text, gb->etext, PF_X, PF_W)))
		bad = "text";
	else if (gb->etypes < gb->types ||
		 (newer && (gb->etypes == gb->types || !in_segment(gb, gb->types, gb->etypes, 0, 0) ||
			    (gb->types < gb->etext && gb->etypes > gb->text))))
		bad = "types";
	else if (newer && (!in_segment(gb, gb->gofunc, gb->gofunc, 0, 0) ||
			   (gb->gofunc >= gb->text && gb->gofunc < gb->etext)))
		bad = "gofunc";
	if (!bad)
		return 0;
	if (newer)
		return cleak__go_check_refusal(gb, "its module data's %s field does not point "
					       "where such data lives", bad);
	return cleak__fail(EINVAL, "the runtime's module data is not one cleak can read (text "
			   "%#lx-%#lx)", (unsigned long)gb->text, (unsigned long)gb->etext);
}

/* ---- the goroutines ---- */

/* A thread of the process: in the snapshot, or (one created since the
 * threads were listed, or not selected with --tid) in /proc now. */
static bool is_thread(const struct cleak_snapshot *snap, pid_t tid)
{
	char path[64];

	if (tid <= 0)
		return false;
	if (cleak_snapshot_thread(snap, tid))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", snap->pid, tid);
	return access(path, F_OK) == 0;
}

static bool named(const struct cleak__gobin *gb, uint64_t pc, const char *name)
{
	struct cleak__gofunc f;

	return cleak__gofunc_find(gb, pc, &f) && f.name && strcmp(f.name, name) == 0;
}

/* The first invariant g breaks, or NULL. */
static const char *bad_g(const struct cleak_snapshot *snap, const struct cleak__gobin *gb,
			 const struct graw *g, const struct cleak_goroutine *gr)
{
	uint32_t st = g->status & ~CLEAK__G_SCAN;
	uint64_t size = g->stack_hi - g->stack_lo;
	enum cleak__gowait_kind kind = st == CLEAK__G_WAITING
		? cleak__gowait_kind(cleak__go_wait_reason(gb, g->waitreason)) : CLEAK__GOWAIT_OTHER;
	struct cleak__gofunc f;

	if (g->status & ~(CLEAK__G_SCAN | 0xf) || st >= gb->layout->nstatuses ||
	    st == CLEAK__G_MORIBUND_UNUSED || st == CLEAK__G_ENQUEUE_UNUSED)
		return "a status the runtime does not have";
	/* Stacks come from stackalloc: a power of two of at least 2 KiB
	 * (stack.go); a thread's g for a cgo callback has its own. */
	if (!g->stack_lo || g->stack_hi <= g->stack_lo ||
	    (st != CLEAK__G_SYSCALL && (size < 2048 || (size & (size - 1)))))
		return "a stack that is not one";
	/* the g of a C thread that called into Go (oneNewExtraM) was never
	 * started by a go statement: no start or creator pc, locked to its
	 * thread */
	if (!(g->startpc == 0 && g->gopc == 0 && g->lockedm)) {
		if (!cleak__gofunc_find(gb, g->startpc, &f) || f.entry != g->startpc)
			return "a start pc that is not a function's entry";
		if (!cleak__gofunc_find(gb, g->gopc, &f))
			return "a creator pc outside the function table";
	}
	if (g->goid == 0 || g->goid > (1ull << 48))
		return "a goroutine id out of range";
	if (st == CLEAK__G_WAITING || st == CLEAK__G_LEAKED || st == CLEAK__G_RUNNABLE ||
	    st == CLEAK__G_PREEMPTED) {
		/* parked: gopark saved where it stopped (gobuf) */
		if (g->sched_sp < g->stack_lo || g->sched_sp >= g->stack_hi)
			return "a saved stack pointer outside its stack";
		if (!cleak__gofunc_find(gb, g->sched_pc, &f))
			return "a saved pc outside the function table";
	}
	/* exitsyscall clears syscallsp before the goroutine can park again
	 * (one made runnable on its way out of a call still has it) */
	if (st == CLEAK__G_WAITING && g->syscallsp)
		return "a system call stack pointer while it waits";
	if ((st == CLEAK__G_SYSCALL || g->syscallsp) &&
	    (g->syscallsp < g->stack_lo || g->syscallsp >= g->stack_hi))
		return "a system call stack pointer outside its stack";
	if (st == CLEAK__G_SYSCALL && !cleak__gofunc_find(gb, g->syscallpc, &f))
		return "a system call pc outside the function table";
	if (st == CLEAK__G_WAITING && g->waitreason >= cleak__go_nwaitreasons(gb))
		return "a wait reason past the end of its table";
	/* chansend and chanrecv enqueue a sudog before parking (a select
	 * over nil channels only parks with none) */
	if ((kind == CLEAK__GOWAIT_CHAN_RECEIVE || kind == CLEAK__GOWAIT_CHAN_SEND) && !g->waiting)
		return "no sudog although it waits on a channel";
	return NULL;
}

/* A goroutine on a thread has its m, whose procid is the thread's id
 * (gettid, set in minit).  Read without a stop, a goroutine on its way
 * on or off a thread can show otherwise for a moment. */
static const char *bad_thread(const struct cleak_snapshot *snap, const struct graw *g,
			      const struct cleak_goroutine *gr)
{
	uint32_t st = g->status & ~CLEAK__G_SCAN;

	if ((st == CLEAK__G_SYSCALL || st == CLEAK__G_RUNNING) && !g->m)
		return "no thread although it runs or is in a system call";
	if (snap && g->m && !is_thread(snap, gr->tid))
		return "a thread that is not one of the process's";
	return NULL;
}

/* Goroutine ids are unique (goidgen hands out each once). */
static int check_goids(const struct cleak__gobin *gb, const struct graw *gs, size_t n,
		       const bool *skip)
{
	uint64_t *ids = malloc((n + 1) * sizeof(*ids)), dup = 0;
	size_t i, k = 0;

	if (!ids)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (!skip || !skip[i])
			ids[k++] = gs[i].goid;
	qsort(ids, k, sizeof(*ids), cleak__cmp_u64);
	for (i = 1; i < k && !dup; i++)
		if (ids[i] == ids[i - 1])
			dup = ids[i];
	free(ids);
	return dup ? cleak__go_check_refusal(gb, "goroutine id %llu is used twice",
					     (unsigned long long)dup) : 0;
}

static int check_gs(const struct cleak_snapshot *snap, const struct cleak__gobin *gb,
		    const struct cleak__gopending *p, bool *skip)
{
	size_t i, waiting = 0, with_reason = 0, bad_sudogs = 0, on_thread = 0, threadless = 0;
	const char *why;

	/* allgs[0] is main's g, goroutine 1 (the runtime relies on it too,
	 * mgc.go findGoroutineLeaks), unless main has exited and its g
	 * went to another goroutine */
	if (!p->have_first || (p->first.goid != 1 && named(gb, p->first.startpc, "runtime.main")))
		return cleak__go_check_refusal(gb, "its first goroutine is %llu, not goroutine 1",
					       (unsigned long long)p->first.goid);
	/* the runtime's own (the sweeper, the scavenger, forcegc) live as
	 * long as the process */
	if (!p->n)
		return cleak__go_check_refusal(gb, "none of its goroutines is alive");
	for (i = 0; i < p->n; i++) {
		const struct graw *g = &p->gs[i];

		if (skip && skip[i])
			continue;
		why = bad_g(snap, gb, g, snap ? &snap->go->goroutines[i] : NULL);
		if (why)
			return cleak__go_check_refusal(gb, "goroutine %llu has %s",
						       (unsigned long long)g->goid, why);
		on_thread += g->m || (g->status & ~CLEAK__G_SCAN) == CLEAK__G_SYSCALL ||
			     (g->status & ~CLEAK__G_SCAN) == CLEAK__G_RUNNING;
		why = bad_thread(snap, g, snap ? &snap->go->goroutines[i] : NULL);
		if (why && !skip)
			return cleak__go_check_refusal(gb, "goroutine %llu has %s",
						       (unsigned long long)g->goid, why);
		if (why) {
			/* read without a stop: it moved, unless most did */
			skip[i] = true;
			threadless++;
			continue;
		}
		if (g->goid == 1 && g->addr != p->first.addr)
			return cleak__go_check_refusal(gb, "goroutine 1 is not the first in allgs");
		if ((g->status & ~CLEAK__G_SCAN) == CLEAK__G_WAITING) {
			waiting++;
			with_reason += g->waitreason != 0;
		}
		bad_sudogs += p->bad_sudog && p->bad_sudog[i];
	}
	if (threadless * 2 > on_thread)
		return cleak__go_check_refusal(gb, "%zu of its %zu goroutines on threads name no "
					       "thread of the process", threadless, on_thread);
	/* gopark always names a reason; only a goroutine being created
	 * (newproc1 parked) waits without one */
	if (waiting > 1 && !with_reason)
		return cleak__go_check_refusal(gb, "none of its %zu waiting goroutines has a "
					       "wait reason", waiting);
	if (bad_sudogs)
		return cleak__go_check_refusal(gb, "%zu of its goroutines wait on a sudog that "
					       "names another goroutine or no channel", bad_sudogs);
	if (p->bad_chans)
		return cleak__go_check_refusal(gb, "%zu of its channels have no element type",
					       p->bad_chans);
	return check_goids(gb, p->gs, p->n, skip);
}

void cleak__go_drop_goroutines(struct cleak_go *go)
{
	size_t i;

	for (i = 0; i < go->ngoroutines; i++) {
		free(go->goroutines[i].error);
		free(go->goroutines[i].chans);
	}
	free(go->goroutines);
	free(go->chans);
	go->goroutines = NULL;
	go->chans = NULL;
	go->ngoroutines = go->nchans = 0;
}

int cleak__go_check_pending(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
			    const struct cleak__gopending *pending, bool *skip)
{
	int err = check_gs(snap, gb, pending, skip);

	if (err && snap)
		cleak__go_drop_goroutines(snap->go);
	return err;
}
