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

/* Copy target memory without a stop (process_vm_readv); bytes read. */
size_t cleak__read_target(pid_t pid, uint64_t addr, void *buf, size_t len);

/* access.c: EPERM, with a message that says why this cleak may not
 * ptrace `pid` and the one thing that would let it. */
int cleak__permission_error(pid_t pid);
/* This process's pid as /proc names it, -1 when unknown. */
pid_t cleak__own_proc_pid(void);

#endif
