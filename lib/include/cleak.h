/* SPDX-License-Identifier: MIT */
/*
 * cleak.h - the only public header of libcleak.
 *
 * libcleak inspects a running Linux process from outside.  Work is split in
 * stages that never overlap with the target being stopped:
 *
 *   cleak_snapshot_capture()    stop as little as possible, copy registers,
 *                               live stacks and /proc lines, resume
 *   cleak_snapshot_unwind()     turn each copied stack into return addresses
 *                               (libunwind over the copy, no ptrace)
 *   cleak_snapshot_symbolize()  addresses to functions, inlined frames and
 *                               source lines (libdw/libelf)
 *   cleak_snapshot_group()      threads with identical state and stack
 *
 * A snapshot is plain data: it holds no pointer into the live process and
 * no open handle once capture returns, and it round-trips through JSON
 * (cleak_snapshot_write_json / cleak_snapshot_read_json).
 *
 * Conventions: functions return 0 or a negative errno; the message behind a
 * failure is in cleak_errmsg() (per calling thread).  Objects returned
 * through an `out` pointer belong to the caller and are released with the
 * matching _free(), which accepts NULL.  The library never prints and never
 * exits.
 */
#ifndef CLEAK_H
#define CLEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CLEAK_VERSION "0.1.0"

/* The message behind the last failed call on this thread ("" if none). */
const char *cleak_errmsg(void);

/* How a thread's registers and stack were obtained. */
enum cleak_capture_how {
	CLEAK_CAPTURE_NONE = 0,	/* nothing copied (gone, zombie, refused) */
	CLEAK_CAPTURE_SYSCALL,	/* blocked in a syscall: read without a stop */
	CLEAK_CAPTURE_STOPPED,	/* ptrace-stopped briefly for its registers */
};

/* x86-64 registers that unwinding uses, in DWARF numbering order. */
enum cleak_reg {
	CLEAK_REG_RAX, CLEAK_REG_RDX, CLEAK_REG_RCX, CLEAK_REG_RBX,
	CLEAK_REG_RSI, CLEAK_REG_RDI, CLEAK_REG_RBP, CLEAK_REG_RSP,
	CLEAK_REG_R8, CLEAK_REG_R9, CLEAK_REG_R10, CLEAK_REG_R11,
	CLEAK_REG_R12, CLEAK_REG_R13, CLEAK_REG_R14, CLEAK_REG_R15,
	CLEAK_REG_RIP,
	CLEAK_REG_COUNT
};

/* Frame strings are owned by the snapshot and live as long as it does. */
struct cleak_frame {
	uint64_t pc;		/* as found; return addresses are not adjusted */
	bool inlined;		/* this function was inlined into the next frame (its caller) */
	char *function;		/* demangled; NULL when unknown */
	char *module;		/* path of the mapped file; NULL for anonymous */
	uint64_t module_offset;	/* pc relative to the module's load bias */
	char *file;		/* source file; NULL without line info */
	int line;		/* 0 when unknown */
	int column;		/* 0 when unknown */
};

struct cleak_thread {
	pid_t tid;
	char name[64];		/* /proc/<pid>/task/<tid>/comm */
	char state;		/* /proc stat field 3: R S D T t Z X I */
	uint64_t start_time;	/* clock ticks after boot; (tid, start_time) is an identity */
	uint64_t utime, stime;	/* clock ticks */

	/* /proc/<pid>/task/<tid>/syscall, read before any stop */
	long syscall_nr;	/* -1: not in a syscall; -2: running */
	uint64_t syscall_args[6];
	char wchan[64];

	/* capture */
	enum cleak_capture_how how;
	uint64_t regs[CLEAK_REG_COUNT];
	uint32_t regs_known;	/* bit i set: regs[i] is valid */
	uint64_t stack_start;	/* target address of stack[0] (the SP) */
	uint8_t *stack;
	size_t stack_len;
	bool stack_truncated;	/* live stack was larger than the copy limit */
	uint32_t pause_us;	/* how long this thread was ptrace-stopped */
	bool was_stopped;	/* group-stopped (SIGSTOP) before capture: left so */

	/* unwind + symbolize */
	uint64_t *pcs;		/* raw return-address chain, pcs[0] = IP */
	size_t npcs;
	struct cleak_frame *frames;
	size_t nframes;
	bool unwind_truncated;	/* chain ended early; reason in error */
	bool needs_regs;	/* unwinding needed a register the syscall line lacks */

	/* Why this thread is incomplete (NULL when it is not). */
	char *error;
};

struct cleak_mapping {
	uint64_t start, end, offset;
	char perms[5];
	uint64_t inode;
	char *path;		/* as in /proc/<pid>/maps, " (deleted)" stripped */
	bool deleted;
};

struct cleak_capture_info {
	bool freeze;			/* all threads stopped together */
	uint64_t wall_us;		/* whole capture */
	uint64_t pause_us;		/* freeze: stop-to-resume; else sum of per-thread stops */
	uint64_t max_thread_pause_us;
	unsigned threads_stopped;	/* threads that needed a ptrace stop */
	unsigned threads_unstopped;	/* read while blocked, never stopped */
	unsigned threads_vanished;	/* exited during capture */
	size_t stack_bytes;		/* total bytes of stack copied */
	int64_t time_unix_ms;		/* when the capture started */
};

struct cleak_snapshot {
	pid_t pid;
	char comm[64];
	char *exe;			/* NULL if unreadable */
	bool exe_deleted;
	struct cleak_capture_info capture;
	struct cleak_thread *threads;
	size_t nthreads;
	struct cleak_mapping *maps;
	size_t nmaps;
	/* A copy of the [vdso] so that frames in it unwind without the target. */
	uint64_t vdso_start;
	uint8_t *vdso;
	size_t vdso_len;
	/* Library-owned storage (frame strings); do not touch. */
	void *priv;
};

struct cleak_capture_opts {
	size_t sz;		/* sizeof(struct cleak_capture_opts) */
	bool freeze;		/* stop every thread together for one instant */
	size_t max_stack_bytes;	/* live-stack copy limit per thread; 0 = default */
	const pid_t *tids;	/* capture only these threads (NULL: all) */
	size_t ntids;
};

#define CLEAK_DEFAULT_STACK_BYTES (512u * 1024)
#define CLEAK_DEFAULT_MAX_FRAMES 256

/*
 * Capture a snapshot of process `pid`.  Errors that leave nothing to show
 * (no such process, no permission, kernel thread, zombie) are returned as
 * -errno with a message; per-thread problems are recorded on the thread.
 */
int cleak_snapshot_capture(pid_t pid, const struct cleak_capture_opts *opts,
			   struct cleak_snapshot **out);

/*
 * Stop and copy again the threads that were read without a stop but whose
 * unwinding needed more registers (threads[].needs_regs), except those
 * whose call a stop would interrupt with EINTR.  Returns how many were
 * taken again; unwind again afterwards.
 */
int cleak_snapshot_recapture(struct cleak_snapshot *snap,
			     const struct cleak_capture_opts *opts);

struct cleak_unwind_opts {
	size_t sz;
	unsigned max_frames;	/* 0 = CLEAK_DEFAULT_MAX_FRAMES */
	/* Root of the target's file system for resolving module paths
	 * (NULL: /proc/<pid>/root, which also works across containers). */
	const char *sysroot;
};

/* Fill threads[].pcs from the copied registers and stacks. */
int cleak_snapshot_unwind(struct cleak_snapshot *snap,
			  const struct cleak_unwind_opts *opts);

struct cleak_symbolize_opts {
	size_t sz;
	bool inlines;		/* expand inlined frames (default in CLI) */
	bool lines;		/* source file:line */
	bool demangle;
	const char *debuginfo_path;	/* extra separate-debug search dirs, ':' separated */
	const char *sysroot;	/* as in cleak_unwind_opts */
};

/* Fill threads[].frames from threads[].pcs. */
int cleak_snapshot_symbolize(struct cleak_snapshot *snap,
			     const struct cleak_symbolize_opts *opts);

void cleak_snapshot_free(struct cleak_snapshot *snap);

/* Threads with the same state, syscall and frames form one group. */
struct cleak_group {
	size_t *members;	/* indexes into snap->threads, ascending tid */
	size_t nmembers;
};

int cleak_snapshot_group(const struct cleak_snapshot *snap,
			 struct cleak_group **out, size_t *ngroups);
void cleak_groups_free(struct cleak_group *groups, size_t ngroups);

/* The stable JSON form (documented in cleak-stack(1)). */
int cleak_snapshot_write_json(const struct cleak_snapshot *snap, FILE *f,
			      bool pretty);
int cleak_snapshot_read_json(FILE *f, struct cleak_snapshot **out);

/* A name for a syscall number ("futex"), or NULL. */
const char *cleak_syscall_name(long nr);

#ifdef __cplusplus
}
#endif
#endif /* CLEAK_H */
