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

/*
 * Where the runtime keeps what cleak reads, for one Go release on amd64
 * (offsets in bytes).  Checked against each release's DWARF and against
 * the runtime's own goroutine dump (tests/e2e/test_go.py).
 */
struct cleak__golayout {
	int minor;			/* Go 1.<minor> */
	uint32_t g_size;
	uint32_t g_m, g_sched, g_syscallsp, g_syscallpc, g_atomicstatus, g_goid;
	uint32_t g_waitsince, g_waitreason, g_lockedm, g_parentgoid, g_gopc;
	uint32_t g_startpc, g_waiting;
	uint32_t m_procid;
	uint32_t sudog_size, sudog_c, sudog_waitlink;
	uint32_t hchan_elemtype;
	uint32_t md_types, md_gofunc;	/* runtime.moduledata (symtab.go) */
	uint8_t funcid_wrapper;		/* abi.FuncIDWrapper */
	const char *const *waitreasons;	/* runtime.waitReasonStrings */
	size_t nwaitreasons;
	size_t nstatuses;		/* entries of gStatusStrings */
};

/* The fixed parts of runtime.g (all releases 1.19-1.26). */
#define CLEAK__G_STACK_LO 0
#define CLEAK__G_STACK_HI 8
#define CLEAK__GOBUF_SP 0
#define CLEAK__GOBUF_PC 8

/* runtime2.go goroutine states. */
enum {
	CLEAK__G_IDLE, CLEAK__G_RUNNABLE, CLEAK__G_RUNNING, CLEAK__G_SYSCALL,
	CLEAK__G_WAITING, CLEAK__G_MORIBUND_UNUSED, CLEAK__G_DEAD,
	CLEAK__G_ENQUEUE_UNUSED, CLEAK__G_COPYSTACK, CLEAK__G_PREEMPTED,
	CLEAK__G_LEAKED, CLEAK__G_DEADEXTRA,
};
#define CLEAK__G_SCAN 0x1000

/* The releases cleak reads: Go 1.<OLDEST> to Go 1.<NEWEST>. */
#define CLEAK__GO_OLDEST 19
#define CLEAK__GO_NEWEST 26

/* The layout for Go 1.<minor>, or NULL for a release cleak does not know. */
const struct cleak__golayout *cleak__golayout_for(int minor);
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

struct cleak__gobin {
	/* the executable, mapped whole */
	const uint8_t *image;
	size_t image_len;
	char version[32];		/* "go1.26.0" */
	int minor;			/* 26 */
	char *module;			/* main module path, NULL if none */
	char *main_path;		/* main package path */
	const struct cleak__golayout *layout;	/* NULL: unknown release */
	uint64_t bias;			/* runtime address - file address */
	struct {
		uint64_t vaddr, offset, filesz;
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
	/* capture: the goroutines' stack copies (until unwound) and the
	 * element types of go->chans (until named) */
	uint8_t *stack_arena, *stack_arena2;
	uint64_t *chan_types;
	/* frozen capture: what was read before the freeze (gocapture.c) */
	struct cleak__goprefetch {
		struct cleak_goroutine *goroutines;
		uint64_t *addrs;
		struct graw *gs;
		size_t n;
		struct gchans *gc;	/* their channels */
	} pre;
	size_t reused;			/* goroutines whose prefetched stack was kept */
	struct cleak__goscratch {
		uint8_t *buf;
		size_t len;
	} scratch;			/* the gs as read, kept between passes */
	/* runtime.waitReasonStrings read from the binary, if it could be */
	char **waitreasons;
	size_t nwaitreasons;
};

/*
 * Open the executable of `snap` and learn what reading its goroutines
 * needs, without stopping it.  Returns 0 and *out = NULL for a program
 * that is not Go; -errno with a message when it is Go but cannot be read
 * (*out is then still set, with what is known, e.g. the version).
 */
int cleak__gobin_open(const struct cleak_snapshot *snap, struct cleak__gobin **out);
void cleak__gobin_free(struct cleak__gobin *gb);
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
 * gocapture.c: read the goroutines.  PREFETCH, before a freeze, copies
 * stacks while the process runs; FROZEN, with every thread stopped, reads
 * the gs again and keeps the prefetched stacks of goroutines that did not
 * move, so the freeze lasts as long as reading the gs; NONBLOCKING stops
 * nothing and leaves out what moved.
 */
enum cleak__go_mode { CLEAK__GO_PREFETCH, CLEAK__GO_FROZEN, CLEAK__GO_NONBLOCKING };
struct graw;
struct gchans;
int cleak__go_capture(struct cleak_snapshot *snap, struct cleak__gobin *gb,
		      enum cleak__go_mode mode, size_t stack_limit);
/* The user goroutines of a running process, counted without a stop. */
int cleak__go_count(pid_t pid, const struct cleak__gobin *gb, long *count);
/* isSystemGoroutine for a goroutine started at `startpc`. */
bool cleak__go_system(const struct cleak__gobin *gb, uint64_t startpc, const char *wait_reason);
void cleak__go_release_prefetch(struct cleak__goprefetch *pre);
/* After the target runs again: names of channel element types. */
void cleak__go_capture_finish(struct cleak_snapshot *snap, struct cleak__gobin *gb);
/* gounwind.c */
int cleak__go_unwind(struct cleak_snapshot *snap, const struct cleak__gobin *gb);
int cleak__go_symbolize(struct cleak_snapshot *snap, const struct cleak__gobin *gb);
void cleak__go_release(struct cleak_go *go);

/* snapshot.c: the Go executable's tables, kept until the snapshot is freed. */
struct cleak__gobin *cleak__snapshot_gobin(const struct cleak_snapshot *snap);
int cleak__snapshot_set_gobin(struct cleak_snapshot *snap, struct cleak__gobin *gb);

#endif
