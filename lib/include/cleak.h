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
 *   cleak_snapshot_classify()   what each thread waits for: a mutex and
 *                               its holder, a descriptor, a child, ...
 *   cleak_snapshot_find_deadlocks()  cycles in the wait-for graph,
 *                               confirmed by a second look
 *   cleak_snapshot_group()      threads with identical state, wait and stack
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
/*
 * The Go releases whose runtime layouts cleak has tables for (every doc
 * that names the range takes it from here; a test keeps them in step).
 * A newer release is read from its DWARF, or checked (cleak-stack(1)).
 */
#define CLEAK_GO_OLDEST 19
#define CLEAK_GO_NEWEST 27

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
	/* pc minus the function's entry, for Go frames (the runtime's
	 * "+0x1f"); 0 when unknown and for inlined frames. */
	uint64_t func_offset;
	/* Found through an RBP that was searched for on the stack rather than
	 * read (a thread that a stop would disturb; unwind.c). */
	bool inferred;
};

/* What a blocked thread waits for; names in cleak_wait_kind_name(). */
enum cleak_wait_kind {
	CLEAK_WAIT_UNKNOWN = 0,
	CLEAK_WAIT_RUNNING,	/* on a CPU or runnable */
	CLEAK_WAIT_MUTEX,
	CLEAK_WAIT_RWLOCK,
	CLEAK_WAIT_CONDVAR,
	CLEAK_WAIT_SEMAPHORE,
	CLEAK_WAIT_FUTEX,	/* any other futex wait */
	CLEAK_WAIT_JOIN,	/* pthread_join */
	CLEAK_WAIT_POLL,	/* epoll_wait, poll, select, ppoll, pselect */
	CLEAK_WAIT_READ,
	CLEAK_WAIT_WRITE,
	CLEAK_WAIT_ACCEPT,
	CLEAK_WAIT_CONNECT,
	CLEAK_WAIT_SLEEP,
	CLEAK_WAIT_CHILD,	/* "wait-child": waitpid, waitid, vfork */
	CLEAK_WAIT_SIGNAL,	/* pause, sigsuspend, sigwait* */
	CLEAK_WAIT_DISK,	/* uninterruptible sleep (state D) */
	CLEAK_WAIT_STOPPED,
	CLEAK_WAIT_ZOMBIE,
	CLEAK_WAIT_SYSCALL,	/* any other system call */
	CLEAK_WAIT__COUNT
};

/* "mutex", "wait-child", ...; NULL when out of range. */
const char *cleak_wait_kind_name(enum cleak_wait_kind kind);
/* The kind with that name, or -1. */
int cleak_wait_kind_from_name(const char *name);

/* Whether a wait can end by itself. */
enum cleak_timeout {
	CLEAK_TIMEOUT_UNKNOWN = 0,	/* e.g. a socket's SO_RCVTIMEO is invisible */
	CLEAK_TIMEOUT_NONE,		/* unbounded: only another party ends it */
	CLEAK_TIMEOUT_BOUNDED,		/* a timed wait */
};

/* A descriptor that a poll watches. Strings are owned by the snapshot. */
struct cleak_watched_fd {
	int fd;
	char *resource;
};

/* Filled by cleak_snapshot_classify(); strings are owned by the snapshot. */
struct cleak_wait {
	enum cleak_wait_kind kind;
	uint64_t address;	/* the lock, condvar, semaphore or futex word; 0: none */
	pid_t owner_tid;	/* mutex holder or rwlock writer; 0: unknown or none */
	pid_t joined_tid;	/* join: the thread being joined */
	pid_t child_pid;	/* wait-child: the child; -1: any child */
	char *child_comm;	/* its command, when known */
	bool for_write;		/* rwlock: waiting to write (else to read) */
	int fd;			/* the descriptor waited on; -1: none */
	char *resource;		/* what fd or address is, in words */
	char *detail;		/* more words ("priority-inheritance mutex", ...) */
	struct cleak_watched_fd *watched;	/* poll: the descriptors watched */
	size_t nwatched;
	/* stopped: what the thread was doing when it was stopped (its
	 * holder and descriptor fields are kept). */
	enum cleak_wait_kind stopped_while;
	enum cleak_timeout timeout;
	/* The timeout the call was given (relative ones) or the time left at
	 * capture (absolute deadlines); -1 when not known. */
	int64_t timeout_ms;
};

/*
 * Memory a blocking call's arguments point at, copied right after capture
 * without a stop (the call is still blocked on it): the lock word and its
 * neighbours, a pollfd array or fd_set, the timeout.
 */
enum cleak_waitmem_slot {
	CLEAK_WAITMEM_OBJECT,	/* lock word, pollfd array, read fd_set, sigset */
	CLEAK_WAITMEM_OBJECT2,	/* write fd_set */
	CLEAK_WAITMEM_TIMEOUT,	/* struct timespec / timeval */
	CLEAK_WAITMEM_COUNT
};

struct cleak_memcopy {
	uint64_t addr;
	uint32_t len;		/* 0: nothing copied */
	uint8_t *bytes;
};

struct cleak_thread {
	pid_t tid;
	/* The tid as the target itself sees it, in its pid namespace (a
	 * container); lock words hold these.  0 when it is the same. */
	pid_t ns_tid;
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
	/* pcs[inferred_from] and above were found through an RBP searched
	 * for on the stack; 0 when every frame was unwound from registers. */
	size_t inferred_from;

	/* classify */
	struct cleak_memcopy waitmem[CLEAK_WAITMEM_COUNT];	/* capture facts */
	struct cleak_wait wait;

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

/* A descriptor that some thread's wait refers to, described at capture. */
struct cleak_fd {
	int fd;
	char *link;		/* /proc/<pid>/fd/<fd>: "socket:[1234]" */
	char *resource;		/* in words: "tcp 127.0.0.1:8080 (listening)" */
	int *watched;		/* an epoll's interest set (fdinfo "tfd:") */
	size_t nwatched;
};

/* A child process, for waitpid(-1) and friends. */
struct cleak_child {
	pid_t pid;
	pid_t ns_pid;		/* as the target sees it; 0 when the same */
	pid_t parent_tid;	/* the thread that created it */
	char comm[64];
};

/*
 * A cycle in the wait-for graph (thread -> lock -> holder, thread ->
 * joined thread): none of its threads can go on.
 */
struct cleak_deadlock {
	pid_t *tids;		/* tids[i] waits for tids[i + 1]; the last for tids[0] */
	size_t ntids;
	bool confirmed;		/* seen unchanged by a second look at the live process */
	bool times_out;		/* a member's wait is timed: the cycle breaks then */
};

/* A Go channel that goroutines wait on, as read at capture. */
struct cleak_go_chan {
	uint64_t address;	/* the runtime.hchan */
	char *elem_type;	/* "int", "*main.job"; NULL when unknown */
	uint64_t len, cap;	/* buffered values and buffer size (0: unbuffered) */
	bool closed;
	/* Goroutines of this snapshot parked on it. */
	unsigned senders, receivers, selecting;
};

/* A goroutine, as the runtime's own goroutine dump would show it. */
struct cleak_goroutine {
	uint64_t goid;
	uint32_t status;	/* runtime _G* state (runtime2.go), scan bit cleared */
	bool scan;		/* the GC owned its stack at capture ("(scan)") */
	const char *status_name;	/* "waiting", "syscall", ... (static) */
	const char *wait_reason;	/* "chan receive"; NULL when none (static or pool) */
	/* Since when it waits, as the runtime recorded it (only a GC cycle
	 * records it): nanoseconds before capture; -1 when not recorded. */
	int64_t wait_ns;
	bool locked;		/* locked to its OS thread (LockOSThread) */
	pid_t tid;		/* the thread running it (running, syscall); 0: none */
	bool system;		/* a runtime goroutine that the runtime's dump hides */
	bool leaked;		/* can never wake: nil channel, select with no cases */
	bool stack_unavailable;	/* running and not stopped: no stack to show */
	uint64_t parent_goid;	/* 0 when unknown (Go < 1.21) or none */
	uint64_t gopc, startpc;	/* where it was created; its function */
	struct cleak_frame created_by;	/* function NULL: none shown */
	/* Frames as the runtime prints them, innermost first. */
	struct cleak_frame *frames;
	size_t nframes;
	/* Go 1.20 and older: how many of frames the runtime's own dump shows,
	 * since its traceback stops after 100 physical frames (and prints
	 * "...additional frames elided..." when it showed exactly 100).
	 * 0 from Go 1.21 on, whose dump shows the first and last 50. */
	size_t old_traceback_nframes;
	/* In a system call or in C (cgo): the innermost frames of its
	 * thread that are not Go code, from the thread's own stack. */
	struct cleak_frame *native_frames;
	size_t nnative;
	/* The channel(s) it waits on: one for a send or receive, one per
	 * case for a select. Pointers into cleak_go.chans. */
	struct cleak_go_chan **chans;
	size_t nchans;
	char *error;		/* why the stack is incomplete; NULL if it is not */

	/* capture: the live part of its stack, and where unwinding starts;
	 * released once unwound */
	uint64_t pc, sp, stack_hi;
	uint8_t *stack;
	size_t stack_len;
	uint64_t *pcs;		/* physical frames' pcs, pcs[0] innermost */
	size_t npcs;
};

/*
 * The text the runtime prints between the brackets of a goroutine's
 * header ("chan receive, 5 minutes, locked to thread"), as in
 * runtime.Stack(all).  Returns its length.
 */
size_t cleak_goroutine_header(const struct cleak_goroutine *g, char *buf, size_t size);

/* Why a goroutine marked leaked can never wake ("an operation on a nil
 * channel", ...), for people; the wording may change. */
const char *cleak_goroutine_leak_cause(const struct cleak_goroutine *g);

/* What `cleak ps` shows of a process: whether it is Go, and how many
 * goroutines it has (read without stopping it). */
struct cleak_go_info {
	bool is_go;
	char version[32];	/* "go1.26.0"; "" when not Go */
	long goroutines;	/* user goroutines; -1 when not read */
};

/* Fill `out` for `pid`.  0, or -errno with a message when the process is
 * Go but its goroutines could not be counted (out->is_go still says). */
int cleak_go_probe(pid_t pid, struct cleak_go_info *out);

/*
 * Where cleak took the layout of a Go program's runtime from: its own
 * table for that release; the binary's DWARF (a release newer than this
 * cleak); or, stripped and newer, the newest table it has, used only
 * because every invariant it checks held.
 */
enum cleak_go_layout {
	CLEAK_GO_LAYOUT_BUILTIN,
	CLEAK_GO_LAYOUT_DWARF,
	CLEAK_GO_LAYOUT_CHECKED,
};

/* A Go program's runtime, read from outside. */
struct cleak_go {
	char *version;		/* "go1.26.0" (from .go.buildinfo) */
	char *module;		/* main module path; NULL when not recorded */
	/* Why goroutines are missing or incomplete (unknown release, ...). */
	char *error;
	enum cleak_go_layout layout;
	/* The release whose rules cleak followed where DWARF cannot tell
	 * (traceback display, what a wait reason means); its own for a
	 * release cleak knows.  0 when not Go. */
	int rules_minor;
	struct cleak_goroutine *goroutines;	/* in the runtime's allgs order */
	size_t ngoroutines;
	size_t nsystem;		/* of which runtime goroutines */
	size_t nskipped;	/* nonblocking: moved while read, left out */
	bool nonblocking;
	struct cleak_go_chan *chans;
	size_t nchans;
};

struct cleak_capture_info {
	bool freeze;			/* all threads stopped together */
	bool nonblocking;		/* nothing stopped (opts->nonblocking) */
	bool selected;			/* only the threads asked for (opts->tids) */
	uint64_t wall_us;		/* whole capture */
	uint64_t pause_us;		/* freeze: stop-to-resume; else sum of per-thread stops */
	uint64_t max_thread_pause_us;
	unsigned threads_stopped;	/* threads that needed a ptrace stop */
	unsigned threads_unstopped;	/* read while blocked, never stopped */
	unsigned threads_vanished;	/* exited during capture */
	size_t stack_bytes;		/* total bytes of stack copied */
	int64_t time_unix_ms;		/* when the capture started */
	int64_t time_mono_ms;		/* the same on CLOCK_MONOTONIC */
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
	/* Capture facts for classify: the descriptors waits refer to (by fd)
	 * and the children, when some thread waits for one. */
	struct cleak_fd *fds;
	size_t nfds;
	struct cleak_child *children;
	size_t nchildren;
	/* A Go program: its goroutines (NULL for other programs). */
	struct cleak_go *go;
	/* cleak_snapshot_find_deadlocks() */
	struct cleak_deadlock *deadlocks;
	size_t ndeadlocks;
	/* Library-owned storage (frame strings); do not touch. */
	void *priv;
};

struct cleak_capture_opts {
	size_t sz;		/* sizeof(struct cleak_capture_opts) */
	bool freeze;		/* stop every thread together for one instant */
	size_t max_stack_bytes;	/* live-stack copy limit per thread; 0 = default */
	const pid_t *tids;	/* capture only these threads (NULL: all) */
	size_t ntids;
	/* Stop nothing: blocked threads and parked goroutines are read as
	 * they are, each checked for not having moved; what moved or runs
	 * is left out and counted. */
	bool nonblocking;
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
 * unwinding needed more registers (threads[].needs_regs).  Those whose
 * call a stop would interrupt with EINTR, or that would not stop, are not
 * marked so: cleak_snapshot_unwind searched their stacks for the missing
 * RBP instead.  Returns how many were taken again; unwind again afterwards.
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

/*
 * Fill threads[].wait from each thread's state, syscall line, wchan, the
 * capture facts and its top frames (symbolize first: glibc's exported
 * names, such as pthread_mutex_lock, tell a mutex from a condvar).
 */
int cleak_snapshot_classify(struct cleak_snapshot *snap);

/*
 * Find the cycles in the wait-for graph into snap->deadlocks.  With
 * `confirm`, look again at each cycle's threads in the live process (their
 * syscall lines and lock words, no stop) and keep only cycles that did not
 * move: a default capture is not one instant.
 */
int cleak_snapshot_find_deadlocks(struct cleak_snapshot *snap, bool confirm);

/* The thread with id `tid` (as we see it), or NULL. */
const struct cleak_thread *cleak_snapshot_thread(const struct cleak_snapshot *snap, pid_t tid);

/* The thread that `t` waits for (a lock's holder, a joined thread), if it
 * is a thread of this snapshot; else NULL. */
const struct cleak_thread *cleak_wait_holder(const struct cleak_snapshot *snap,
					     const struct cleak_thread *t);

void cleak_snapshot_free(struct cleak_snapshot *snap);

/* Threads with the same state, syscall, wait (kind, lock, holder) and
 * frames form one group. */
struct cleak_group {
	size_t *members;	/* indexes into snap->threads (ascending tid) or
				 * snap->go->goroutines (ascending goid) */
	size_t nmembers;
};

int cleak_snapshot_group(const struct cleak_snapshot *snap,
			 struct cleak_group **out, size_t *ngroups);
/* Goroutines with the same status, wait reason, frames and creator (not
 * the same channel: a leak per request is one channel per request). */
int cleak_snapshot_group_goroutines(const struct cleak_snapshot *snap,
				    struct cleak_group **out, size_t *ngroups);
void cleak_groups_free(struct cleak_group *groups, size_t ngroups);

/* The stable JSON form (documented in cleak-stack(1)). */
int cleak_snapshot_write_json(const struct cleak_snapshot *snap, FILE *f,
			      bool pretty);
int cleak_snapshot_read_json(FILE *f, struct cleak_snapshot **out);

/*
 * Ignore rules, in goleak's spirit: goroutines and threads that match one
 * are left out of diffs and checks (and counted as ignored).  A FUNC is a
 * function name as cleak prints it; one that ends in '*' is a prefix.
 */
enum cleak_ignore_kind {
	CLEAK_IGNORE_TOP,		/* the innermost frame shown is FUNC */
	CLEAK_IGNORE_CREATED_BY,	/* a goroutine created by FUNC */
	CLEAK_IGNORE_ANY,		/* FUNC anywhere in the stack */
};
struct cleak_ignore;
struct cleak_ignore *cleak_ignore_new(void);
int cleak_ignore_add(struct cleak_ignore *ig, enum cleak_ignore_kind kind, const char *func);
/* Rules from a file: "top FUNC", "created-by FUNC", "any FUNC" per line,
 * '#' comments.  -EINVAL naming FILE:LINE for a line that is none. */
int cleak_ignore_read_file(struct cleak_ignore *ig, const char *path);
void cleak_ignore_free(struct cleak_ignore *ig);

/*
 * Snapshots of one process compared over time (the analyze stage; pure,
 * no process is touched).  Goroutines are the same goroutine when goid
 * and creation pc agree, threads when tid and start time do.  Members
 * are grouped by kind, status, wait, frames (function, file, line) and
 * creator, and the groups matched across snapshots by that key.
 */
struct cleak_diff_group {
	bool goroutine;		/* else a thread group */
	const char *status;	/* "waiting"; a thread's state letter ("S") */
	const char *wait;	/* "chan send"; a thread's wait kind; NULL: none */
	/* The frames and creator of its newest member (owned by that
	 * member's snapshot). */
	const struct cleak_frame *frames;
	size_t nframes;
	const struct cleak_frame *created_by;	/* NULL: none shown, or a thread */
	size_t *counts;		/* members in each snapshot */
	size_t before, after;	/* counts[0], counts[nsnaps - 1] */
	/* The sum of interval_growth: in each interval, the change of the
	 * count less the members that moved in from another group where
	 * they had sat a whole interval (no new goroutine or thread).  Every
	 * move between groups is counted in moved_in and moved_out. */
	long growth;
	double rate_per_s;	/* growth over the time between first and last */
	bool grew_every_interval;	/* growth > 0 in each interval */
	long *interval_growth;	/* the growth of each interval (nsnaps - 1) */
	/* It grew, is blocked and not idle by design, but over one interval
	 * only, which cannot tell a request in flight from a leak: no
	 * suspect, and the output says how to get a verdict. */
	bool unconfirmed;
	size_t moved_in, moved_out;
	size_t stuck;		/* members stuck in every snapshot */
	size_t leaked;		/* members that can never wake (last snapshot) */
	/* The channel most of its stuck members wait on, and how many. */
	const struct cleak_go_chan *pile_chan;
	size_t pile;
	const char *idle;	/* why it is idle by design ("worker pool"); NULL */
	bool suspect;
	unsigned rank;		/* 1 = first suspect; 0: not a suspect */
	char *why;		/* why it is a suspect */
	size_t *members;	/* indexes into the last snapshot's goroutines
				 * or threads */
	size_t nmembers;
	size_t snap, index;	/* where the newest member lives (snapshot, index) */
};

/* A goroutine or thread that stayed stuck: index into the last snapshot. */
struct cleak_diff_stuck {
	bool goroutine;
	size_t index;
	size_t group;		/* into cleak_diff.groups */
};

struct cleak_diff {
	const struct cleak_snapshot **snaps;	/* borrowed: free the diff first */
	const char **files;	/* per snapshot: the file it was read from, or NULL */
	size_t nsnaps;
	double seconds;		/* first to last capture */
	size_t goroutines_before, goroutines_after;	/* not ignored, not runtime */
	size_t threads_before, threads_after;
	uint64_t *appeared_goids, *ended_goids;
	size_t nappeared_goids, nended_goids;
	pid_t *appeared_tids, *ended_tids;
	size_t nappeared_tids, nended_tids;
	size_t ignored;		/* goroutines and threads ignored (last snapshot) */
	/* Suspects first (by rank), then by growth, largest first. */
	struct cleak_diff_group *groups;
	size_t ngroups;
	size_t nsuspects;
	size_t nunconfirmed;	/* groups with unconfirmed set */
	struct cleak_diff_stuck *stuck;
	size_t nstuck;
};

struct cleak_diff_opts {
	size_t sz;
	const struct cleak_ignore *ignore;	/* NULL: none */
	/* A pile of this many stuck goroutines on one channel that nobody
	 * serves is a suspect; 0: CLEAK_DEFAULT_PILE. */
	unsigned pile;
};
#define CLEAK_DEFAULT_PILE 100

/* Compare 1 or more snapshots of one process, oldest first (one alone
 * gives its groups, certain leaks and no growth).  `files` may be NULL. */
int cleak_diff_build(const struct cleak_snapshot *const *snaps, const char *const *files,
		     size_t nsnaps, const struct cleak_diff_opts *opts, struct cleak_diff **out);
int cleak_diff_write_json(const struct cleak_diff *diff, FILE *f, bool pretty);
void cleak_diff_free(struct cleak_diff *diff);

/*
 * Health checks over a diff (cleak check).  Certain leaks and deadlocks
 * are always checked; the limits only when set (>= 0).
 */
enum cleak_check_kind {
	CLEAK_CHECK_LEAKED,	/* goroutines that can never wake */
	CLEAK_CHECK_DEADLOCK,	/* threads in a confirmed cycle */
	CLEAK_CHECK_MAX_GOROUTINES,
	CLEAK_CHECK_MAX_THREADS,
	CLEAK_CHECK_GROWTH,	/* a group grew by more than max_growth */
	CLEAK_CHECK_EXPECT_NONE,	/* a stack matched a pattern */
};
const char *cleak_check_kind_name(enum cleak_check_kind kind);

struct cleak_check_opts {
	size_t sz;
	long max_goroutines, max_threads, max_growth;	/* -1: not checked */
	const char *const *expect_none;	/* POSIX extended regexes */
	size_t nexpect_none;
};

struct cleak_problem {
	enum cleak_check_kind kind;
	char *message;		/* one line, for people */
	const char *pattern;	/* expect-none: the pattern that matched */
	uint64_t *goids;	/* the goroutines and threads concerned */
	size_t ngoids;
	pid_t *tids;
	size_t ntids;
	size_t *groups;		/* into cleak_diff.groups */
	size_t ngroups;
};

struct cleak_check {
	struct cleak_problem *problems;
	size_t nproblems;
};

/* -EINVAL with a message for a pattern that does not compile. */
int cleak_check_run(const struct cleak_diff *diff, const struct cleak_check_opts *opts,
		    struct cleak_check **out);
/* The result as JSON ("healthy", "problems", ...); `attempts` is how many
 * times the checks ran (--settle). */
int cleak_check_write_json(const struct cleak_check *check, const struct cleak_diff *diff,
			   unsigned attempts, FILE *f, bool pretty);
void cleak_check_free(struct cleak_check *check);

/* A name for a syscall number ("futex"), or NULL. */
const char *cleak_syscall_name(long nr);

#ifdef __cplusplus
}
#endif
#endif /* CLEAK_H */
