/* SPDX-License-Identifier: MIT */
/*
 * syscalls.h - the blocking system calls cleak knows, one row each
 * (syscalls.c): what a thread waiting in one waits for, what a ptrace stop
 * does to it, and what each of its arguments is.  Capture, classify and
 * the resource collector all read this one table.
 * Internal; not part of the public API.
 */
#ifndef CLEAK_SYSCALLS_H
#define CLEAK_SYSCALLS_H

#include "internal.h"

/* What a ptrace stop (and the resume after it) does to a blocked call. */
enum cleak__stop_effect {
	/* Goes on as the same call: never interrupted, or restarted by the
	 * kernel with the same arguments. */
	CLEAK__STOP_RESUMES,
	/* A timed wait comes back as restart_syscall, which resumes it from
	 * the kernel's restart block; an untimed one restarts as itself. */
	CLEAK__STOP_RESTART_BLOCK,
	/* Fails with EINTR: the program sees the stop. */
	CLEAK__STOP_EINTR,
	/* Fails with EINTR only when its descriptor is a socket; whether it
	 * is has to be looked up in the process (capture.c). */
	CLEAK__STOP_EINTR_ON_SOCKET,
};

/* What an argument is, as far as cleak cares; NONE for the rest. */
enum cleak__arg_role {
	CLEAK__ARG_NONE,
	CLEAK__ARG_FD,		/* the descriptor the call waits on */
	CLEAK__ARG_EPOLL_FD,	/* an epoll instance: its interest set is waited on */
	CLEAK__ARG_URING_FD,	/* an io_uring instance: its completions */
	CLEAK__ARG_POLLFDS,	/* struct pollfd[] */
	CLEAK__ARG_NPOLLFDS,	/* how many pollfd entries */
	CLEAK__ARG_FDSET_NFDS,	/* select: the highest descriptor in the sets, plus one */
	CLEAK__ARG_FDSET_READ,	/* fd_set *, waited on to be readable */
	CLEAK__ARG_FDSET_WRITE,	/* fd_set *, waited on to be writable */
	CLEAK__ARG_FDSET_EXCEPT,	/* fd_set *, exceptional conditions */
	CLEAK__ARG_FUTEX_WORD,	/* uint32_t * the futex waits on */
	CLEAK__ARG_FUTEX_OP,	/* the futex operation, with its flags */
	CLEAK__ARG_FUTEX_VAL,	/* the value the word is expected to hold */
	CLEAK__ARG_TIMEOUT,	/* the timeout: see the row's unit */
	CLEAK__ARG_CLOCK,	/* clockid_t the timeout is measured on */
	CLEAK__ARG_SLEEP_FLAGS,	/* TIMER_ABSTIME: the timeout is a deadline */
	CLEAK__ARG_SIGSET,	/* sigset_t * of the signals waited for */
	CLEAK__ARG_SIGMASK,	/* sigset_t * blocked while waiting (not waited for) */
	CLEAK__ARG_PID,		/* wait4: the child, or -1, 0, -pgid */
	CLEAK__ARG_IDTYPE,	/* waitid: P_PID, P_PIDFD, P_PGID, P_ALL */
	CLEAK__ARG_ID,		/* waitid: the id of that type */
	CLEAK__ARG_CLONE_FLAGS,	/* clone: CLONE_VFORK and friends */
	CLEAK__ARG_CLONE_ARGS,	/* clone3: struct clone_args * (not copied) */
	CLEAK__ARG_SEM_ID,	/* System V semaphore set */
	CLEAK__ARG_MSG_ID,	/* System V message queue */
	CLEAK__ARG_AIO_CTX,	/* aio_context_t of io_setup */
};

/* How the timeout argument is given. */
enum cleak__time_unit {
	CLEAK__TIME_NONE,
	CLEAK__TIME_MS,		/* an int of milliseconds; negative: no timeout */
	CLEAK__TIME_TIMESPEC,	/* struct timespec *; NULL: no timeout */
	CLEAK__TIME_TIMEVAL,	/* struct timeval *; NULL: no timeout */
};

#define CLEAK__SYSCALL_ARGS 6

struct cleak__syscall_info {
	long nr;
	const char *name;
	/* What a thread blocked in it waits for.  CLEAK_WAIT_SYSCALL: none
	 * of the kinds; CLEAK_WAIT_CHILD on clone and clone3: only while the
	 * new child runs on the parent's memory (vfork). */
	enum cleak_wait_kind kind;
	enum cleak__stop_effect stop;
	uint8_t arg[CLEAK__SYSCALL_ARGS];	/* enum cleak__arg_role */
	enum cleak__time_unit unit;		/* of the CLEAK__ARG_TIMEOUT argument */
	/* CLEAK__STOP_RESTART_BLOCK: a piece of the wchan the restarted call
	 * sleeps in, which names it; NULL when another row's does. */
	const char *restart_wchan;
};

/* The row of call `nr` (x86-64 numbers), or NULL for a call cleak does
 * not treat as a wait of its own. */
const struct cleak__syscall_info *cleak__syscall_info(long nr);
/* All rows, in the order of the table (for the tests). */
const struct cleak__syscall_info *cleak__syscall_rows(size_t *n);
/* Which argument has `role`; -1 when none does. */
int cleak__syscall_arg(const struct cleak__syscall_info *sc, enum cleak__arg_role role);
/* The value of that argument in `args`; 0 when none has the role (the
 * tests check that every row has the roles its kind is read for). */
uint64_t cleak__syscall_argval(const struct cleak__syscall_info *sc, const uint64_t *args,
			       enum cleak__arg_role role);
/* The call that restart_syscall resumes, from the wchan it sleeps in;
 * NULL when wchan names none. */
const struct cleak__syscall_info *cleak__syscall_restarting(const char *wchan);

#endif
