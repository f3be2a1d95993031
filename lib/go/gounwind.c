// SPDX-License-Identifier: MIT
/*
 * gounwind.c - goroutine stacks to frames, by the runtime's own rules
 * (runtime/traceback.go, symtab.go, symtabinl.go), so that cleak prints
 * what runtime.Stack(all) would: the same frames, hidden runtime
 * internals and wrappers, inlined calls, "created by ... in goroutine N"
 * ("created by ..." before Go 1.21, which did not record the parent).
 *
 * Unwinding walks the copied stack with pclntab's pcsp table (frame size
 * at each pc); no DWARF, no frame pointers, so stripped binaries unwind
 * the same.  Symbolizing expands each physical frame into its inlined
 * calls with FUNCDATA_InlTree and decides which frames the runtime shows.
 */
#include "go/gocapture.h"
#include "go/gowait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCDATA_INLTREEINDEX 2	/* internal/abi/symtab.go */
#define FUNCDATA_INLTREE 3
#define MAX_GO_FRAMES 10000	/* physical frames kept per goroutine */
/* Go 1.20 and older: gentraceback's max in traceback1 (_TracebackMaxFrames) */
#define OLD_TRACEBACK_MAX 100

/* A call the runtime injects into a goroutine (isInjectedCall): the frame
 * under it was interrupted at an exact pc, not at a return address. */
static bool injected(const char *name)
{
	return name && (strcmp(name, "runtime.sigpanic") == 0 ||
			strcmp(name, "runtime.asyncPreempt") == 0 ||
			strcmp(name, "runtime.debugCallV2") == 0);
}

static bool stack_word(const struct cleak_goroutine *gr, uint64_t addr, uint64_t *v)
{
	if (addr < gr->sp || addr + 8 > gr->sp + gr->stack_len)
		return false;
	memcpy(v, gr->stack + (addr - gr->sp), 8);
	return true;
}

static void set_error(struct cleak_goroutine *gr, const char *what, uint64_t pc)
{
	if (!gr->error)
		gr->error = cleak__strdupf("%s at pc %#lx", what, (unsigned long)pc);
}

/*
 * Goroutines parked in the same places share their pcs, so each pc's
 * function and frame size (pcsp) are looked up once, in a direct-mapped
 * cache, rather than once per goroutine.
 */
#define PC_CACHE_BITS 12
struct pc_cache {
	struct pc_slot {
		uint64_t pc;		/* 0: empty */
		struct cleak__gofunc f;
		int32_t delta;		/* pcsp at pc; -1 when unknown */
		bool found;		/* pc is in a Go function */
	} slots[1u << PC_CACHE_BITS];
};

static const struct pc_slot *pc_lookup(const struct cleak__gobin *gb, struct pc_cache *c,
				       uint64_t pc)
{
	struct pc_slot *s = &c->slots[(pc * 0x9e3779b97f4a7c15ULL) >> (64 - PC_CACHE_BITS)];

	if (s->pc == pc)
		return s;
	s->pc = pc;
	s->found = cleak__gofunc_find(gb, pc, &s->f);
	s->delta = s->found ? cleak__gofunc_pcvalue(gb, &s->f,
						    cleak__gofunc_field(&s->f, CLEAK__FUNC_PCSP), pc)
			    : -1;
	return s;
}

/* unwinder.initAt/resolveInternal/next of traceback.go, for amd64. */
static int unwind_one(const struct cleak__gobin *gb, struct pc_cache *cache,
		      struct cleak_goroutine *gr)
{
	uint64_t pc = gr->pc, sp = gr->sp, lr, fp;
	const struct pc_slot *at, *up;
	bool innermost = true, syscall = gr->status == CLEAK__G_SYSCALL;
	size_t cap = 16;
	int32_t delta;

	if (!gr->stack)
		return 0;
	gr->pcs = malloc(cap * sizeof(*gr->pcs));
	if (!gr->pcs)
		return -ENOMEM;
	if (pc == 0) {		/* a pc still on the stack (initAt) */
		if (!stack_word(gr, sp, &pc))
			return 0;
		sp += 8;
	}
	at = pc_lookup(gb, cache, pc);
	if (!at->found) {
		set_error(gr, "unknown pc", pc);
		return 0;
	}
	for (;;) {
		if (gr->npcs == cap) {
			uint64_t *n = realloc(gr->pcs, (cap *= 2) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			gr->pcs = n;
		}
		gr->pcs[gr->npcs++] = pc;
		if (gr->npcs >= MAX_GO_FRAMES) {
			set_error(gr, "stack cut after " "10000 frames", pc);
			break;
		}
		/* A goroutine in a syscall may have written SP in its
		 * innermost frame: the saved syscallsp is its SP
		 * (resolveInternal). */
		if (cleak__gofunc_ends_unwind(&at->f, innermost && syscall))
			break;
		delta = at->delta;
		if (delta < 0) {
			set_error(gr, "no frame size", pc);
			break;
		}
		fp = sp + (uint64_t)delta + 8;	/* + the return address CALL pushed */
		if (!stack_word(gr, fp - 8, &lr)) {
			if (fp - 8 < gr->stack_hi)
				set_error(gr, "stack copy ended", pc);
			break;
		}
		/* this may reuse at's slot: at is not read again */
		up = pc_lookup(gb, cache, lr);
		if (!up->found) {
			set_error(gr, "unexpected return pc", lr);
			break;
		}
		if (lr == pc && fp == sp)
			break;
		pc = lr;
		sp = fp;
		at = up;
		innermost = false;
	}
	return 0;
}

int cleak__go_unwind(struct cleak_snapshot *snap, const struct cleak__gobin *gb)
{
	struct cleak_go *go = snap->go;
	struct pc_cache *cache = calloc(1, sizeof(*cache));
	size_t i;
	int err = 0;

	if (!cache)
		return -ENOMEM;
	for (i = 0; i < go->ngoroutines && !err; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (!gr->pcs)
			err = unwind_one(gb, cache, gr);
	}
	free(cache);
	/* what the stacks were copied for is done */
	if (!err)
		cleak__gocap_drop_stacks(snap);
	return err;
}

/* isExportedRuntime: Go 1.23 added receivers ("runtime.(*Frames).Next"). */
static bool exported_runtime(const char *name, unsigned flags)
{
	const char *rest = name + strlen("runtime."), *dot;
	char r;

	if (strncmp(name, "runtime.", 8) != 0 || !*rest)
		return false;
	if (!(flags & CLEAK__GO_EXPORTED_RUNTIME_123))
		return *rest >= 'A' && *rest <= 'Z';
	dot = strrchr(rest, '.');
	if (!dot)
		return *rest >= 'A' && *rest <= 'Z';
	if (!(dot[1] >= 'A' && dot[1] <= 'Z'))
		return false;
	r = rest[0] == '(' && rest[1] == '*' ? rest[2] : rest[0];
	return r >= 'A' && r <= 'Z';
}

/* The callees under which elideWrapperCalling keeps a wrapper visible. */
static bool panics(const char *name)
{
	return name && (strcmp(name, "runtime.gopanic") == 0 ||
			strcmp(name, "runtime.sigpanic") == 0 ||
			strcmp(name, "runtime.panicwrap") == 0);
}

/* showfuncinfo at traceback level 1 (the default and that of debug=2),
 * less the wrapper rule, which depends on the callee. */
static bool shown_by_name(const struct cleak__gobin *gb, const char *name, bool first)
{
	if (!name)
		return false;
	if ((gb->layout->flags & CLEAK__GO_SHOWS_FINALIZERS) && (strcmp(name, "runtime.runFinalizers") == 0 ||
				strcmp(name, "runtime.runCleanups") == 0))
		return true;
	if (strcmp(name, "runtime.gopanic") == 0 && !first)
		return true;
	return strchr(name, '.') &&
	       (strncmp(name, "runtime.", 8) != 0 || exported_runtime(name, gb->layout->flags));
}

/* elideWrapperCalling: a wrapper stays visible only under a panic. */
static bool elided_wrapper(const struct cleak__gobin *gb, uint8_t funcid, bool callee_panics)
{
	return funcid == gb->layout->funcid_wrapper && !callee_panics;
}

/*
 * funcNamePiecesForPrint (traceback.go): where a generic name's type
 * arguments are, so that they print as "[...]".  One pair of brackets for
 * a generic function or a method of a generic type; since Go 1.27, a
 * method with type parameters of its own has two, "T[...].M[...]".  Names
 * an older compiler emits come out as before, so no release check.
 * Returns how many pieces there are: 1 (no brackets, or malformed), 3 or 5.
 */
static int name_pieces(const char *name, size_t cut[4])
{
	const char *open = strchr(name, '['), *close = strrchr(name, ']'), *p;
	const char *rbr = NULL, *lbr = NULL;
	int depth = 1;

	if (!open || !close || close <= open)
		return 1;
	cut[0] = (size_t)(open - name);
	cut[3] = (size_t)(close - name);
	if (!memchr(open + 1, '[', (size_t)(close - open - 1)))
		return 3;
	/* the interior is "...]M[...": find the "]" that closes the first
	 * "[" and the "[" that opens the method's own */
	for (p = open + 1; p < close; p++) {
		if (*p == '[' && ++depth == 1) {
			lbr = p;
			break;
		}
		if (*p == ']' && --depth < 0)
			break;
		if (*p == ']' && depth == 0)
			rbr = p;
	}
	if (depth != 1)
		return 1;
	if (!rbr && !lbr)
		return 3;	/* balanced "[]" inside: one pair after all */
	if (!rbr || !lbr || lbr < rbr)
		return 1;
	cut[1] = (size_t)(rbr - name);
	cut[2] = (size_t)(lbr - name);
	return 5;
}

/* funcNameForPrint, and printFuncName's "panic" for runtime.gopanic. */
static char *print_name(struct cleak__strpool *pool, const char *name)
{
	size_t cut[4];
	char buf[1024];

	if (strcmp(name, "runtime.gopanic") == 0)
		return cleak__intern(pool, "panic");
	switch (name_pieces(name, cut)) {
	case 3:
		snprintf(buf, sizeof(buf), "%.*s[...]%s", (int)cut[0], name, name + cut[3] + 1);
		return cleak__intern(pool, buf);
	case 5:
		snprintf(buf, sizeof(buf), "%.*s[...]%.*s[...]%s", (int)cut[0], name,
			 (int)(cut[2] - cut[1] - 1), name + cut[1] + 1, name + cut[3] + 1);
		return cleak__intern(pool, buf);
	default:
		return cleak__intern(pool, name);
	}
}

struct frames {
	struct cleak_frame *v;
	size_t n, cap;
};

static int push(struct frames *fr, const struct cleak_frame *f)
{
	if (fr->n == fr->cap) {
		size_t cap = fr->cap ? fr->cap * 2 : 8;
		struct cleak_frame *n = realloc(fr->v, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fr->v = n;
		fr->cap = cap;
	}
	fr->v[fr->n++] = *f;
	return 0;
}

/* One source-level frame of a pc: a call inlined there, or the function. */
struct xframe {
	const char *name;	/* as in pclntab */
	const char *print;	/* as the runtime prints it (interned) */
	const char *file;	/* interned */
	int line;
	uint8_t funcid;
	bool inlined;
	bool shown[2];		/* shown_by_name, [first frame] */
	bool panics;		/* a callee under which wrappers show */
	uint64_t func_offset;
};

/*
 * Goroutines of one program share their pcs: a thousand leaked handlers
 * are parked at the same few addresses.  Each (pc, trap) is expanded
 * into its inlined frames once (pclntab lookups, pc-value tables, name
 * interning) and looked up by hash afterwards.
 */
struct xcache {
	struct xslot {
		uint64_t key;
		uint32_t first, count;
		bool injected;		/* the physical function is an injected call */
	} *slots;
	size_t nslots, used;
	struct xframe *v;
	size_t n, cap;
};

static struct xslot *xcache_slot(struct xcache *c, uint64_t key)
{
	size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (c->nslots - 1);

	while (c->slots[h].key && c->slots[h].key != key)
		h = (h + 1) & (c->nslots - 1);
	return &c->slots[h];
}

static int xcache_grow(struct xcache *c)
{
	struct xcache old = *c;
	size_t i;

	c->nslots = old.nslots ? old.nslots * 2 : 1024;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	if (!c->slots) {
		*c = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.nslots; i++)
		if (old.slots[i].key)
			*xcache_slot(c, old.slots[i].key) = old.slots[i];
	free(old.slots);
	return 0;
}

static int xpush(struct xcache *c, const struct xframe *x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct xframe *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *x;
	return 0;
}

/* newInlineUnwinder and its walk: the frames at one physical pc. */
static int expand_pc(struct cleak__strpool *pool, const struct cleak__gobin *gb,
		     const struct cleak__gofunc *f, uint64_t pc, bool trap, struct xcache *c)
{
	/* symPC: a return address points after its CALL */
	uint64_t upc = !trap && pc > f->entry ? pc - 1 : pc;
	const uint8_t *tree = cleak__gofunc_funcdata(gb, f, FUNCDATA_INLTREE, gb->inl.size);
	uint32_t inl = cleak__gofunc_pcdata(f, PCDATA_INLTREEINDEX);
	int32_t ix = tree ? cleak__gofunc_pcvalue(gb, f, inl, upc) : -1;

	for (;;) {
		struct xframe x = { .name = f->name, .funcid = f->funcid, .inlined = ix >= 0 };
		const uint8_t *e = NULL;
		const char *file;
		int32_t nameoff, parent;

		if (ix >= 0) {
			e = cleak__gofunc_funcdata(gb, f, FUNCDATA_INLTREE,
						   (size_t)(ix + 1) * gb->inl.size);
			if (!e)
				return -EINVAL;
			e += (size_t)ix * gb->inl.size;
			x.funcid = e[gb->inl.funcid];
			memcpy(&nameoff, e + gb->inl.nameoff, 4);
			x.name = cleak__gofunc_name_at(gb, nameoff);
		}
		file = cleak__gofunc_line(gb, f, upc, &x.line);
		x.shown[0] = shown_by_name(gb, x.name, false);
		x.shown[1] = shown_by_name(gb, x.name, true);
		x.panics = panics(x.name);
		x.print = x.name ? print_name(pool, x.name) : NULL;
		x.file = file ? cleak__intern(pool, file) : NULL;
		if (ix < 0 && pc > f->entry)
			x.func_offset = pc - f->entry;
		if ((x.name && !x.print) || (file && !x.file) || xpush(c, &x))
			return -ENOMEM;
		if (ix < 0)
			return 0;
		memcpy(&parent, e + gb->inl.parentpc, 4);
		upc = f->entry + (int64_t)parent;
		ix = cleak__gofunc_pcvalue(gb, f, inl, upc);
	}
}

/* The cached expansion of (pc, trap); NULL when pc is not Go code. */
static const struct xslot *lookup_pc(struct cleak__strpool *pool, const struct cleak__gobin *gb,
				     struct xcache *c, uint64_t pc, bool trap, int *err)
{
	uint64_t key = pc << 1 | trap;
	struct cleak__gofunc f;
	struct xslot *s;

	*err = 0;
	if (c->used * 2 >= c->nslots && (*err = xcache_grow(c)))
		return NULL;
	s = xcache_slot(c, key);
	if (s->key)
		return s;
	if (!cleak__gofunc_find(gb, pc, &f))
		return NULL;
	s->key = key;
	s->first = (uint32_t)c->n;
	s->injected = injected(f.name);
	*err = expand_pc(pool, gb, &f, pc, trap, c);
	s->count = (uint32_t)(c->n - s->first);
	c->used++;
	return *err ? NULL : s;
}

/*
 * traceback2: the frames of one goroutine that the runtime prints.
 * *old_cut: how many of them come from its first OLD_TRACEBACK_MAX
 * physical frames, where Go 1.20's gentraceback stops.
 */
static int frames_of(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
		     struct xcache *cache, const struct cleak_goroutine *gr, bool show_runtime,
		     struct frames *out, size_t *old_cut)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	const char *module = cleak__intern(pool, snap->exe);
	bool callee_panics = false, under_injected = false;
	size_t i, k;
	int err;

	*old_cut = SIZE_MAX;
	for (i = 0; i < gr->npcs; i++) {
		uint64_t pc = gr->pcs[i];
		/* under an injected call the pc is exact, not a return address */
		bool trap = under_injected;
		const struct xslot *s = lookup_pc(pool, gb, cache, pc, trap, &err);

		if (i == OLD_TRACEBACK_MAX)
			*old_cut = out->n;

		if (err)
			return err;
		if (!s)
			break;
		for (k = 0; k < s->count; k++) {
			const struct xframe *x = &cache->v[s->first + k];

			if (show_runtime || (!elided_wrapper(gb, x->funcid, callee_panics) &&
					     x->shown[out->n == 0])) {
				struct cleak_frame fr = {
					.pc = pc, .inlined = x->inlined, .function = (char *)x->print,
					.file = (char *)x->file, .line = x->line,
					.module = (char *)module, .module_offset = pc - gb->bias,
					.func_offset = x->func_offset,
				};

				if (push(out, &fr))
					return -ENOMEM;
			}
			callee_panics = x->panics;
		}
		under_injected = s->injected;
	}
	if (*old_cut == SIZE_MAX)
		*old_cut = out->n;
	return 0;
}

/*
 * The threads of a Go program run Go code that libdw names poorly or
 * not at all (no DWARF when stripped; in cgo binaries its line tables
 * can point at C files): their Go frames are named from pclntab too,
 * every frame kept (threads have no hiding rules).
 */
static int go_thread_frames(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
			    struct xcache *cache, struct cleak_thread *t)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	struct frames out = { 0 };
	size_t i = 0, j, k, phys = 0;
	int err;

	while (i < t->nframes) {
		uint64_t pc = t->frames[i].pc;
		const struct xslot *s;

		/* the frames of one pc: its inlined calls, then itself */
		for (j = i; j < t->nframes && t->frames[j].pc == pc; j++)
			if (!t->frames[j].inlined) {
				j++;
				break;
			}
		/* the innermost pc is exact; the others are return addresses */
		s = lookup_pc(pool, gb, cache, pc, phys == 0, &err);
		if (err) {
			free(out.v);
			return err;
		}
		for (k = 0; s && k < s->count; k++) {
			const struct xframe *x = &cache->v[s->first + k];
			struct cleak_frame fr = t->frames[j - 1];

			fr.inlined = x->inlined;
			fr.function = (char *)x->print;
			fr.file = (char *)x->file;
			fr.line = x->line;
			fr.column = 0;
			fr.func_offset = x->func_offset;
			if (push(&out, &fr)) {
				free(out.v);
				return -ENOMEM;
			}
		}
		for (k = i; !s && k < j; k++)
			if (push(&out, &t->frames[k])) {
				free(out.v);
				return -ENOMEM;
			}
		i = j;
		phys++;
	}
	free(t->frames);
	t->frames = out.v;
	t->nframes = out.n;
	return 0;
}

/* printcreatedby: hidden for goroutine 1 and for creators that would not
 * print themselves; "in goroutine N" since Go 1.21. */
static int created_by(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
		      struct cleak_goroutine *gr)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	struct cleak_frame *c = &gr->created_by;
	struct cleak__gofunc f;
	uint64_t pc = gr->gopc;
	const char *file;

	if (gr->goid == 1 || !cleak__gofunc_find(gb, pc, &f) ||
	    elided_wrapper(gb, f.funcid, false) || !shown_by_name(gb, f.name, false))
		return 0;
	c->pc = pc;
	c->function = print_name(pool, f.name);
	file = cleak__gofunc_line(gb, &f, pc > f.entry ? pc - 1 : pc, &c->line);
	c->file = file ? cleak__intern(pool, file) : NULL;
	c->module = cleak__intern(pool, snap->exe);
	c->module_offset = pc - gb->bias;
	c->func_offset = pc > f.entry ? pc - f.entry : 0;
	return c->function ? 0 : -ENOMEM;
}

/*
 * A goroutine in a system call or in C code has frames the runtime does
 * not show: those of its thread below the Go code (libc, the C function
 * cgo called).  The thread was unwound as native code; take its frames
 * up to the first one that pclntab knows.
 */
static int native_frames(const struct cleak_snapshot *snap, const struct cleak__gobin *gb,
			 struct cleak_goroutine *gr)
{
	const struct cleak_thread *t = cleak_snapshot_thread(snap, gr->tid);
	struct cleak__gofunc f;
	size_t n = 0;

	if (!t || (gr->status != CLEAK__G_SYSCALL && gr->status != CLEAK__G_RUNNING))
		return 0;
	while (n < t->nframes && !cleak__gofunc_find(gb, t->frames[n].pc, &f))
		n++;
	if (!n)
		return 0;
	gr->native_frames = malloc(n * sizeof(*gr->native_frames));
	if (!gr->native_frames)
		return -ENOMEM;
	memcpy(gr->native_frames, t->frames, n * sizeof(*gr->native_frames));
	gr->nnative = n;
	return 0;
}

int cleak__go_symbolize(struct cleak_snapshot *snap, const struct cleak__gobin *gb)
{
	struct cleak_go *go = snap->go;
	struct xcache cache = { 0 };
	size_t i;
	int err = 0;

	/* gr->system and go->nsystem were set at capture (gocapture.c). */
	for (i = 0; i < snap->nthreads && !err; i++)
		err = go_thread_frames(snap, gb, &cache, &snap->threads[i]);
	for (i = 0; i < go->ngoroutines; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];
		struct frames fr = { 0 };
		size_t old_cut;

		if (gr->frames)
			continue;
		err = frames_of(snap, gb, &cache, gr, false, &fr, &old_cut);
		/* nothing left: the runtime prints them all (traceback1) */
		if (!err && fr.n == 0)
			err = frames_of(snap, gb, &cache, gr, true, &fr, &old_cut);
		if (!err)
			err = created_by(snap, gb, gr);
		if (!err && !gr->native_frames)
			err = native_frames(snap, gb, gr);
		if (err) {
			free(fr.v);
			break;
		}
		gr->frames = fr.v;
		gr->nframes = fr.n;
		gr->old_traceback_nframes = gb->layout->flags & CLEAK__GO_OLD_TRACEBACK ? old_cut : 0;
	}
	free(cache.slots);
	free(cache.v);
	return err;
}

