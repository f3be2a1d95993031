// SPDX-License-Identifier: MIT
/*
 * gounwind.c - goroutine stacks to frames, by the runtime's own rules
 * (runtime/traceback.go, symtab.go, symtabinl.go), so that cleak prints
 * what runtime.Stack(all) would: the same frames, hidden runtime
 * internals and wrappers, inlined calls, "created by ... in goroutine N".
 *
 * Unwinding walks the copied stack with pclntab's pcsp table (frame size
 * at each pc); no DWARF, no frame pointers, so stripped binaries unwind
 * the same.  Symbolizing expands each physical frame into its inlined
 * calls with FUNCDATA_InlTree and decides which frames the runtime shows.
 */
#include "gobinary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCDATA_INLTREEINDEX 2	/* internal/abi/symtab.go */
#define FUNCDATA_INLTREE 3
#define INLTREE_ENTRY 16	/* abi.InlinedCall: funcID, pad[3], nameOff, parentPc, startLine */
#define MAX_GO_FRAMES 10000	/* physical frames kept per goroutine */

static bool named(const struct cleak__gofunc *f, const char *name)
{
	return f->name && strcmp(f->name, name) == 0;
}

/* A call the runtime injects into a goroutine (isInjectedCall): the frame
 * under it was interrupted at an exact pc, not at a return address. */
static bool injected(const struct cleak__gofunc *f)
{
	return named(f, "runtime.sigpanic") || named(f, "runtime.asyncPreempt") ||
	       named(f, "runtime.debugCallV2");
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

/* unwinder.initAt/resolveInternal/next of traceback.go, for amd64. */
static int unwind_one(const struct cleak__gobin *gb, struct cleak_goroutine *gr)
{
	uint64_t pc = gr->pc, sp = gr->sp, lr, fp;
	struct cleak__gofunc f, flr;
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
	if (!cleak__gofunc_find(gb, pc, &f)) {
		set_error(gr, "unknown pc", pc);
		return 0;
	}
	for (;;) {
		uint8_t flag = f.flag;

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
		/* A goroutine in a syscall, or a cgo callback, may have
		 * written SP (resolveInternal); anywhere else SPWrite ends
		 * the walk: the runtime cannot know the frame size then. */
		if (named(&f, "runtime.cgocallback") || (innermost && syscall))
			flag &= ~CLEAK__FUNCFLAG_SPWRITE;
		if (flag & (CLEAK__FUNCFLAG_TOPFRAME | CLEAK__FUNCFLAG_SPWRITE))
			break;
		delta = cleak__gofunc_pcvalue(gb, &f, cleak__gofunc_field(&f, CLEAK__FUNC_PCSP), pc);
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
		if (!cleak__gofunc_find(gb, lr, &flr)) {
			set_error(gr, "unexpected return pc", lr);
			break;
		}
		if (lr == pc && fp == sp)
			break;
		pc = lr;
		sp = fp;
		f = flr;
		innermost = false;
	}
	return 0;
}

int cleak__go_unwind(struct cleak_snapshot *snap, const struct cleak__gobin *gb)
{
	struct cleak_go *go = snap->go;
	size_t i;
	int err;

	for (i = 0; i < go->ngoroutines; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		if (gr->pcs)
			continue;
		err = unwind_one(gb, gr);
		if (err)
			return err;
	}
	return 0;
}

/* isExportedRuntime: Go 1.23 added receivers ("runtime.(*Frames).Next"). */
static bool exported_runtime(const char *name, int minor)
{
	const char *rest = name + strlen("runtime."), *dot;
	char r;

	if (strncmp(name, "runtime.", 8) != 0 || !*rest)
		return false;
	if (minor < 23)
		return *rest >= 'A' && *rest <= 'Z';
	dot = strrchr(rest, '.');
	if (!dot)
		return *rest >= 'A' && *rest <= 'Z';
	if (!(dot[1] >= 'A' && dot[1] <= 'Z'))
		return false;
	r = rest[0] == '(' && rest[1] == '*' ? rest[2] : rest[0];
	return r >= 'A' && r <= 'Z';
}

/* showfuncinfo at traceback level 1 (the default and that of debug=2). */
static bool shown(const struct cleak__gobin *gb, const char *name, uint8_t funcid,
		  bool first, const char *callee)
{
	if (!name)
		return false;
	/* elideWrapperCalling: a wrapper stays visible only under a panic */
	if (funcid == gb->layout->funcid_wrapper &&
	    !(callee && (strcmp(callee, "runtime.gopanic") == 0 ||
			 strcmp(callee, "runtime.sigpanic") == 0 ||
			 strcmp(callee, "runtime.panicwrap") == 0)))
		return false;
	if (gb->minor >= 25 && (strcmp(name, "runtime.runFinalizers") == 0 ||
				strcmp(name, "runtime.runCleanups") == 0))
		return true;
	if (strcmp(name, "runtime.gopanic") == 0 && !first)
		return true;
	return strchr(name, '.') &&
	       (strncmp(name, "runtime.", 8) != 0 || exported_runtime(name, gb->minor));
}

/* funcNameForPrint: "pkg.F[go.shape.int]" prints as "pkg.F[...]";
 * printFuncName: runtime.gopanic prints as "panic". */
static char *print_name(struct cleak__strpool *pool, const char *name)
{
	const char *open, *close;
	char buf[1024];

	if (strcmp(name, "runtime.gopanic") == 0)
		return cleak__intern(pool, "panic");
	open = strchr(name, '[');
	close = strrchr(name, ']');
	if (!open || !close || close <= open)
		return cleak__intern(pool, name);
	snprintf(buf, sizeof(buf), "%.*s[...]%s", (int)(open - name), name, close + 1);
	return cleak__intern(pool, buf);
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

/* traceback2: the frames of one goroutine that the runtime prints. */
static int frames_of(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
		     const struct cleak_goroutine *gr, bool show_runtime, struct frames *out)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	const char *callee = NULL, *module = cleak__intern(pool, snap->exe);
	struct cleak__gofunc f, prev;
	size_t i;

	for (i = 0; i < gr->npcs; i++) {
		uint64_t pc = gr->pcs[i], upc;
		bool trap = i > 0 && injected(&prev);
		const uint8_t *tree;
		int32_t ix;

		if (!cleak__gofunc_find(gb, pc, &f))
			break;
		/* symPC: a return address points after its CALL */
		upc = !trap && pc > f.entry ? pc - 1 : pc;
		tree = cleak__gofunc_funcdata(gb, &f, FUNCDATA_INLTREE, INLTREE_ENTRY);
		ix = tree ? cleak__gofunc_pcvalue(gb, &f, cleak__gofunc_pcdata(&f, PCDATA_INLTREEINDEX),
						  upc) : -1;
		for (;;) {
			const uint8_t *e = NULL;
			const char *name = f.name;
			uint8_t funcid = f.funcid;
			int32_t nameoff, parent;

			if (ix >= 0) {
				e = cleak__gofunc_funcdata(gb, &f, FUNCDATA_INLTREE,
							   (size_t)(ix + 1) * INLTREE_ENTRY);
				if (!e)
					return -EINVAL;
				e += (size_t)ix * INLTREE_ENTRY;
				funcid = e[0];
				memcpy(&nameoff, e + 4, 4);
				name = cleak__gofunc_name_at(gb, nameoff);
			}
			if (show_runtime || shown(gb, name, funcid, out->n == 0, callee)) {
				struct cleak_frame fr = { .pc = pc, .inlined = ix >= 0 };
				const char *file = cleak__gofunc_line(gb, &f, upc, &fr.line);

				fr.function = name ? print_name(pool, name) : NULL;
				fr.file = file ? cleak__intern(pool, file) : NULL;
				fr.module = (char *)module;
				fr.module_offset = pc - gb->bias;
				if (ix < 0 && pc > f.entry)
					fr.func_offset = pc - f.entry;
				if ((name && !fr.function) || (file && !fr.file) || push(out, &fr))
					return -ENOMEM;
			}
			callee = name;
			if (ix < 0)
				break;
			memcpy(&parent, e + 8, 4);
			upc = f.entry + (int64_t)parent;
			ix = cleak__gofunc_pcvalue(gb, &f, cleak__gofunc_pcdata(&f, PCDATA_INLTREEINDEX),
						   upc);
		}
		callee = f.name;
		prev = f;
	}
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
	    !shown(gb, f.name, f.funcid, false, NULL))
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
 * isSystemGoroutine: started in a runtime function other than
 * runtime.main (and the iterator and wasm event entries).  The finalizer
 * and cleanup goroutines count as user goroutines while they run user
 * code; parked in their own wait they are the runtime's.
 */
bool cleak__go_system(const struct cleak__gobin *gb, uint64_t startpc, const char *wait_reason)
{
	struct cleak__gofunc f;

	if (!cleak__gofunc_find(gb, startpc, &f) || !f.name)
		return false;
	if (named(&f, "runtime.main") || named(&f, "runtime.corostart") ||
	    named(&f, "runtime.handleAsyncEvent"))
		return false;
	if (named(&f, "runtime.runfinq") || named(&f, "runtime.runFinalizers"))
		return wait_reason && strcmp(wait_reason, "finalizer wait") == 0;
	if (named(&f, "runtime.runCleanups"))
		return wait_reason && strcmp(wait_reason, "cleanup wait") == 0;
	return strncmp(f.name, "runtime.", 8) == 0;
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
	size_t i;
	int err;

	go->nsystem = 0;
	for (i = 0; i < go->ngoroutines; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];
		struct frames fr = { 0 };

		gr->system = cleak__go_system(gb, gr->startpc, gr->wait_reason);
		go->nsystem += gr->system;
		if (gr->frames)
			continue;
		err = frames_of(snap, gb, gr, false, &fr);
		/* nothing left: the runtime prints them all (traceback1) */
		if (!err && fr.n == 0)
			err = frames_of(snap, gb, gr, true, &fr);
		if (!err)
			err = created_by(snap, gb, gr);
		if (!err && !gr->native_frames)
			err = native_frames(snap, gb, gr);
		if (err) {
			free(fr.v);
			return err;
		}
		gr->frames = fr.v;
		gr->nframes = fr.n;
	}
	return 0;
}

void cleak__go_release(struct cleak_go *go)
{
	size_t i;

	if (!go)
		return;
	for (i = 0; i < go->ngoroutines; i++) {
		free(go->goroutines[i].frames);
		free(go->goroutines[i].native_frames);
		free(go->goroutines[i].pcs);
		free(go->goroutines[i].chans);
		free(go->goroutines[i].error);
	}
	free(go->goroutines);
	free(go->chans);
	free(go->version);
	free(go->module);
	free(go->error);
	free(go);
}
