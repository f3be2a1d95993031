/* SPDX-License-Identifier: MIT */
/*
 * target.h - the only code that touches the target process (lib/target/):
 * its /proc files, its memory, and ptrace stops.  Every other stage reads
 * the snapshot; one that must look again (deadlock confirmation, the
 * second look at a thread) asks through these functions.
 * Internal; not part of the public API.
 */
#ifndef CLEAK_TARGET_H
#define CLEAK_TARGET_H

#include "internal.h"

/* proc.c: /proc parsing.  Readers return bytes read or -errno. */
ssize_t cleak__read_small(const char *path, char *buf, size_t size);
/* The same relative to a directory: a thread's /proc/<pid>/task/<tid>,
 * opened once, spares the path walk for each of its files. */
ssize_t cleak__read_small_at(int dirfd, const char *path, char *buf, size_t size);
ssize_t cleak__read_all(const char *path, char **out);

struct cleak__stat {
	char comm[64];		/* field 2, without its parentheses */
	char state;
	pid_t ppid;
	unsigned long flags;
	uint64_t utime, stime, start_time;
};
int cleak__parse_stat(const char *text, struct cleak__stat *st);

struct cleak__syscall {
	long nr;		/* -1 not in syscall, -2 running */
	uint64_t args[6];
	uint64_t sp, pc;
};
int cleak__parse_syscall(const char *text, struct cleak__syscall *sc);

int cleak__parse_maps(const char *text, struct cleak_mapping **out, size_t *n);
/* /proc/<pid>/maps read and parsed; -errno (errno of the read) on failure. */
int cleak__read_maps(pid_t pid, struct cleak_mapping **out, size_t *n);
/* qsort/bsearch order of pid_t values. */
int cleak__cmp_pid(const void *a, const void *b);
/* Sorted thread ids of `pid`. */
int cleak__list_tasks(pid_t pid, pid_t **out, size_t *n);

/* memory.c: copy target memory without a stop (process_vm_readv); bytes read. */
size_t cleak__read_target(pid_t pid, uint64_t addr, void *buf, size_t len);
/* One piece of target memory to copy; ok says whether it was. */
struct cleak__piece {
	uint64_t addr;
	void *buf;
	size_t len;
	bool ok;
};
/* Each piece as it is, in as few calls as the kernel allows. */
void cleak__read_iov(pid_t pid, struct cleak__piece *p, size_t n);
/* Neighbouring pieces read as one run (closer than CLEAK__MERGE_GAP, a
 * run at most CLEAK__MERGE_MAX long), then each copied out. */
void cleak__read_pieces(pid_t pid, struct cleak__piece *p, size_t n);
#define CLEAK__MERGE_GAP 1024
#define CLEAK__MERGE_MAX (1u << 20)

/* task.c: a thread's own /proc files, read through its task directory. */
/* /proc/<pid>/task/<tid>, or -1 if the thread is gone. */
int cleak__open_task(pid_t pid, pid_t tid);
/* stat (name, state, times) and wchan into t. */
int cleak__read_task_stat(int taskfd, struct cleak_thread *t);
int cleak__read_task_syscall(int taskfd, struct cleak__syscall *sc);
/* Voluntary plus involuntary context switches; -1 when unknown. */
long long cleak__read_task_switches(int taskfd);

/* ptrace.c: stopping a thread and letting it go (the only code that does). */
#include <signal.h>
/*
 * While a thread of the target is stopped, cleak waiting for a CPU would
 * stretch that stop: run at a higher priority for those moments, if we
 * may (CAP_SYS_NICE, which root has; otherwise nothing changes).
 */
struct cleak__stop_window {
	sigset_t old_mask;
	int old_nice;
	bool reniced;
};

/* A seized thread that did not stop in time: collected at the end. */
struct cleak__pending_detach {
	pid_t *tids;
	size_t n, cap;
};
void cleak__stop_window_open(struct cleak__stop_window *w);
void cleak__stop_window_close(struct cleak__stop_window *w);
/* How long one thread may take to reach its ptrace stop.  A thread in
 * uninterruptible sleep (D) only stops when it leaves it. */
#define CLEAK__STOP_TIMEOUT_US 500000
/* PTRACE_SEIZE; on EPERM *why (heap) says why: another tracer, or a refusal.
 * -ESRCH for a thread that is exiting. */
int cleak__seize(pid_t tid, char **why);
/* PTRACE_INTERRUPT, or detach again and -errno. */
int cleak__interrupt(pid_t tid);
/* Wait for a seized thread's stop: 0 (the signal to hand back on detach in
 * *inject), -ESRCH when it exited, -ETIMEDOUT when it did not stop. */
int cleak__wait_stop(pid_t tid, int *inject, bool *group_stopped);
/* PTRACE_GETREGS into t->regs (all known). */
int cleak__read_regs(pid_t tid, struct cleak_thread *t);
/* PTRACE_DETACH, handing back a signal that arrived meanwhile.  A
 * group-stopped thread stays stopped (__ptrace_unlink() re-arms it). */
void cleak__detach(pid_t tid, int inject);
void cleak__pending_add(struct cleak__pending_detach *p, pid_t tid);
/* Detach each pending thread once it stops; the kernel releases the rest
 * when cleak exits. */
void cleak__pending_flush(struct cleak__pending_detach *p);
/* Zombie or dead: no stack to read. */
bool cleak__state_has_no_stack(char state);

/* access.c: EPERM, with a message that says why this cleak may not
 * ptrace `pid` and the one thing that would let it. */
int cleak__permission_error(pid_t pid);
/* This process's pid as /proc names it, -1 when unknown. */
pid_t cleak__own_proc_pid(void);

#endif
