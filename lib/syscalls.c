// SPDX-License-Identifier: MIT
/*
 * The system calls cleak knows, by number: every call's name, and for the
 * calls a thread blocks in, one row each saying what the thread waits
 * for, what a ptrace stop does to the call, and what its arguments are.
 * capture/ reads it to decide whom it may stop and what memory to copy,
 * analyze/classify.c to say what a thread waits for.
 *
 * The numbers are the build machine's SYS_ constants, that is x86-64's.
 * An arm64 port brings its own rows here: its generic syscall list has
 * no poll, select, pause, epoll_wait or vfork (only their successors),
 * and clone takes its arguments in another order after `flags`.
 */
#include "syscalls.h"

#include <string.h>
#include <sys/syscall.h>

#include "syscall_names.h"	/* generated from <asm/unistd_64.h> */

const char *cleak_syscall_name(long nr)
{
	if (nr < 0 || (size_t)nr >= CLEAK__ARRAY_SIZE(cleak__syscall_names))
		return NULL;
	return cleak__syscall_names[nr];
}

#define CALL(n) .nr = SYS_##n, .name = #n

/*
 * Where a fact comes from the man pages, they are named; "signal(7)" is
 * its part on stop signals: on Linux some blocking calls fail with EINTR
 * once a stopped thread is resumed, even with no signal handler, instead
 * of being restarted.  A ptrace stop (ours, --freeze) is such a stop.
 * The kernel restarts the others: as themselves with the same arguments
 * (-ERESTARTSYS, -ERESTARTNOHAND), or, for the timed waits that keep a
 * deadline in a restart block, as restart_syscall (-ERESTART_RESTARTBLOCK).
 *
 * Rows are looked up in this order; the restart_wchan of the rows that
 * have one are tried in this order too.
 */
static const struct cleak__syscall_info rows[] = {
	/* ---- futex: classify tells locks, condvars, joins apart ---- */

	/* futex(2): the timeout is relative for FUTEX_WAIT, a deadline for
	 * the other timed operations, and no timeout at all (a number) for
	 * the operations that do not wait.  A timed wait is resumed through
	 * its restart block (futex_wait_restart), sleeping in futex_wait*. */
	{ CALL(futex), .kind = CLEAK_WAIT_FUTEX, .stop = CLEAK__STOP_RESTART_BLOCK,
	  .arg = { CLEAK__ARG_FUTEX_WORD, CLEAK__ARG_FUTEX_OP, CLEAK__ARG_FUTEX_VAL,
		   CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC, .restart_wchan = "futex" },

	/* ---- many descriptors at once ---- */

	/* poll(2): a timed poll keeps its deadline in a restart block
	 * (do_restart_poll).  select sleeps in the same kernel code, but
	 * never comes back as restart_syscall: a restarted "poll" wchan is
	 * poll's. */
	{ CALL(poll), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_RESTART_BLOCK,
	  .arg = { CLEAK__ARG_POLLFDS, CLEAK__ARG_NPOLLFDS, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_MS, .restart_wchan = "poll" },
	/* ppoll(2): restarted as itself; Linux writes the time left back
	 * into the timespec, so the restart keeps the deadline. */
	{ CALL(ppoll), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_RESUMES,
	  .arg = { CLEAK__ARG_POLLFDS, CLEAK__ARG_NPOLLFDS, CLEAK__ARG_TIMEOUT,
		   CLEAK__ARG_SIGMASK },
	  .unit = CLEAK__TIME_TIMESPEC },
	/* select(2): the same, with the time left in the timeval. */
	{ CALL(select), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_RESUMES,
	  .arg = { CLEAK__ARG_FDSET_NFDS, CLEAK__ARG_FDSET_READ, CLEAK__ARG_FDSET_WRITE,
		   CLEAK__ARG_FDSET_EXCEPT, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMEVAL },
	/* pselect6: the sixth argument points at the mask and its size. */
	{ CALL(pselect6), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_RESUMES,
	  .arg = { CLEAK__ARG_FDSET_NFDS, CLEAK__ARG_FDSET_READ, CLEAK__ARG_FDSET_WRITE,
		   CLEAK__ARG_FDSET_EXCEPT, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },
	/* epoll_wait(2) and epoll_pwait, named by signal(7); epoll_pwait2
	 * (a timespec, epoll_wait(2)) waits in the same kernel code.  The
	 * events array is output. */
	{ CALL(epoll_wait), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_EPOLL_FD, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_MS },
	{ CALL(epoll_pwait), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_EPOLL_FD, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_TIMEOUT,
		   CLEAK__ARG_SIGMASK },
	  .unit = CLEAK__TIME_MS },
	{ CALL(epoll_pwait2), .kind = CLEAK_WAIT_POLL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_EPOLL_FD, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_TIMEOUT,
		   CLEAK__ARG_SIGMASK },
	  .unit = CLEAK__TIME_TIMESPEC },

	/* ---- one descriptor ---- */

	/* read(2) and write(2) on a socket behave as recv and send, and a
	 * socket's SO_RCVTIMEO/SO_SNDTIMEO, which cannot be seen from
	 * outside, makes them fail with EINTR after a stop (signal(7)).  On
	 * a pipe or a terminal they are restarted. */
	{ CALL(read), .kind = CLEAK_WAIT_READ, .stop = CLEAK__STOP_EINTR_ON_SOCKET,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(readv), .kind = CLEAK_WAIT_READ, .stop = CLEAK__STOP_EINTR_ON_SOCKET,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(write), .kind = CLEAK_WAIT_WRITE, .stop = CLEAK__STOP_EINTR_ON_SOCKET,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(writev), .kind = CLEAK_WAIT_WRITE, .stop = CLEAK__STOP_EINTR_ON_SOCKET,
	  .arg = { CLEAK__ARG_FD } },
	/* The positioned ones refuse sockets and pipes (ESPIPE, pread(2)). */
	{ CALL(pread64), .kind = CLEAK_WAIT_READ, .arg = { CLEAK__ARG_FD } },
	{ CALL(preadv), .kind = CLEAK_WAIT_READ, .arg = { CLEAK__ARG_FD } },
	{ CALL(preadv2), .kind = CLEAK_WAIT_READ, .arg = { CLEAK__ARG_FD } },
	{ CALL(pwrite64), .kind = CLEAK_WAIT_WRITE, .arg = { CLEAK__ARG_FD } },
	{ CALL(pwritev), .kind = CLEAK_WAIT_WRITE, .arg = { CLEAK__ARG_FD } },
	{ CALL(pwritev2), .kind = CLEAK_WAIT_WRITE, .arg = { CLEAK__ARG_FD } },
	/* sendfile(2) blocks writing to out_fd; in_fd must be a file that
	 * can be mapped, which does not wait for anyone.  signal(7) does not
	 * name it. */
	{ CALL(sendfile), .kind = CLEAK_WAIT_WRITE, .arg = { CLEAK__ARG_FD } },
	/* Socket calls: signal(7) names the receiving ones and accept for
	 * SO_RCVTIMEO, the sending ones and connect for SO_SNDTIMEO.  The
	 * timeout cannot be seen from outside, so each is taken to fail.
	 * accept4 and sendmmsg share the same kernel paths. */
	{ CALL(recvfrom), .kind = CLEAK_WAIT_READ, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(recvmsg), .kind = CLEAK_WAIT_READ, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	/* recvmmsg(2): its timeout is only looked at between datagrams. */
	{ CALL(recvmmsg), .kind = CLEAK_WAIT_READ, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_NONE,
		   CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },
	{ CALL(sendto), .kind = CLEAK_WAIT_WRITE, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(sendmsg), .kind = CLEAK_WAIT_WRITE, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(sendmmsg), .kind = CLEAK_WAIT_WRITE, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(accept), .kind = CLEAK_WAIT_ACCEPT, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(accept4), .kind = CLEAK_WAIT_ACCEPT, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },
	{ CALL(connect), .kind = CLEAK_WAIT_CONNECT, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_FD } },

	/* ---- sleeps ---- */

	/* nanosleep(2): resumed through its restart block (signal(7): only
	 * Linux 2.4 and earlier failed with EINTR).  It sleeps where
	 * clock_nanosleep does, so wchan names that one. */
	{ CALL(nanosleep), .kind = CLEAK_WAIT_SLEEP, .stop = CLEAK__STOP_RESTART_BLOCK,
	  .arg = { CLEAK__ARG_TIMEOUT }, .unit = CLEAK__TIME_TIMESPEC },
	/* clock_nanosleep(2): relative, or a deadline with TIMER_ABSTIME,
	 * which restarts as itself. */
	{ CALL(clock_nanosleep), .kind = CLEAK_WAIT_SLEEP, .stop = CLEAK__STOP_RESTART_BLOCK,
	  .arg = { CLEAK__ARG_CLOCK, CLEAK__ARG_SLEEP_FLAGS, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC, .restart_wchan = "nanosleep" },

	/* ---- children: restarted as themselves ---- */

	{ CALL(wait4), .kind = CLEAK_WAIT_CHILD, .arg = { CLEAK__ARG_PID } },
	{ CALL(waitid), .kind = CLEAK_WAIT_CHILD, .arg = { CLEAK__ARG_IDTYPE, CLEAK__ARG_ID } },
	/* vfork(2): the parent sleeps until the child execs or exits. */
	{ CALL(vfork), .kind = CLEAK_WAIT_CHILD },
	/* clone(2) with CLONE_VFORK; x86-64 order: flags, stack, parent_tid,
	 * child_tid, tls. */
	{ CALL(clone), .kind = CLEAK_WAIT_CHILD, .arg = { CLEAK__ARG_CLONE_FLAGS } },
	/* clone3: the flags are in a struct capture does not copy. */
	{ CALL(clone3), .kind = CLEAK_WAIT_CHILD, .arg = { CLEAK__ARG_CLONE_ARGS } },

	/* ---- signals ---- */

	/* pause(2) and sigsuspend(2) return only after a handler ran; a
	 * stop and SIGCONT run none, and the kernel puts them back to sleep. */
	{ CALL(pause), .kind = CLEAK_WAIT_SIGNAL },
	{ CALL(rt_sigsuspend), .kind = CLEAK_WAIT_SIGNAL, .arg = { CLEAK__ARG_SIGMASK } },
	/* sigtimedwait(2), and sigwaitinfo, which is it without a timeout:
	 * named by signal(7). */
	{ CALL(rt_sigtimedwait), .kind = CLEAK_WAIT_SIGNAL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_SIGSET, CLEAK__ARG_NONE, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },

	/* ---- other waits, reported as the call itself ---- */

	/* A file lock (flock(2), fcntl(2) F_SETLKW) is restarted; fsync
	 * waits for the disk; an ioctl is up to its driver, and is let be
	 * like the others. */
	{ CALL(ioctl), .kind = CLEAK_WAIT_SYSCALL, .arg = { CLEAK__ARG_FD } },
	{ CALL(fcntl), .kind = CLEAK_WAIT_SYSCALL, .arg = { CLEAK__ARG_FD } },
	{ CALL(flock), .kind = CLEAK_WAIT_SYSCALL, .arg = { CLEAK__ARG_FD } },
	{ CALL(fsync), .kind = CLEAK_WAIT_SYSCALL, .arg = { CLEAK__ARG_FD } },
	{ CALL(fdatasync), .kind = CLEAK_WAIT_SYSCALL, .arg = { CLEAK__ARG_FD } },
	/* System V IPC: signal(7) names semop and semtimedop; msgrcv and
	 * msgsnd only up to Linux 2.6.8, but are still taken to fail: the
	 * cost is a stop not taken, as the thread is read without one. */
	{ CALL(semop), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_SEM_ID } },
	{ CALL(semtimedop), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_SEM_ID, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },
	{ CALL(msgsnd), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_MSG_ID } },
	{ CALL(msgrcv), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_MSG_ID } },
	/* Asynchronous I/O: not in signal(7), but fs/aio.c ends an
	 * interrupted io_getevents with EINTR instead of restarting it;
	 * io_pgetevents is the same wait with a signal mask. */
	{ CALL(io_getevents), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_AIO_CTX, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_NONE,
		   CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },
	{ CALL(io_pgetevents), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_AIO_CTX, CLEAK__ARG_NONE, CLEAK__ARG_NONE, CLEAK__ARG_NONE,
		   CLEAK__ARG_TIMEOUT },
	  .unit = CLEAK__TIME_TIMESPEC },
	/* io_uring_enter(2): an interrupted wait for completions returns
	 * EINTR rather than being restarted. */
	{ CALL(io_uring_enter), .kind = CLEAK_WAIT_SYSCALL, .stop = CLEAK__STOP_EINTR,
	  .arg = { CLEAK__ARG_URING_FD } },
};

const struct cleak__syscall_info *cleak__syscall_info(long nr)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(rows); i++)
		if (rows[i].nr == nr)
			return &rows[i];
	return NULL;
}

const struct cleak__syscall_info *cleak__syscall_rows(size_t *n)
{
	*n = CLEAK__ARRAY_SIZE(rows);
	return rows;
}

int cleak__syscall_arg(const struct cleak__syscall_info *sc, enum cleak__arg_role role)
{
	int i;

	for (i = 0; sc && i < CLEAK__SYSCALL_ARGS; i++)
		if (sc->arg[i] == role)
			return i;
	return -1;
}

uint64_t cleak__syscall_argval(const struct cleak__syscall_info *sc, const uint64_t *args,
			       enum cleak__arg_role role)
{
	int i = cleak__syscall_arg(sc, role);

	return i < 0 ? 0 : args[i];
}

const struct cleak__syscall_info *cleak__syscall_restarting(const char *wchan)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(rows); i++)
		if (rows[i].restart_wchan && strstr(wchan, rows[i].restart_wchan))
			return &rows[i];
	return NULL;
}
