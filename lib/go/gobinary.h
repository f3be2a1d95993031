/* SPDX-License-Identifier: MIT */
/*
 * gobinary.h - what libcleak knows about a Go executable, shared by the
 * go*.c files: its version and tables (gobinary.c), the runtime's layouts
 * for that version (goruntime.c), reading goroutines (gocapture.c) and
 * unwinding them (gounwind.c).  Internal; not part of the public API.
 */
#ifndef CLEAK_GOBINARY_H
#define CLEAK_GOBINARY_H

#include "internal.h"

#include <libelf.h>

/*
 * One Go release, as cleak reads it on amd64: where the runtime keeps what
 * cleak reads (offsets in bytes), and how that release behaves where
 * cleak's rules differ by release (CLEAK__GO_* flags).  The built-in rows
 * (goruntime.c) were generated from each release's DWARF by
 * scripts/go-layout.sh and are checked against the fixtures built with
 * that release (tests/e2e/test_go.py); for a release cleak has not seen,
 * godwarf.c reads the same row from the binary's DWARF.
 */
struct cleak__golayout {
	int minor;			/* Go 1.<minor> */
	unsigned flags;			/* CLEAK__GO_* */
	/* runtime.g */
	uint32_t g_size;
	uint32_t g_m, g_sched, g_syscallsp, g_syscallpc, g_atomicstatus, g_goid;
	uint32_t g_waitsince, g_waitreason, g_lockedm, g_parentgoid, g_gopc;
	uint32_t g_startpc, g_waiting;
	uint32_t m_procid;		/* runtime.m */
	uint32_t sudog_size, sudog_c, sudog_waitlink;
	uint32_t hchan_elemtype;	/* runtime.hchan */
	/* runtime.moduledata (symtab.go) */
	uint32_t md_text, md_etext, md_types, md_etypes, md_gofunc;
	uint8_t funcid_wrapper;		/* abi.FuncIDWrapper */
	const char *const *waitreasons;	/* runtime.waitReasonStrings */
	size_t nwaitreasons;
	size_t nstatuses;		/* entries of gStatusStrings */
};

/* How a release behaves, where cleak's rules follow it. */
enum {
	/* Go 1.20 and older: the traceback walks at most 100 physical
	 * frames and records no parent goroutine ("in goroutine N") */
	CLEAK__GO_OLD_TRACEBACK = 1u << 0,
	/* Go 1.20 on: the function table of pcHeader magic 0xfffffff1 */
	CLEAK__GO_PCLNTAB_120 = 1u << 1,
	/* Go 1.23 on: isExportedRuntime looks at the method of a receiver
	 * ("runtime.(*Frames).Next"), not only at the first letter */
	CLEAK__GO_EXPORTED_RUNTIME_123 = 1u << 2,
	/* Go 1.25 on: runtime.runFinalizers and runCleanups are shown */
	CLEAK__GO_SHOWS_FINALIZERS = 1u << 3,
	/* Go 1.26 and older: the leak detector also reports goroutine 1
	 * parked in select {}; Go 1.27 puts it back (mgc.go
	 * findGoroutineLeaks), so cleak does not call it leaked either */
	CLEAK__GO_MAIN_SELECT_LEAKS = 1u << 4,
};

/* The fixed parts of runtime.g, gobuf and hchan (every release cleak
 * reads; godwarf.c checks them for a release it has not seen). */
#define CLEAK__G_STACK_LO 0
#define CLEAK__G_STACK_HI 8
#define CLEAK__GOBUF_SP 0
#define CLEAK__GOBUF_PC 8
#define CLEAK__HCHAN_QCOUNT 0
#define CLEAK__HCHAN_DATAQSIZ 8
#define CLEAK__HCHAN_ELEMSIZE 24
#define CLEAK__HCHAN_CLOSED 28
#define CLEAK__SUDOG_G 0

/* runtime2.go goroutine states. */
enum {
	CLEAK__G_IDLE, CLEAK__G_RUNNABLE, CLEAK__G_RUNNING, CLEAK__G_SYSCALL,
	CLEAK__G_WAITING, CLEAK__G_MORIBUND_UNUSED, CLEAK__G_DEAD,
	CLEAK__G_ENQUEUE_UNUSED, CLEAK__G_COPYSTACK, CLEAK__G_PREEMPTED,
	CLEAK__G_LEAKED, CLEAK__G_DEADEXTRA,
};
#define CLEAK__G_SCAN 0x1000

/* The releases cleak has tables for: Go 1.<OLDEST> to Go 1.<NEWEST>. */
#define CLEAK__GO_OLDEST CLEAK_GO_OLDEST
#define CLEAK__GO_NEWEST CLEAK_GO_NEWEST

/* The layout for Go 1.<minor>, or NULL for a release cleak does not know. */
const struct cleak__golayout *cleak__golayout_for(int minor);
/* The newest row: the rules a newer release is read by. */
const struct cleak__golayout *cleak__golayout_newest(void);

/* godwarf.c: what the runtime's DWARF says, for a release cleak has not seen. */
struct cleak__godwarf {
	/* every offset, funcid_wrapper and nstatuses; minor, flags and
	 * waitreasons are left 0 */
	struct cleak__golayout layout;
	uint64_t waitreasons_addr;	/* file address of runtime.waitReasonStrings, 0 when absent */
	size_t nwaitreasons;		/* its array length */
	/* values of the runtime.waitReason* constants cleak acts on, -1 when absent */
	int wr_chan_receive, wr_chan_send, wr_select, wr_select_no_cases,
	    wr_chan_receive_nil, wr_chan_send_nil;
};
/* 0; -ENOENT with a message when the binary has no DWARF (stripped, -w);
 * -EINVAL with a message that names the type, member or constant that is
 * missing or not what cleak expects. */
int cleak__godwarf_read(Elf *elf, struct cleak__godwarf *out);
/* gStatusStrings[status], "???" when out of range (as goroutineheader). */
const char *cleak__gostatus_name(uint32_t status);

/* One entry of the function table (pclntab's _func), decoded. */
struct cleak__gofunc {
	const uint8_t *raw;		/* the _func record */
	const uint8_t *tables;		/* after it: npcdata, then nfuncdata u32 offsets */
	uint64_t entry;			/* runtime address */
	const char *name;
	uint8_t funcid, flag, nfuncdata;
};
#define CLEAK__FUNCFLAG_TOPFRAME 1
#define CLEAK__FUNCFLAG_SPWRITE 2
#define CLEAK__FUNCFLAG_ASM 4		/* written in assembly (Go 1.19 on) */

/* The fields of runtime.g that cleak uses, as read (gocapture.c). */
struct graw {
	uint64_t addr;
	uint64_t stack_lo, stack_hi, m, sched_sp, sched_pc, syscallsp, syscallpc;
	uint64_t goid, lockedm, parentgoid, gopc, startpc, waiting;
	int64_t waitsince;
	uint32_t status;
	uint8_t waitreason;
};

struct cleak__gobin {
	/* the executable, mapped whole */
	const uint8_t *image;
	size_t image_len;
	char version[32];		/* "go1.26.0" */
	int minor;			/* 26 */
	char *module;			/* main module path, NULL if none */
	char *main_path;		/* main package path */
	const struct cleak__golayout *layout;	/* NULL: unknown release */
	enum cleak_go_layout layout_source;
	struct cleak__golayout own;	/* a newer release's row (layout points here) */
	uint64_t bias;			/* runtime address - file address */
	struct cleak__gobin_seg {
		uint64_t vaddr, offset, filesz, memsz;
		uint32_t flags;		/* PF_X, PF_W, PF_R */
	} segs[16];			/* PT_LOAD: file address -> file offset */
	size_t nsegs;

	/* .gopclntab */
	const uint8_t *pcln;
	size_t pcln_len;
	uint32_t nfunc;
	uint8_t minlc;
	/* Its format, which the header's magic names: Go 1.20 added
	 * startLine to _func (44 bytes, 40 before) and rewrote the inline
	 * tree's entries (runtime.inlinedCall of each release's symtab.go). */
	uint8_t func_size;
	struct {
		uint8_t size, funcid, nameoff, parentpc;
	} inl;
	const uint8_t *funcnametab, *cutab, *filetab, *pctab, *functab;
	size_t funcnametab_len, cutab_len, filetab_len, pctab_len, functab_len;

	/* runtime addresses, from the live moduledata */
	uint64_t moduledata, text, etext, types, etypes, gofunc;
	uint64_t allgs;			/* &runtime.allgs */
	/* runtime.waitReasonStrings read from the binary, if it could be */
	char **waitreasons;
	size_t nwaitreasons;
	struct cleak__godwarf dwarf;	/* layout_source DWARF: what it said */
};

/*
 * Open the executable of `snap` and learn what reading its goroutines
 * needs, without stopping it.  Returns 0 and *out = NULL for a program
 * that is not Go; -errno with a message when it is Go but cannot be read
 * (*out is then still set, with what is known, e.g. the version).
 */
int cleak__gobin_open(const struct cleak_snapshot *snap, struct cleak__gobin **out);
void cleak__gobin_free(struct cleak__gobin *gb);
/* The steps of cleak__gobin_open (goopen.c) that read: the ELF and its
 * build info (-ENOENT and friends for a file that is not Go), pclntab,
 * where the executable and its moduledata are in the process, and
 * runtime.allgs with the binary's own wait reasons. */
int cleak__gobin_read_image(struct cleak__gobin *gb, const char *path, Elf **elf);
int cleak__gobin_read_pclntab(struct cleak__gobin *gb, Elf *elf);
int cleak__gobin_find_moduledata(struct cleak__gobin *gb, Elf *elf,
				 const struct cleak_snapshot *snap);
int cleak__gobin_find_allgs(struct cleak__gobin *gb, Elf *elf, pid_t pid);
/* The wait reason numbered i: the binary's own table, else the release's;
 * NULL past its end. */
const char *cleak__go_wait_reason(const struct cleak__gobin *gb, uint8_t i);
size_t cleak__go_nwaitreasons(const struct cleak__gobin *gb);
/* n Go strings ({ptr, len} pairs at runtime address `addr`) copied out
 * of the process: 0, or -EINVAL when one does not point into the binary. */
int cleak__gobin_read_strings(const struct cleak__gobin *gb, pid_t pid, uint64_t addr, size_t n,
			      char ***out);
/* The segment holding file address `vaddr`, or NULL. */
const struct cleak__gobin_seg *cleak__gobin_seg_of(const struct cleak__gobin *gb, uint64_t vaddr);
/* "go1.26.0" -> 26; -1 for anything else ("devel ...", "go2"). */
int cleak__go_minor(const char *version);
/* Just the version of the Go executable at `path` ("" if not Go). */
int cleak__go_version_of(const char *path, char *version, size_t size);

/* The file's bytes at file virtual address `vaddr`, or NULL. */
const uint8_t *cleak__gobin_at(const struct cleak__gobin *gb, uint64_t vaddr, size_t len);

/* pclntab lookups; `pc` is a runtime address. */
bool cleak__gofunc_find(const struct cleak__gobin *gb, uint64_t pc, struct cleak__gofunc *f);
/* pcvalue(f, table, pc) of symtab.go; -1 when not found. */
int32_t cleak__gofunc_pcvalue(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
			      uint32_t table_off, uint64_t pc);
uint32_t cleak__gofunc_field(const struct cleak__gofunc *f, size_t offset);
#define CLEAK__FUNC_PCSP 16
#define CLEAK__FUNC_PCFILE 20
#define CLEAK__FUNC_PCLN 24
#define CLEAK__FUNC_NPCDATA 28
#define CLEAK__FUNC_CUOFFSET 32
/*
 * Where the runtime's unwinder stops (traceback.go): at a TOPFRAME
 * function (runtime.mstart, goexit, rt0_go), and at one that writes SP
 * (SPWRITE: mcall, systemstack, asmcgocall switch stacks), whose frame
 * size it cannot know, unless `sp_known` (the frame is the innermost one
 * and its SP was read) or it is runtime.cgocallback, under which its C
 * caller goes on.
 */
bool cleak__gofunc_ends_unwind(const struct cleak__gofunc *f, bool sp_known);
/* The pcdata table offset `i` of f, 0 when absent. */
uint32_t cleak__gofunc_pcdata(const struct cleak__gofunc *f, uint32_t i);
/* funcdata `i` of f as bytes of the file, NULL when absent. */
const uint8_t *cleak__gofunc_funcdata(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
				      uint32_t i, size_t len);
const char *cleak__gofunc_name_at(const struct cleak__gobin *gb, int32_t nameoff);
/* File and line of `pc` in f (funcline1). */
const char *cleak__gofunc_line(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
			       uint64_t pc, int *line);

/*
 * gocheck.c: what cleak checks before it reads a release it has no table
 * for (the checks are named in cleak-stack(1), Go releases).
 */
/* Pick gb->layout for gb->minor: the built-in row, else one from the
 * binary's DWARF, else (stripped) the newest row, to be checked. */
int cleak__go_choose_layout(struct cleak__gobin *gb, Elf *elf);
/* The wait-reason table of a newer release: from .symtab or DWARF, else
 * found by its content; and the reasons cleak acts on must be in it. */
int cleak__go_find_waitreasons(struct cleak__gobin *gb, pid_t pid);
/* The fields of a layout lie inside their structs. */
int cleak__golayout_check(const struct cleak__gobin *gb, const struct cleak__golayout *L);
/* moduledata's fields must point where such data lives in the binary. */
int cleak__go_check_moduledata(const struct cleak__gobin *gb);
/* The refusal of a newer release whose reading failed a check: the
 * message names the release, how it was read, and `what` failed. */
int cleak__go_check_refusal(const struct cleak__gobin *gb, const char *what, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Before goroutines read with a layout not from cleak's own table are
 * kept: the invariants of what was read (`pending`; gs[i] is
 * snap->go->goroutines[i]; those with skip[i] moved while read and are
 * not looked at; without a snapshot, threads are not).  With skip (read
 * without a stop), a goroutine caught on its way on or off a thread is
 * marked moved in it, unless most are.  0, or -EPROTO with a message
 * naming the first that failed and every goroutine dropped.
 */
struct cleak__gopending;
int cleak__go_check_pending(struct cleak_snapshot *snap, const struct cleak__gobin *gb,
			    const struct cleak__gopending *pending, bool *skip);
/* Free every goroutine of go (what a failed check leaves). */
void cleak__go_drop_goroutines(struct cleak_go *go);

/* isSystemGoroutine for a goroutine started at `startpc`. */
bool cleak__go_system(const struct cleak__gobin *gb, uint64_t startpc, const char *wait_reason);
/* gounwind.c */
int cleak__go_unwind(struct cleak_snapshot *snap, const struct cleak__gobin *gb);
int cleak__go_symbolize(struct cleak_snapshot *snap, const struct cleak__gobin *gb);

/* The Go executable's tables, attached to the snapshot until it is freed. */
struct cleak__gobin *cleak__snapshot_gobin(const struct cleak_snapshot *snap);
int cleak__snapshot_set_gobin(struct cleak_snapshot *snap, struct cleak__gobin *gb);

#endif
