// SPDX-License-Identifier: MIT
/*
 * gocapture.c - copy every goroutine out of a Go process: its runtime.g,
 * the live part of its stack, the channel it is parked on, the thread
 * running it.  All of it is read with process_vm_readv, batched (up to
 * IOV_MAX pieces per call) because a service can have 100,000 goroutines
 * and the target is frozen meanwhile.  Unwinding happens later, on the
 * copies (gounwind.c).
 *
 * Frozen (the default), every thread is stopped, so nothing moves and the
 * copy is what the runtime's own stop-the-world dump would see.  With
 * nonblocking nothing is stopped: a parked goroutine does not move until
 * something wakes it, so each one is read twice, around its stack and
 * channel, and kept only if its g did not change in between
 * (../shared/docs/go-runtime.md §7).
 */
#include "target/target.h"
#include "go/gocapture.h"
#include "go/gowait.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#define MAX_GOROUTINES (16u << 20)
#define MAX_SELECT_CASES 64
/* The runtime's goroutine stacks start at 8 KiB and double; a deeper
 * stack is cut at the capture limit like a thread's. */

static void parse_g(const struct cleak__golayout *L, uint64_t addr, const uint8_t *b,
		    struct graw *g)
{
	uint32_t st;

	g->addr = addr;
	g->stack_lo = cleak__u64_at(b, CLEAK__G_STACK_LO);
	g->stack_hi = cleak__u64_at(b, CLEAK__G_STACK_HI);
	g->m = cleak__u64_at(b, L->g_m);
	g->sched_sp = cleak__u64_at(b, L->g_sched + CLEAK__GOBUF_SP);
	g->sched_pc = cleak__u64_at(b, L->g_sched + CLEAK__GOBUF_PC);
	g->syscallsp = cleak__u64_at(b, L->g_syscallsp);
	g->syscallpc = cleak__u64_at(b, L->g_syscallpc);
	memcpy(&st, b + L->g_atomicstatus, sizeof(st));
	g->status = st;
	g->goid = cleak__u64_at(b, L->g_goid);
	g->waitsince = (int64_t)cleak__u64_at(b, L->g_waitsince);
	g->waitreason = b[L->g_waitreason];
	g->lockedm = cleak__u64_at(b, L->g_lockedm);
	g->parentgoid = L->g_parentgoid ? cleak__u64_at(b, L->g_parentgoid) : 0;
	g->gopc = cleak__u64_at(b, L->g_gopc);
	g->startpc = cleak__u64_at(b, L->g_startpc);
	g->waiting = cleak__u64_at(b, L->g_waiting);
}

/* Whether a second read shows the goroutine where the first one did. */
static bool same_g(const struct graw *a, const struct graw *b)
{
	return a->goid == b->goid && a->status == b->status && a->sched_sp == b->sched_sp &&
	       a->sched_pc == b->sched_pc && a->syscallsp == b->syscallsp &&
	       a->syscallpc == b->syscallpc && a->stack_lo == b->stack_lo &&
	       a->stack_hi == b->stack_hi && a->waiting == b->waiting &&
	       a->waitreason == b->waitreason && a->m == b->m;
}

static bool gone(uint32_t status)
{
	status &= ~CLEAK__G_SCAN;
	return status == CLEAK__G_IDLE || status == CLEAK__G_DEAD || status == CLEAK__G_DEADEXTRA;
}

/* Read the g structs at `addrs`; parse them into `out`. */
static int cmp_index_addr(const void *a, const void *b, void *addrsv)
{
	const uint64_t *addrs = addrsv;
	uint64_t x = addrs[*(const size_t *)a], y = addrs[*(const size_t *)b];

	return x < y ? -1 : x > y;
}

/*
 * Read the g structs at `addrs` and parse them into `out`.  The runtime
 * allocates gs next to each other, so neighbours are read as one run
 * into `scratch`, a buffer kept from one call to the next: the frozen
 * pass then writes into pages the prefetch has already faulted in
 * instead of paying a page fault per 4 KiB while the target waits.
 */
static int read_gs(pid_t pid, const struct cleak__golayout *L, const uint64_t *addrs, size_t n,
		   struct graw *out, bool *ok, struct cleak__goscratch *scratch)
{
	size_t *order = malloc((n + 1) * sizeof(*order)), *first = NULL;
	struct cleak__piece *runs = NULL;
	size_t i, j, k, nruns = 0, total = 0, off = 0;
	bool sorted = true;

	if (!order)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		order[i] = i;
		sorted &= i == 0 || addrs[i - 1] <= addrs[i];
	}
	if (!sorted)
		qsort_r(order, n, sizeof(*order), cmp_index_addr, (void *)addrs);
	runs = malloc((n + 1) * sizeof(*runs));
	first = malloc((n + 2) * sizeof(*first));
	if (!runs || !first)
		goto nomem;
	for (i = 0; i < n; i = j) {
		uint64_t start = addrs[order[i]], end = start + L->g_size;

		for (j = i + 1; j < n && addrs[order[j]] <= end + CLEAK__MERGE_GAP &&
		     addrs[order[j]] + L->g_size - start <= CLEAK__MERGE_MAX; j++)
			if (addrs[order[j]] + L->g_size > end)
				end = addrs[order[j]] + L->g_size;
		runs[nruns].addr = start;
		runs[nruns].len = end - start;
		first[nruns++] = i;
		total += end - start;
	}
	first[nruns] = n;
	if (scratch->len < total) {
		uint8_t *b = realloc(scratch->buf, total);

		if (!b)
			goto nomem;
		memset(b, 0, total);	/* fault it in now */
		scratch->buf = b;
		scratch->len = total;
	}
	for (i = 0; i < nruns; i++) {
		runs[i].buf = scratch->buf + off;
		off += runs[i].len;
	}
	cleak__read_iov(pid, runs, nruns);
	for (i = 0; i < nruns; i++) {
		for (k = first[i]; k < first[i + 1]; k++) {
			size_t g = order[k];

			ok[g] = runs[i].ok && addrs[g];
			if (ok[g])
				parse_g(L, addrs[g], (uint8_t *)runs[i].buf + (addrs[g] - runs[i].addr),
					&out[g]);
		}
		/* a run may fail for one bad g in it: read those alone */
		for (k = first[i]; !runs[i].ok && k < first[i + 1]; k++) {
			uint8_t one[512];
			size_t g = order[k];

			ok[g] = addrs[g] && L->g_size <= sizeof(one) &&
				cleak__read_target(pid, addrs[g], one, L->g_size) == L->g_size;
			if (ok[g])
				parse_g(L, addrs[g], one, &out[g]);
		}
	}
	free(order);
	free(runs);
	free(first);
	return 0;
nomem:
	free(order);
	free(runs);
	free(first);
	return -ENOMEM;
}

/* The runtime's allgs slice: its length first, then its array, as
 * allgadd publishes them in the other order (proc.go). */
static int read_allgs(pid_t pid, const struct cleak__gobin *gb, uint64_t **out, size_t *n)
{
	uint64_t len, ptr, *addrs;
	size_t got;

	if (cleak__read_target(pid, gb->allgs + 8, &len, 8) != 8 ||
	    cleak__read_target(pid, gb->allgs, &ptr, 8) != 8)
		return cleak__fail(EIO, "cannot read the runtime's goroutine list");
	if (len > MAX_GOROUTINES || (len && !ptr))
		return cleak__fail(EINVAL, "the runtime's goroutine list looks corrupt "
				   "(%lu entries)", (unsigned long)len);
	addrs = malloc((len ? len : 1) * sizeof(*addrs));
	if (!addrs)
		return -ENOMEM;
	got = len ? cleak__read_target(pid, ptr, addrs, len * 8) : 0;
	if (got != len * 8) {
		free(addrs);
		return cleak__fail(EIO, "cannot read the runtime's goroutine list");
	}
	*out = addrs;
	*n = len;
	return 0;
}

/* The thread regs of a stopped thread, when it runs goroutine `g`. */
static const struct cleak_thread *stopped_thread(const struct cleak_snapshot *snap, pid_t tid)
{
	const struct cleak_thread *t = cleak_snapshot_thread(snap, tid);

	if (!t || t->how != CLEAK_CAPTURE_STOPPED ||
	    (t->regs_known & (1u << CLEAK_REG_RSP | 1u << CLEAK_REG_RIP)) !=
	    (1u << CLEAK_REG_RSP | 1u << CLEAK_REG_RIP))
		return NULL;
	return t;
}

/* Where unwinding starts (traceback.go unwinder.initAt, traceback1). */
static void start_of(const struct cleak_snapshot *snap, struct cleak_goroutine *gr,
		     const struct graw *g, bool frozen)
{
	uint32_t st = g->status & ~CLEAK__G_SCAN;
	const struct cleak_thread *t;

	gr->stack_hi = g->stack_hi;
	if (st == CLEAK__G_SYSCALL || g->syscallsp) {
		gr->pc = g->syscallpc;
		gr->sp = g->syscallsp;
		return;
	}
	if (st == CLEAK__G_RUNNING) {
		/* The runtime prints "stack unavailable" for a goroutine on
		 * another thread; frozen, that thread's registers say where. */
		t = frozen && gr->tid ? stopped_thread(snap, gr->tid) : NULL;
		if (t && t->regs[CLEAK_REG_RSP] >= g->stack_lo &&
		    t->regs[CLEAK_REG_RSP] < g->stack_hi) {
			gr->pc = t->regs[CLEAK_REG_RIP];
			gr->sp = t->regs[CLEAK_REG_RSP];
		} else {
			gr->stack_unavailable = true;
		}
		return;
	}
	gr->pc = g->sched_pc;
	gr->sp = g->sched_sp;
}

static enum cleak__gowait_kind wait_kind(const struct cleak_goroutine *gr)
{
	return cleak__gowait_kind(gr->wait_reason);
}

/*
 * A wait nothing can end (gowait.h, and a select whose every case is a
 * nil channel), or one the runtime's leak detector has proven (_Gleaked,
 * Go 1.26 on).  Goroutine 1 in select {} is main blocking by design; from
 * Go 1.27 the runtime does not report it (it puts allgs[0] back to
 * _Gwaiting, mgc.go), and neither does cleak.
 */
static bool leaked_for_certain(const struct cleak__golayout *L, const struct cleak_goroutine *gr,
			       const struct graw *g)
{
	if (gr->goid == 1 && !(L->flags & CLEAK__GO_MAIN_SELECT_LEAKS) &&
	    wait_kind(gr) == CLEAK__GOWAIT_SELECT_NO_CASES)
		return false;
	if (gr->status == CLEAK__G_LEAKED)
		return true;
	/* selectgo enqueues a sudog on every non-nil case's channel before
	 * parking: parked in select with none, every case is a nil channel */
	if (gr->status == CLEAK__G_WAITING && wait_kind(gr) == CLEAK__GOWAIT_SELECT && !g->waiting)
		return true;
	return gr->status == CLEAK__G_WAITING && cleak__gowait_endless(gr->wait_reason);
}

static bool on_channel(const struct cleak_goroutine *gr)
{
	return gr->status == CLEAK__G_WAITING && cleak__gowait_on_channel(gr->wait_reason);
}

/* The target's CLOCK_MONOTONIC now (the runtime's nanotime), adding the
 * offset of its time namespace (time_namespaces(7)). */
static int64_t target_now_ns(pid_t pid)
{
	struct timespec ts;
	char path[64], buf[256], *line;
	long long s, ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid);
	if (cleak__read_small(path, buf, sizeof(buf)) > 0 &&
	    (line = strstr(buf, "monotonic")) && sscanf(line, "monotonic %lld %lld", &s, &ns) == 2)
		ts.tv_sec += s, ts.tv_nsec += ns;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Copy each goroutine's stack, its thread id and its channels. */
/*
 * Copy each goroutine's stack (those with need[i], or all when need is
 * NULL), and learn every goroutine's thread.
 */
static int read_details(struct cleak__go_read *r, size_t n, const bool *need, uint8_t **arena_out)
{
	struct cleak_go *go = r->snap->go;
	struct cleak__piece *p;
	size_t i, np = 0, total = 0, off = 0;
	uint8_t *arena;
	uint64_t *procids;
	int err = -ENOMEM;

	p = calloc(n * 2 + 1, sizeof(*p));
	procids = calloc(n + 1, sizeof(*procids));
	if (!p || !procids)
		goto out;
	/* thread ids first: a running goroutine's start depends on them */
	for (i = 0; i < n; i++) {
		if (!r->gs[i].m)
			continue;
		p[np].addr = r->gs[i].m + r->L->m_procid;
		p[np].buf = &procids[i];
		p[np].len = 8;
		np++;
	}
	cleak__read_pieces(r->snap->pid, p, np);
	for (i = 0; i < n; i++)
		go->goroutines[i].tid = (pid_t)procids[i];
	for (i = 0; i < n; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (need && !need[i])
			continue;
		start_of(r->snap, gr, &r->gs[i], !go->nonblocking);
		if (gr->stack_unavailable)
			continue;
		if (gr->sp < r->gs[i].stack_lo || gr->sp >= gr->stack_hi) {
			gr->error = cleak__strdupf("its stack pointer %#lx is outside its stack "
						   "[%#lx, %#lx)", (unsigned long)gr->sp,
						   (unsigned long)r->gs[i].stack_lo,
						   (unsigned long)gr->stack_hi);
			continue;
		}
		gr->stack_len = gr->stack_hi - gr->sp;
		if (gr->stack_len > r->limit)
			gr->stack_len = r->limit;
		total += gr->stack_len;
	}
	arena = malloc(total ? total : 1);
	if (!arena)
		goto out;
	np = 0;
	for (i = 0; i < n; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (!gr->stack_len || (need && !need[i]))
			continue;
		gr->stack = arena + off;
		off += gr->stack_len;
		p[np].addr = gr->sp;
		p[np].buf = gr->stack;
		p[np].len = gr->stack_len;
		np++;
	}
	cleak__read_pieces(r->snap->pid, p, np);
	np = 0;
	for (i = 0; i < n; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (!gr->stack_len || (need && !need[i]))
			continue;
		if (!p[np++].ok) {
			gr->stack = NULL;
			gr->stack_len = 0;
			if (!gr->error)
				gr->error = strdup("its stack could not be read");
		}
	}
	*arena_out = arena;
	err = 0;
out:
	free(p);
	free(procids);
	return err;
}

static void fill_goroutine(struct cleak__go_read *r, struct cleak_goroutine *gr, const struct graw *g,
			   int64_t now_ns)
{
	gr->goid = g->goid;
	gr->scan = g->status & CLEAK__G_SCAN;
	gr->status = g->status & ~CLEAK__G_SCAN;
	gr->status_name = gr->status < r->L->nstatuses ? cleak__gostatus_name(gr->status) : "???";
	if ((gr->status == CLEAK__G_WAITING || gr->status == CLEAK__G_LEAKED) && g->waitreason) {
		gr->wait_reason = cleak__go_wait_reason(r->gb, g->waitreason);
		if (!gr->wait_reason)
			gr->error = cleak__strdupf("wait reason %u is not one of Go %s's",
						   g->waitreason, r->gb->version);
	}
	gr->wait_ns = -1;
	if ((gr->status == CLEAK__G_WAITING || gr->status == CLEAK__G_SYSCALL) && g->waitsince > 0 &&
	    now_ns >= g->waitsince)
		gr->wait_ns = now_ns - g->waitsince;
	gr->locked = g->lockedm != 0;
	gr->parent_goid = g->parentgoid;
	gr->gopc = g->gopc;
	gr->startpc = g->startpc;
	gr->leaked = leaked_for_certain(r->L, gr, g);
}

/*
 * Nonblocking: read the gs again and mark the goroutines that moved
 * meanwhile (status, stack, channel); one the GC is scanning or whose
 * stack is being copied is moving too.
 */
static int mark_moved(struct cleak__go_read *r, const uint64_t *addrs, bool *moved)
{
	struct cleak_go *go = r->snap->go;
	struct graw *again = calloc(go->ngoroutines + 1, sizeof(*again));
	bool *ok = calloc(go->ngoroutines + 1, sizeof(*ok));
	size_t i;
	int err = -ENOMEM;

	if (again && ok)
		err = read_gs(r->snap->pid, r->L, addrs, go->ngoroutines, again, ok, &r->gc->scratch);
	for (i = 0; !err && i < go->ngoroutines; i++)
		moved[i] = !ok[i] || !same_g(&r->gs[i], &again[i]) ||
			   (r->gs[i].status & CLEAK__G_SCAN) ||
			   go->goroutines[i].status == CLEAK__G_COPYSTACK;
	free(again);
	free(ok);
	return err;
}

/*
 * Nonblocking, a goroutine can wake and park again at the same place on
 * the same sudog (releaseSudog hands it back from the P's cache) between
 * the reads of its g and of its sudog, which then names nobody: its g
 * looks unchanged.  Such a goroutine moved; but if most channel waiters'
 * sudogs are wrong, the layout is (gocheck.c refuses it).
 */
static void unmark_torn_sudogs(struct cleak__go_read *r, size_t n, bool *moved)
{
	size_t i, waiters = 0, bad = 0;

	for (i = 0; i < n; i++) {
		if (moved[i] || !r->gs[i].waiting || !on_channel(&r->snap->go->goroutines[i]))
			continue;
		waiters++;
		bad += r->bad_sudog[i];
	}
	if (!bad || bad * 2 > waiters)
		return;
	for (i = 0; i < n; i++) {
		if (r->bad_sudog[i] && !moved[i]) {
			moved[i] = true;
			r->bad_sudog[i] = false;
		}
	}
}

/* Leave out the goroutines that moved; count them. */
static void drop_moved(struct cleak_go *go, const bool *moved)
{
	size_t i, kept = 0;

	for (i = 0; i < go->ngoroutines; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (moved[i]) {
			free(gr->error);
			free(gr->chans);
			go->nskipped++;
			continue;
		}
		go->goroutines[kept++] = *gr;
	}
	go->ngoroutines = kept;
}

/*
 * Frozen: reuse what the prefetch read of a goroutine whose g has not
 * changed since.  A parked goroutine's stack does not move until it runs
 * again, and running rewrites its g (status, sched); one that ran and
 * parked again at the very same pc and sp, on the same sudog, has the
 * same frames anyway.  Goroutines on a thread (running, in a system
 * call) are always read again.
 */
static void reuse_prefetched(struct cleak__go_read *r, const uint64_t *addrs, size_t n, bool *need,
			     size_t *now_at)
{
	struct cleak__goprefetch *pre = &r->gc->pre;
	struct cleak_go *go = r->snap->go;
	size_t i, j = 0;

	for (j = 0; j < pre->n; j++)
		now_at[j] = SIZE_MAX;
	j = 0;
	for (i = 0; i < n; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];
		uint32_t st = r->gs[i].status & ~CLEAK__G_SCAN;

		need[i] = true;
		/* allgs only grows: the same g is at the same index or later */
		while (j < pre->n && pre->addrs[j] != addrs[i])
			j++;
		if (j == pre->n) {
			j = 0;
			continue;
		}
		if (st == CLEAK__G_RUNNING || st == CLEAK__G_SYSCALL ||
		    !same_g(&pre->gs[j], &r->gs[i]) || !pre->goroutines[j].stack ||
		    (pre->bad_sudog && pre->bad_sudog[j]))
			continue;
		gr->pc = pre->goroutines[j].pc;
		gr->sp = pre->goroutines[j].sp;
		gr->stack_hi = pre->goroutines[j].stack_hi;
		gr->stack = pre->goroutines[j].stack;
		gr->stack_len = pre->goroutines[j].stack_len;
		need[i] = false;
		now_at[j] = i;
		r->gc->reused++;
	}
}

static void release_prefetch(struct cleak__goprefetch *pre);

static void release_gocap(void *obj)
{
	struct cleak__gocap *gc = obj;

	free(gc->stack_arena);
	free(gc->stack_arena2);
	free(gc->scratch.buf);
	free(gc->chan_types);
	free(gc->chan_elemsizes);
	free(gc->pending.gs);
	free(gc->pending.bad_sudog);
	release_prefetch(&gc->pre);
	free(gc);
}

struct cleak__gocap *cleak__gocap_of(struct cleak_snapshot *snap)
{
	struct cleak__gocap *gc = cleak__snapshot_attached(snap, CLEAK__ATTACH_GOCAP);

	if (gc)
		return gc;
	gc = calloc(1, sizeof(*gc));
	if (!gc || cleak__snapshot_attach(snap, CLEAK__ATTACH_GOCAP, gc, release_gocap))
		return NULL;
	return gc;
}

void cleak__gocap_drop_stacks(struct cleak_snapshot *snap)
{
	struct cleak__gocap *gc = cleak__snapshot_attached(snap, CLEAK__ATTACH_GOCAP);
	size_t i;

	for (i = 0; snap->go && i < snap->go->ngoroutines; i++) {
		snap->go->goroutines[i].stack = NULL;
		snap->go->goroutines[i].stack_len = 0;
	}
	if (!gc)
		return;
	free(gc->stack_arena);
	free(gc->stack_arena2);
	gc->stack_arena = gc->stack_arena2 = NULL;
}

void cleak__go_forget(struct cleak_snapshot *snap)
{
	struct cleak_go *go = snap->go;

	cleak__go_drop_goroutines(go);
	free(go->error);
	go->error = NULL;
	go->nskipped = 0;
	/* the tables stay; what the capture read goes */
	cleak__snapshot_detach(snap, CLEAK__ATTACH_GOCAP);
}

static void release_prefetch(struct cleak__goprefetch *pre)
{
	size_t i;

	if (pre->gc) {
		free(pre->gc->v);
		free(pre->gc->per_g);
		free(pre->gc);
		pre->gc = NULL;
	}
	for (i = 0; pre->goroutines && i < pre->n; i++)
		free(pre->goroutines[i].error);
	free(pre->goroutines);
	free(pre->addrs);
	free(pre->gs);
	free(pre->bad_sudog);
	pre->bad_sudog = NULL;
	pre->goroutines = NULL;
	pre->addrs = NULL;
	pre->gs = NULL;
	pre->n = 0;
}

int cleak__go_capture(struct cleak_snapshot *snap, struct cleak__gobin *gb, enum cleak__go_mode mode,
		      size_t stack_limit)
{
	struct cleak__gocap *scratch = cleak__gocap_of(snap);
	struct cleak__go_read r = { .snap = snap, .gb = gb, .gc = scratch, .L = gb->layout,
			     .limit = stack_limit };
	struct cleak__gopending pending = { 0 };
	struct cleak_go *go = snap->go;
	uint64_t *addrs = NULL;
	struct cleak__gchans gc = { 0 };
	size_t n = 0, i, kept;
	bool *ok = NULL, *need = NULL, nonblocking = mode == CLEAK__GO_NONBLOCKING;
	size_t *now_at = NULL;
	int64_t now_ns;
	int err;

	if (!scratch)
		return -ENOMEM;
	go->nonblocking = nonblocking;
	err = read_allgs(snap->pid, gb, &addrs, &n);
	if (err)
		return err;
	now_ns = target_now_ns(snap->pid);
	r.gs = calloc(n + 1, sizeof(*r.gs));
	ok = calloc(n + 1, sizeof(*ok));
	need = calloc(n + 1, sizeof(*need));
	r.bad_sudog = calloc(n + 1, sizeof(*r.bad_sudog));
	go->goroutines = calloc(n + 1, sizeof(*go->goroutines));
	if (!r.gs || !ok || !need || !r.bad_sudog || !go->goroutines) {
		err = -ENOMEM;
		goto out;
	}
	err = read_gs(snap->pid, r.L, addrs, n, r.gs, ok, &scratch->scratch);
	if (err)
		goto out;
	pending.have_first = n && ok[0];
	pending.first = r.gs[0];
	/* Keep the live ones, in allgs order (the runtime's dump order). */
	for (i = kept = 0; i < n; i++) {
		if (!ok[i] || gone(r.gs[i].status))
			continue;
		addrs[kept] = addrs[i];
		r.gs[kept] = r.gs[i];
		fill_goroutine(&r, &go->goroutines[kept], &r.gs[i], now_ns);
		kept++;
	}
	go->ngoroutines = kept;
	if (mode == CLEAK__GO_PREFETCH) {
		/* Stacks only; the frozen pass decides what to keep. */
		err = read_details(&r, kept, NULL, &scratch->stack_arena);
		if (!err && !(scratch->pre.gc = calloc(1, sizeof(*scratch->pre.gc))))
			err = -ENOMEM;
		if (!err)
			err = cleak__go_read_sudogs(&r, kept, NULL, scratch->pre.gc);
		/* a sudog that did not name its goroutine may have been read
		 * as it woke: such a goroutine is read again in the freeze */
		scratch->pre.bad_sudog = r.bad_sudog;
		r.bad_sudog = NULL;
		if (!err) {
			scratch->pre.goroutines = go->goroutines;
			scratch->pre.addrs = addrs;
			scratch->pre.gs = r.gs;
			scratch->pre.n = kept;
			go->goroutines = NULL;
			go->ngoroutines = 0;
			addrs = NULL;
			r.gs = NULL;
		}
		goto out;
	}
	if (mode == CLEAK__GO_FROZEN) {
		now_at = malloc((scratch->pre.n + 1) * sizeof(*now_at));
		if (!now_at) {
			err = -ENOMEM;
			goto out;
		}
		reuse_prefetched(&r, addrs, kept, need, now_at);
	}
	err = read_details(&r, kept, mode == CLEAK__GO_FROZEN ? need : NULL,
			   mode == CLEAK__GO_FROZEN ? &scratch->stack_arena2 : &scratch->stack_arena);
	if (!err)
		err = cleak__go_read_sudogs(&r, kept, mode == CLEAK__GO_FROZEN ? need : NULL, &gc);
	if (!err && mode == CLEAK__GO_FROZEN)
		err = cleak__go_reuse_channels(&scratch->pre, now_at, &gc);
	/* ok[] now says which goroutines moved */
	memset(ok, 0, (n + 1) * sizeof(*ok));
	if (!err && nonblocking)
		err = mark_moved(&r, addrs, ok);
	if (!err && nonblocking)
		unmark_torn_sudogs(&r, kept, ok);
	if (!err)
		err = cleak__go_read_channels(&r, &gc, ok);
	if (!err && gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN) {
		pending.gs = r.gs;
		pending.n = kept;
		pending.bad_sudog = r.bad_sudog;
		pending.bad_chans = r.bad_chans;
		/* frozen, the checks wait until the process runs again */
		if (mode == CLEAK__GO_FROZEN) {
			scratch->pending = pending;
			r.gs = NULL;
			r.bad_sudog = NULL;
		} else {
			err = cleak__go_check_pending(snap, gb, &pending, ok);
		}
	}
	if (!err && nonblocking)
		drop_moved(go, ok);
out:
	/* what was read of a newer release is shown only once checked */
	if (err && gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN && mode != CLEAK__GO_PREFETCH)
		cleak__go_drop_goroutines(go);
	if (mode != CLEAK__GO_PREFETCH)
		release_prefetch(&scratch->pre);
	free(addrs);
	free(ok);
	free(need);
	free(r.gs);
	free(r.bad_sudog);
	free(gc.v);
	free(gc.per_g);
	free(now_at);
	return err;
}

int cleak__go_count(pid_t pid, const struct cleak__gobin *gb, long *count)
{
	struct cleak__goscratch scratch = { 0 };
	uint64_t *addrs = NULL;
	struct graw *gs = NULL;
	bool *ok = NULL;
	size_t n = 0, i;
	int err;

	*count = -1;
	err = read_allgs(pid, gb, &addrs, &n);
	if (err)
		return err;
	gs = calloc(n + 1, sizeof(*gs));
	ok = calloc(n + 1, sizeof(*ok));
	err = gs && ok ? read_gs(pid, gb->layout, addrs, n, gs, ok, &scratch) : -ENOMEM;
	if (!err) {
		struct cleak__gopending pending = { .gs = gs, .first = gs[0], .have_first = n && ok[0] };
		size_t live = 0;

		*count = 0;
		for (i = 0; i < n; i++) {
			uint32_t st = gs[i].status & ~CLEAK__G_SCAN;
			const char *why = st == CLEAK__G_WAITING
					  ? cleak__go_wait_reason(gb, gs[i].waitreason) : NULL;

			if (!ok[i] || gone(st))
				continue;
			gs[live++] = gs[i];
			if (!cleak__go_system(gb, gs[i].startpc, why))
				(*count)++;
		}
		/* nothing is stopped: a g read while it changed may fail a
		 * check, and the count is refused rather than guessed */
		pending.n = live;
		/* nothing is stopped: ok[] serves as the check's "moved" marks */
		memset(ok, 0, (n + 1) * sizeof(*ok));
		if (gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN &&
		    (err = cleak__go_check_pending(NULL, gb, &pending, ok)))
			*count = -1;
	}
	free(addrs);
	free(gs);
	free(ok);
	free(scratch.buf);
	return err;
}
