// SPDX-License-Identifier: MIT
/*
 * Unwinding with libunwind's remote API over the snapshot, never the live
 * process: stack reads come from the copied stack, code and unwind tables
 * from the mapped files (modules.c), registers from the capture.
 *
 * Unwind info is found through each module's .eh_frame_hdr search table
 * (PT_GNU_EH_FRAME), the way perf's unwind-libunwind-local.c does; for
 * modules linked without one, through the same table built from
 * .eh_frame; for code built without unwind tables, from .debug_frame
 * rewritten as .eh_frame (ehframe.c, modules.c).  Where there is no CFI
 * at all, libunwind's x86-64 stepper falls back to the RBP frame chain.
 */
#include "capture/capture.h"
#include "native/callsite.h"
#include "go/gobinary.h"
#include "native/modules.h"

#include <errno.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>

/* Exported by libunwind-generic but absent from its headers. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
					       unw_dyn_info_t *di, unw_proc_info_t *pi,
					       int need_unwind_info, void *arg);

/* DWARF pointer encodings used by .eh_frame_hdr (LSB, "Exception Frame
 * Header Format"). */
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

struct unwind_ctx {
	unw_addr_space_t as;
	struct cleak__modules *mods;
	const struct cleak_thread *thread;
	/* The registers the cursor starts from: the thread's, or those a
	 * frame-pointer step recovered (see fp_step). */
	uint64_t regs[CLEAK_REG_COUNT];
	uint32_t regs_known;
	bool missing_reg;	/* libunwind asked for a register we lack */
	uint64_t noinfo_ip;	/* the last address with no unwind info */
};

/* libunwind reads the search table in units of its 8-byte table entries. */
struct eh_table_entry {
	int32_t start_ip_offset;
	int32_t fde_offset;
};

static bool read_u32(struct cleak__modules *mods, uint64_t addr, uint32_t *v)
{
	return cleak__modules_read(mods, addr, v, sizeof(*v));
}

/* Decode a 4-byte .eh_frame_hdr field; returns false for other encodings. */
static bool read_enc4(struct cleak__modules *mods, uint64_t addr, uint8_t enc,
		      uint64_t *v)
{
	uint32_t raw;

	if (!read_u32(mods, addr, &raw))
		return false;
	switch (enc) {
	case DW_EH_PE_udata4:
		*v = raw;
		return true;
	case DW_EH_PE_sdata4:
		*v = (uint64_t)(int64_t)(int32_t)raw;
		return true;
	case DW_EH_PE_pcrel | DW_EH_PE_sdata4:
		*v = addr + (uint64_t)(int64_t)(int32_t)raw;
		return true;
	default:
		return false;
	}
}

static int search_table(const struct cleak__module *mod, const struct cleak__cfi_table *t,
			unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			int need_unwind_info, void *arg)
{
	unw_dyn_info_t di;

	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = mod->lo;
	di.end_ip = mod->hi;
	di.u.rti.segbase = t->segbase;
	di.u.rti.table_data = t->table_addr;
	di.u.rti.table_len = t->count * sizeof(struct eh_table_entry) / sizeof(unw_word_t);
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need_unwind_info, arg);
}

/* The module's own .eh_frame_hdr (PT_GNU_EH_FRAME), read from its file. */
static int search_eh_frame_hdr(struct cleak__modules *mods, const struct cleak__module *mod,
			       unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			       int need_unwind_info, void *arg)
{
	struct cleak__cfi_table t = { 0 };
	uint64_t eh_frame, fde_count;
	uint8_t hdr[4];

	/* version, eh_frame_ptr_enc, fde_count_enc, table_enc */
	if (!cleak__modules_read(mods, mod->eh_hdr, hdr, sizeof(hdr)) || hdr[0] != 1 ||
	    hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return -UNW_ENOINFO;
	if (!read_enc4(mods, mod->eh_hdr + 4, hdr[1], &eh_frame) ||
	    !read_enc4(mods, mod->eh_hdr + 8, hdr[2], &fde_count))
		return -UNW_ENOINFO;
	/* The file's own table follows the 12-byte header. */
	t.segbase = mod->eh_hdr;
	t.table_addr = mod->eh_hdr + 12;
	t.count = fde_count;
	return search_table(mod, &t, as, ip, pi, need_unwind_info, arg);
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	struct unwind_ctx *ctx = arg;
	struct cleak__module *mod = cleak__modules_at(ctx->mods, ip);
	const struct cleak__cfi_table *t;
	int ret = -UNW_ENOINFO;

	ctx->noinfo_ip = ip;	/* until found below */
	if (!mod)
		return -UNW_ENOINFO;
	if (mod->eh_hdr)
		ret = search_eh_frame_hdr(ctx->mods, mod, as, ip, pi, need_unwind_info, arg);
	else if ((t = cleak__modules_eh_table(ctx->mods, mod)))
		ret = search_table(mod, t, as, ip, pi, need_unwind_info, arg);
	/* Code built without unwind tables may still have .debug_frame. */
	if (ret == -UNW_ENOINFO && (t = cleak__modules_debug_table(ctx->mods, mod)))
		ret = search_table(mod, t, as, ip, pi, need_unwind_info, arg);
	if (ret != -UNW_ENOINFO)
		ctx->noinfo_ip = 0;
	return ret;
}

/* libunwind frees what dwarf_search_unwind_table allocated itself. */
static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as;
	(void)pi;
	(void)arg;
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	return -UNW_ENOINFO;
}

static bool read_stack_word(const struct unwind_ctx *ctx, uint64_t addr, uint64_t *v)
{
	const struct cleak_thread *t = ctx->thread;

	if (addr < t->stack_start || addr - t->stack_start + 8 > t->stack_len)
		return false;
	memcpy(v, t->stack + (addr - t->stack_start), 8);
	return true;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *valp,
		      int write, void *arg)
{
	struct unwind_ctx *ctx = arg;

	(void)as;
	if (write)
		return -UNW_EREADONLYREG;
	if (read_stack_word(ctx, addr, valp))
		return 0;
	if (cleak__modules_read(ctx->mods, addr, valp, sizeof(*valp)))
		return 0;
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *valp,
		      int write, void *arg)
{
	struct unwind_ctx *ctx = arg;

	(void)as;
	if (write)
		return -UNW_EREADONLYREG;
	/* libunwind's x86-64 numbering is DWARF's, as is enum cleak_reg. */
	if (reg < 0 || reg >= CLEAK_REG_COUNT)
		return -UNW_EBADREG;
	if (!(ctx->regs_known & (1u << reg))) {
		ctx->missing_reg = true;
		return -UNW_EBADREG;
	}
	*valp = ctx->regs[reg];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
			int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *offp, void *arg)
{
	(void)as;
	(void)addr;
	(void)buf;
	(void)len;
	(void)offp;
	(void)arg;
	return -UNW_ENOINFO;	/* symbolize.c names frames, after unwinding */
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

/*
 * One step along the frame-pointer chain for a frame without unwind
 * info: the caller's RIP is at [RBP + 8], its RBP at [RBP], its RSP is
 * RBP + 16.  libunwind 1.6 does this step itself but takes the caller's
 * RSP as the frame's CFA + 16, which is only right for a frame with no
 * locals; the next frame's CFI then starts from a wrong RSP.  So step here
 * and restart the cursor from the recovered registers.  Callee-saved
 * registers are unknown past such a frame, as they are in libunwind.
 */
static bool fp_step(unw_addr_space_t as, unw_cursor_t *cursor, struct unwind_ctx *ctx,
		    uint64_t sp, uint64_t rbp)
{
	uint64_t ip, caller_rbp;

	/* The frame's RBP must point into its own stack, above its SP. */
	if (rbp < sp || rbp - sp > (1u << 20) || rbp % 8 ||
	    !read_stack_word(ctx, rbp + 8, &ip) || !read_stack_word(ctx, rbp, &caller_rbp))
		return false;
	memset(ctx->regs, 0, sizeof(ctx->regs));
	ctx->regs[CLEAK_REG_RIP] = ip;
	ctx->regs[CLEAK_REG_RSP] = rbp + 16;
	ctx->regs[CLEAK_REG_RBP] = caller_rbp;
	ctx->regs_known = 1u << CLEAK_REG_RIP | 1u << CLEAK_REG_RSP | 1u << CLEAK_REG_RBP;
	return ip != 0 && unw_init_remote(cursor, as, ctx) == 0;
}

/*
 * A thread of a Go program ends where the runtime's own unwinder would
 * (cleak__gofunc_ends_unwind, in unwind_thread; its innermost frame's SP
 * was read).  Past
 * there the frame pointer chain is not a chain of frames: up to Go 1.20,
 * runtime.mstart has a frame of its own (1.21 marks it NOFRAME) whose
 * saved RBP is whatever the thread started with, and above mcall on g0
 * the chain held stale words with Go 1.21 and 1.22 (0xc, a heap address),
 * which the unwinder then reported as a broken stack.
 */

/*
 * One step out of a Go function, by the binary's own tables as the
 * runtime steps (traceback.go: the caller's SP is SP + pcsp + 8, its pc
 * the word under that): no CFI and no RBP needed, so a thread read
 * without a stop unwinds through Go code as far as one that was stopped.
 * A compiled Go frame with a size saves the caller's RBP just under the
 * return address (amd64); one without leaves it as it was; past an
 * assembly frame with a size it is unknown.  The cursor restarts from
 * what is known, for the frames that are not Go (C under a cgo callback)
 * to take on.  f is the Go function at ip.
 */
static bool go_step(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
		    unw_addr_space_t as, unw_cursor_t *cursor, struct unwind_ctx *ctx, uint64_t ip,
		    uint64_t sp, bool have_rbp, uint64_t rbp)
{
	int32_t delta;
	uint64_t ret, saved;

	delta = cleak__gofunc_pcvalue(gb, f, cleak__gofunc_field(f, CLEAK__FUNC_PCSP), ip);
	if (delta < 0 || delta % 8 || !read_stack_word(ctx, sp + (uint64_t)delta, &ret) || !ret)
		return false;
	memset(ctx->regs, 0, sizeof(ctx->regs));
	ctx->regs[CLEAK_REG_RIP] = ret;
	ctx->regs[CLEAK_REG_RSP] = sp + (uint64_t)delta + 8;
	ctx->regs_known = 1u << CLEAK_REG_RIP | 1u << CLEAK_REG_RSP;
	/* Assembly may move SP by hand (crosscall2, sigtramp): the word
	 * under its return address need not be RBP, which is then unknown. */
	if (delta > 0 && (f->flag & CLEAK__FUNCFLAG_ASM))
		have_rbp = false;
	else if (delta > 0 && read_stack_word(ctx, sp + (uint64_t)delta - 8, &saved))
		have_rbp = true, rbp = saved;
	if (have_rbp) {
		ctx->regs[CLEAK_REG_RBP] = rbp;
		ctx->regs_known |= 1u << CLEAK_REG_RBP;
	}
	return unw_init_remote(cursor, as, ctx) == 0;
}

/* cleak__bounds_fn over the unwind tables: the function's FDE. */
static bool fde_bounds(void *arg, uint64_t addr, uint64_t *lo, uint64_t *hi)
{
	struct unwind_ctx *ctx = arg;
	unw_proc_info_t pi;

	if (unw_get_proc_info_by_ip(ctx->as, addr, &pi, ctx) < 0 || pi.start_ip >= pi.end_ip)
		return false;
	*lo = pi.start_ip;
	*hi = pi.end_ip;
	return true;
}

/*
 * The entry of the function the cursor is in, by its unwind information;
 * 0 without any (libunwind then makes up [ip, ip + 1), Gget_proc_info.c).
 */
static uint64_t frame_entry(unw_cursor_t *cursor, uint64_t ip)
{
	unw_proc_info_t pi;

	if (unw_get_proc_info(cursor, &pi) < 0 || !pi.start_ip ||
	    (pi.start_ip == ip && pi.end_ip == ip + 1))
		return 0;
	return pi.start_ip;
}

/* One walk of a cursor outwards: a thread's whole chain, or the part
 * above a frame whose RBP is a candidate found on the stack (search_rbp). */
struct walk {
	uint64_t *pcs;		/* return addresses found, innermost first */
	size_t npcs, max;
	size_t base;		/* the thread's frame number of pcs[0] */
	uint64_t prev_sp;	/* SP of the frame below pcs[0]; 0 at the innermost */
	char *error;		/* why the walk ended early; NULL when it did not */
	bool deeper;		/* it stopped at max frames, with more beyond */
	/* It ended at a step that asked for a register we lack; `before` is
	 * the cursor at that frame, before the step. */
	bool needs_reg;
	unw_cursor_t before;
	/* It ended where the unwind information says the thread starts (the
	 * return address undefined, as in clone3 and _start), or where the
	 * Go runtime's traceback ends. */
	bool at_start;

	/* For a trial (search_rbp): check each return address against the
	 * call that pushed it (cleak__call_evidence); what the first showed. */
	bool check_calls;
	enum cleak__evidence first_call;
};

static void walk(unw_addr_space_t as, struct cleak__modules *mods, struct unwind_ctx *ctx,
		 unw_cursor_t *cursor, struct walk *w)
{
	const struct cleak__gobin *gb = cleak__snapshot_gobin(mods->snap);
	const struct cleak_thread *t = ctx->thread;
	unw_word_t ip, cur_ip, sp, rbp, prev_sp = w->prev_sp, callee_entry = 0;
	struct cleak__gofunc gofunc;
	enum cleak__evidence e;
	unw_save_loc_t loc;
	bool have_rbp, in_go;
	size_t frame;
	int ret;

	for (;;) {
		if (unw_get_reg(cursor, UNW_REG_IP, &cur_ip) < 0 ||
		    unw_get_reg(cursor, UNW_REG_SP, &sp) < 0)
			return;
		if (cur_ip == 0)
			return;	/* the outermost frame (clone3/_start) ends with 0 */
		/* A trial starts from a return address - 1, looked up as
		 * libunwind looks up callers (search_rbp); record the address. */
		ip = cur_ip + (w->npcs == 0 && w->base > 0 && w->check_calls);
		frame = w->base + w->npcs;
		if (frame > 0 && !cleak__modules_is_code(mods, ip)) {
			w->error = cleak__strdupf("unwinding stopped at 0x%lx, which is not "
				"code (no unwind info for the frame below?)", (unsigned long)ip);
			return;
		}
		/* The stack grows down: each caller's SP is higher.  A frame
		 * that does not move SP up is a loop in garbage, except right
		 * above the innermost frame when that frame already popped its
		 * return address (glibc's vfork keeps it in rdi). */
		if (frame > 0 && sp <= prev_sp && sp != 0 &&
		    !(frame == 1 && sp == prev_sp && ip != t->regs[CLEAK_REG_RIP])) {
			w->error = strdup("unwinding stopped: the stack pointer did not move "
					  "(corrupt stack?)");
			return;
		}
		if (callee_entry) {
			e = cleak__call_evidence(mods, ip, callee_entry, fde_bounds, ctx);
			if (w->npcs == 1)
				w->first_call = e;
			if (e == CLEAK__CALL_CONTRADICTED) {
				w->error = cleak__strdupf("0x%lx does not follow a call that "
					"could have entered the frame below", (unsigned long)ip);
				return;
			}
		}
		prev_sp = sp;
		w->pcs[w->npcs++] = ip;
		in_go = gb && cleak__gofunc_find(gb, ip, &gofunc);
		if (in_go && cleak__gofunc_ends_unwind(&gofunc, frame == 0)) {
			w->at_start = true;
			return;
		}
		if (w->npcs == w->max) {
			/* Truncated only if there is a frame beyond the last. */
			if (unw_step(cursor) > 0 && unw_get_reg(cursor, UNW_REG_IP, &ip) == 0 &&
			    ip != 0) {
				w->deeper = true;
				w->error = cleak__strdupf("stack deeper than %zu frames; raise "
					"--max-frames to see more", w->base + w->max);
			}
			return;
		}
		have_rbp = unw_get_reg(cursor, UNW_X86_64_RBP, &rbp) == 0;
		if (w->check_calls)
			callee_entry = in_go ? gofunc.entry : frame_entry(cursor, cur_ip);
		if (in_go && go_step(gb, &gofunc, as, cursor, ctx, ip, sp, have_rbp, rbp))
			continue;
		ctx->missing_reg = false;
		ctx->noinfo_ip = 0;
		w->before = *cursor;	/* libunwind's cursors may be copied */
		ret = unw_step(cursor);
		/* libunwind looks a return address up at ip - 1. */
		if (ctx->noinfo_ip && (ctx->noinfo_ip == ip || ctx->noinfo_ip == ip - 1) &&
		    have_rbp) {
			/* No CFI for this frame: take the frame-pointer step. */
			if (fp_step(as, cursor, ctx, sp, rbp))
				continue;
			return;	/* the chain ends here */
		}
		if (ret == 0) {
			/* An end the unwind information declares, not a return
			 * address of 0 read from the stack. */
			w->at_start = !ctx->noinfo_ip &&
				      unw_get_save_loc(cursor, UNW_REG_IP, &loc) == 0 &&
				      loc.type == UNW_SLT_NONE;
			return;
		}
		if (ret < 0) {
			if (ctx->missing_reg)
				w->needs_reg = true;
			else if (t->stack_truncated)
				w->error = cleak__strdupf("stack larger than the %zu bytes "
					"copied; raise --stack-bytes", t->stack_len);
			else
				w->error = cleak__strdupf("no unwind information past 0x%lx "
					"(libunwind error %d)", (unsigned long)ip, ret);
			return;
		}
	}
}

/* Are the callers in `chain` (all but its first frame) the last callers
 * of `longer`, which has more?  Then `chain` only skips frames of it. */
static bool skips_frames_of(const uint64_t *longer, size_t nlonger, const uint64_t *chain,
			    size_t n)
{
	return n < nlonger && memcmp(longer + nlonger - (n - 1), chain + 1,
				     (n - 1) * sizeof(*chain)) == 0;
}

/*
 * A thread read without a stop gives only RIP and RSP (the syscall line).
 * When a caller keeps its frame in RBP (frame pointers, alloca, a
 * realigned stack) and no frame below saved RBP, the step past it needs a
 * register that only a stop reveals, and some threads must not be stopped
 * (cleak__why_never_stopped).  Such a frame saved its caller's RBP and
 * return address at the RBP it set up (GCC's realigning prologue pushes a
 * copy of the return address to keep that pair).  So try as RBP each
 * stack word above the frame's SP that has a code address above it, and
 * keep those from which every step succeeds, each return address right
 * after a call that could have entered the frame below
 * (cleak__call_evidence), up to where the unwind information says the
 * thread starts.
 *
 * Stale words left by calls that returned can pass too: a task that ran
 * before, or a buffer alloca did not clear, can hold a whole chain that
 * joins the live one.  And a frame record higher up, whose caller made an
 * indirect call (start_thread, clone3), passes with a chain that skips
 * the frames in between.  So the result must be the only one that fits:
 * either a single candidate passes, or the lowest returns from a call
 * proven to enter this function (by its address, its PLT or GOT symbol,
 * or a tail jump) and every other passing candidate only skips frames of
 * its chain.  When the frame was entered through a pointer and more than
 * one chain fits, nothing on the stack tells a stale chain from the live
 * one, and the search says so.  A candidate that gets past this frame
 * but not to the start stops the search, when nothing passed below it: a
 * higher one would skip the frames it failed on (code generated at run
 * time has no unwind information).
 *
 * NULL when found (frames above frame k in w, marked inferred by the
 * caller), or why not.
 */
static const char *search_rbp(unw_addr_space_t as, struct cleak__modules *mods,
			      struct unwind_ctx *ctx, struct walk *w)
{
	static const int saved[] = { CLEAK_REG_RBX, CLEAK_REG_R12, CLEAK_REG_R13,
				     CLEAK_REG_R14, CLEAK_REG_R15 };
	const struct cleak_thread *t = ctx->thread;
	uint64_t regs[CLEAK_REG_COUNT] = { 0 }, a, ret, end, *pcs = NULL;
	size_t k = w->npcs - 1, i, npass = 0, nother = 0;
	struct walk best = { 0 };
	const char *why = NULL;
	uint32_t known = 0;
	unw_cursor_t cursor;
	unw_word_t v;
	bool passed;

	if (unw_get_reg(&w->before, UNW_REG_IP, &regs[CLEAK_REG_RIP]) < 0 ||
	    unw_get_reg(&w->before, UNW_REG_SP, &regs[CLEAK_REG_RSP]) < 0)
		return "libunwind lost the frame";
	/* Its caller's return address is checked against its entry. */
	if (!frame_entry(&w->before, regs[CLEAK_REG_RIP]))
		return "the frame has no unwind information to check one against";
	known = 1u << CLEAK_REG_RIP | 1u << CLEAK_REG_RSP | 1u << CLEAK_REG_RBP;
	for (i = 0; i < CLEAK__ARRAY_SIZE(saved); i++)
		if (unw_get_reg(&w->before, saved[i], &v) == 0)
			regs[saved[i]] = v, known |= 1u << saved[i];
	/* A new cursor looks its first frame up at its RIP, libunwind its
	 * callers at the return address - 1: which must be here too, or a
	 * call that ends its function (noreturn) finds the next one. */
	if (k > 0)
		regs[CLEAK_REG_RIP]--;
	pcs = malloc(w->max * sizeof(*pcs));
	if (!pcs) {
		why = "out of memory";
		goto out;
	}
	end = t->stack_start + t->stack_len;
	for (a = (regs[CLEAK_REG_RSP] + 7) & ~7ull; a + 16 <= end; a += 8) {
		struct walk trial = { .pcs = w->pcs + k, .max = w->max - k, .base = w->base + k,
				      .check_calls = true };

		/* The cheap test first: a code address just above. */
		if (!read_stack_word(ctx, a + 8, &ret) || !cleak__modules_is_code(mods, ret))
			continue;
		memcpy(ctx->regs, regs, sizeof(regs));
		ctx->regs[CLEAK_REG_RBP] = a;
		ctx->regs_known = known;
		if (unw_init_remote(&cursor, as, ctx) < 0)
			continue;
		walk(as, mods, ctx, &cursor, &trial);
		passed = !trial.error && !trial.needs_reg && trial.at_start;
		free(trial.error);
		if (trial.deeper) {
			why = "a candidate leads deeper than --max-frames, which would have "
			      "to be raised to check it";
			goto out;
		}
		if (!passed) {
			if (!npass && trial.npcs > 1) {
				why = "the lowest that leads past this frame does not lead "
				      "to the thread's start";
				goto out;
			}
			continue;
		}
		if (!npass++) {
			best = trial;
			memcpy(pcs, trial.pcs, trial.npcs * sizeof(*pcs));
		} else if (best.first_call != CLEAK__CALL_PROVEN ||
			   !skips_frames_of(pcs, best.npcs, trial.pcs, trial.npcs)) {
			nother++;
		}
	}
	if (!npass) {
		why = "none that the stack holds leads to the thread's start";
	} else if (nother) {
		why = best.first_call == CLEAK__CALL_PROVEN ?
		      "more than one leads to the thread's start, and the stack cannot "
		      "tell which is the frame's own" :
		      "more than one leads to the thread's start, and the frame was "
		      "entered through a pointer, so the stack cannot tell which is "
		      "its own";
	} else {
		memcpy(w->pcs + k, pcs, best.npcs * sizeof(*pcs));
		w->npcs = k + best.npcs;
	}
out:
	if (why)
		w->npcs = k + 1;	/* the trials wrote over what was above frame k */
	free(pcs);
	return why;
}

static void unwind_thread(unw_addr_space_t as, struct cleak__modules *mods,
			  struct cleak_snapshot *snap, struct cleak_thread *t,
			  unsigned max_frames)
{
	struct unwind_ctx ctx = { .as = as, .mods = mods, .thread = t };
	struct walk w = { .max = max_frames };
	const char *why;
	unw_cursor_t cursor;
	int ret;

	t->npcs = 0;
	t->needs_regs = false;
	t->unwind_truncated = false;
	t->inferred_from = 0;
	if (t->how == CLEAK_CAPTURE_NONE || !(t->regs_known & (1u << CLEAK_REG_RIP)))
		return;
	t->pcs = calloc(max_frames, sizeof(*t->pcs));
	if (!t->pcs)
		return;
	memcpy(ctx.regs, t->regs, sizeof(ctx.regs));
	ctx.regs_known = t->regs_known;
	ret = unw_init_remote(&cursor, as, &ctx);
	if (ret < 0) {
		t->pcs[t->npcs++] = t->regs[CLEAK_REG_RIP];
		cleak__thread_set_error(t, cleak__strdupf("cannot start unwinding (libunwind "
							  "error %d)", ret));
		t->unwind_truncated = true;
		return;
	}
	w.pcs = t->pcs;
	walk(as, mods, &ctx, &cursor, &w);
	if (w.needs_reg && (t->regs_known & (1u << CLEAK_REG_RBP)) == 0 &&
	    t->how == CLEAK_CAPTURE_SYSCALL && (why = cleak__why_never_stopped(snap, t))) {
		size_t first_inferred = w.npcs;	/* the caller of the frame that needs RBP */
		const char *none = search_rbp(as, mods, &ctx, &w);

		if (!none) {
			w.needs_reg = false;
			t->inferred_from = first_inferred;
		} else {
			w.error = cleak__strdupf("a caller keeps its frame pointer in RBP, "
				"which only a ptrace stop can read, and the thread was not "
				"stopped (%s); of the saved frames on the stack, %s", why, none);
		}
	} else if (w.needs_reg) {
		t->needs_regs = true;
		w.error = strdup("a caller keeps its frame pointer in RBP, which only a "
				 "ptrace stop can read, and the thread was read without one");
	}
	t->npcs = w.npcs;
	if (w.error || w.needs_reg) {
		t->unwind_truncated = true;
		cleak__thread_set_error(t, w.error);
	}
}

/* Goroutines unwind with the binary's own tables (gounwind.c). */
static int unwind_goroutines(struct cleak_snapshot *snap)
{
	struct cleak__gobin *gb = cleak__snapshot_gobin(snap);
	int err;

	if (!snap->go || !gb)
		return 0;
	err = cleak__go_unwind(snap, gb);
	if (err)
		return cleak__fail(-err, "cannot unwind the goroutines: %s", strerror(-err));
	return 0;
}

int cleak_snapshot_unwind(struct cleak_snapshot *snap,
			  const struct cleak_unwind_opts *opts)
{
	unsigned max_frames = CLEAK_DEFAULT_MAX_FRAMES;
	const char *sysroot = NULL;
	struct cleak__modules *mods;
	unw_addr_space_t as;
	size_t i;

	if (opts && opts->sz >= sizeof(*opts)) {
		if (opts->max_frames)
			max_frames = opts->max_frames;
		sysroot = opts->sysroot;
	}
	mods = cleak__snapshot_modules(snap, sysroot);
	if (!mods)
		return cleak__fail(ENOMEM, "out of memory");
	as = unw_create_addr_space(&accessors, 0);
	if (!as)
		return cleak__fail(ENOMEM, "libunwind: cannot create an address space");
	/* One register-state cache for all threads: they run the same code.
	 * (libunwind 1.6 still takes a lock, with sigprocmask, on each step,
	 * whatever the policy; bench/results.md counts about 34 per thread.) */
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	for (i = 0; i < snap->nthreads; i++) {
		struct cleak_thread *t = &snap->threads[i];

		if (t->npcs)
			continue;	/* unwound by an earlier pass */
		free(t->pcs);
		t->pcs = NULL;
		unwind_thread(as, mods, snap, t, max_frames);
	}
	unw_destroy_addr_space(as);
	return unwind_goroutines(snap);
}
