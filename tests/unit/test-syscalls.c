// SPDX-License-Identifier: MIT
/*
 * The table of blocking system calls (lib/syscalls.c): its rows are
 * consistent, every row has the arguments its kind is read for, and a few
 * facts capture and classify rely on hold.  Then the capture helpers that
 * read it, on synthetic threads (and, for the socket check, on this
 * process's own descriptors).
 */
#include "capture/capture.h"
#include "internal.h"
#include "syscalls.h"
#include "unit.h"

#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool has(const struct cleak__syscall_info *sc, enum cleak__arg_role role)
{
	return cleak__syscall_arg(sc, role) >= 0;
}

static const struct cleak__syscall_info *row_of(long nr)
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(nr);

	if (!sc) {
		printf("test-syscalls: no row for call %ld\n", nr);
		abort();
	}
	return sc;
}

static void syscalls_rows_are_unique_and_named(void)
{
	const struct cleak__syscall_info *rows;
	size_t n, i, j;

	rows = cleak__syscall_rows(&n);
	CHECK(n > 0);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++)
			CHECK(rows[i].nr != rows[j].nr);
		/* the kernel's name for the number (build/syscall_names.h) */
		CHECK_STR(rows[i].name, cleak_syscall_name(rows[i].nr));
		CHECK(cleak__syscall_info(rows[i].nr) == &rows[i]);
	}
	CHECK(cleak__syscall_info(SYS_getpid) == NULL);
	CHECK(cleak__syscall_info(-1) == NULL);
}

/* No role twice in a row (lookups find the first), and a timeout
 * argument exactly when there is a unit. */
static void syscalls_roles_are_well_formed(void)
{
	const struct cleak__syscall_info *rows;
	size_t n, i;
	int a, b;

	rows = cleak__syscall_rows(&n);
	for (i = 0; i < n; i++) {
		for (a = 0; a < CLEAK__SYSCALL_ARGS; a++)
			for (b = a + 1; b < CLEAK__SYSCALL_ARGS; b++)
				CHECK(rows[i].arg[a] == CLEAK__ARG_NONE ||
				      rows[i].arg[a] != rows[i].arg[b]);
		CHECK(has(&rows[i], CLEAK__ARG_TIMEOUT) == (rows[i].unit != CLEAK__TIME_NONE));
		/* the socket check needs the descriptor */
		if (rows[i].stop == CLEAK__STOP_EINTR_ON_SOCKET)
			CHECK(has(&rows[i], CLEAK__ARG_FD));
		/* only a call that comes back as restart_syscall is named by
		 * the wchan of one */
		if (rows[i].restart_wchan)
			CHECK(rows[i].stop == CLEAK__STOP_RESTART_BLOCK);
	}
}

/* What classify and capture read, per kind of wait. */
static bool row_fits_its_kind(const struct cleak__syscall_info *sc)
{
	switch (sc->kind) {
	case CLEAK_WAIT_FUTEX:
		return has(sc, CLEAK__ARG_FUTEX_WORD) && has(sc, CLEAK__ARG_FUTEX_OP) &&
		       has(sc, CLEAK__ARG_FUTEX_VAL) && sc->unit == CLEAK__TIME_TIMESPEC;
	case CLEAK_WAIT_READ:
	case CLEAK_WAIT_WRITE:
	case CLEAK_WAIT_ACCEPT:
	case CLEAK_WAIT_CONNECT:
		return has(sc, CLEAK__ARG_FD);
	case CLEAK_WAIT_POLL:
		if (!has(sc, CLEAK__ARG_TIMEOUT))
			return false;
		if (has(sc, CLEAK__ARG_EPOLL_FD))
			return true;
		if (has(sc, CLEAK__ARG_POLLFDS))
			return has(sc, CLEAK__ARG_NPOLLFDS);
		return has(sc, CLEAK__ARG_FDSET_NFDS) && has(sc, CLEAK__ARG_FDSET_READ) &&
		       has(sc, CLEAK__ARG_FDSET_WRITE);
	case CLEAK_WAIT_SLEEP:
		return sc->unit == CLEAK__TIME_TIMESPEC &&
		       has(sc, CLEAK__ARG_SLEEP_FLAGS) == has(sc, CLEAK__ARG_CLOCK);
	case CLEAK_WAIT_CHILD:
		return has(sc, CLEAK__ARG_IDTYPE) == has(sc, CLEAK__ARG_ID);
	case CLEAK_WAIT_SIGNAL:
		return has(sc, CLEAK__ARG_SIGSET) == has(sc, CLEAK__ARG_TIMEOUT);
	case CLEAK_WAIT_SYSCALL:
		return true;
	default:
		return false;	/* running, stopped, disk...: not a call's */
	}
}

static void syscalls_every_kind_classify_uses_has_its_rows(void)
{
	static const long calls[] = {
		SYS_futex, SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_epoll_wait,
		SYS_epoll_pwait, SYS_epoll_pwait2, SYS_read, SYS_readv, SYS_pread64,
		SYS_preadv, SYS_preadv2, SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg, SYS_write,
		SYS_writev, SYS_pwrite64, SYS_pwritev, SYS_pwritev2, SYS_sendto, SYS_sendmsg,
		SYS_sendmmsg, SYS_sendfile, SYS_accept, SYS_accept4, SYS_connect,
		SYS_nanosleep, SYS_clock_nanosleep, SYS_wait4, SYS_waitid, SYS_vfork,
		SYS_clone, SYS_clone3, SYS_pause, SYS_rt_sigsuspend, SYS_rt_sigtimedwait,
		SYS_flock, SYS_fcntl, SYS_fsync, SYS_fdatasync, SYS_ioctl,
	};
	const struct cleak__syscall_info *rows;
	size_t n, i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(calls); i++)
		CHECK(cleak__syscall_info(calls[i]) != NULL);
	rows = cleak__syscall_rows(&n);
	for (i = 0; i < n; i++)
		CHECK(row_fits_its_kind(&rows[i]));
	CHECK(row_of(SYS_recvmsg)->kind == CLEAK_WAIT_READ);
	CHECK(row_of(SYS_sendfile)->kind == CLEAK_WAIT_WRITE);
	CHECK(row_of(SYS_accept4)->kind == CLEAK_WAIT_ACCEPT);
	CHECK(row_of(SYS_connect)->kind == CLEAK_WAIT_CONNECT);
	CHECK(row_of(SYS_waitid)->kind == CLEAK_WAIT_CHILD);
	CHECK(row_of(SYS_clone3)->kind == CLEAK_WAIT_CHILD);
	CHECK(row_of(SYS_rt_sigtimedwait)->kind == CLEAK_WAIT_SIGNAL);
	CHECK(row_of(SYS_flock)->kind == CLEAK_WAIT_SYSCALL);
}

static void syscalls_facts(void)
{
	const struct cleak__syscall_info *sc;

	/* signal(7): epoll_wait fails with EINTR after a stop */
	CHECK(row_of(SYS_epoll_wait)->stop == CLEAK__STOP_EINTR);
	CHECK(row_of(SYS_epoll_pwait2)->stop == CLEAK__STOP_EINTR);
	CHECK(row_of(SYS_semtimedop)->stop == CLEAK__STOP_EINTR);
	/* read only on a socket; pread never is on one */
	CHECK(row_of(SYS_read)->stop == CLEAK__STOP_EINTR_ON_SOCKET);
	CHECK(row_of(SYS_pread64)->stop == CLEAK__STOP_RESUMES);
	CHECK(row_of(SYS_recvfrom)->stop == CLEAK__STOP_EINTR);
	/* a timed futex wait and a timed poll come back as restart_syscall */
	CHECK(row_of(SYS_futex)->stop == CLEAK__STOP_RESTART_BLOCK);
	CHECK(row_of(SYS_poll)->stop == CLEAK__STOP_RESTART_BLOCK);
	CHECK(row_of(SYS_select)->stop == CLEAK__STOP_RESUMES);
	CHECK(row_of(SYS_wait4)->stop == CLEAK__STOP_RESUMES);
	/* poll(fds, nfds, ms) */
	sc = row_of(SYS_poll);
	CHECK(sc->arg[0] == CLEAK__ARG_POLLFDS && sc->arg[1] == CLEAK__ARG_NPOLLFDS);
	CHECK(cleak__syscall_arg(sc, CLEAK__ARG_TIMEOUT) == 2 && sc->unit == CLEAK__TIME_MS);
	/* epoll_wait(epfd, events, maxevents, ms); epoll_pwait2's is a timespec */
	sc = row_of(SYS_epoll_wait);
	CHECK(sc->arg[0] == CLEAK__ARG_EPOLL_FD);
	CHECK(cleak__syscall_arg(sc, CLEAK__ARG_TIMEOUT) == 3 && sc->unit == CLEAK__TIME_MS);
	CHECK(row_of(SYS_epoll_pwait2)->unit == CLEAK__TIME_TIMESPEC);
	/* select's timeout is a timeval, the fifth argument */
	sc = row_of(SYS_select);
	CHECK(cleak__syscall_arg(sc, CLEAK__ARG_TIMEOUT) == 4 && sc->unit == CLEAK__TIME_TIMEVAL);
	/* futex(uaddr, op, val, timeout, ...) */
	sc = row_of(SYS_futex);
	CHECK(sc->arg[0] == CLEAK__ARG_FUTEX_WORD && sc->arg[1] == CLEAK__ARG_FUTEX_OP);
	CHECK(cleak__syscall_arg(sc, CLEAK__ARG_TIMEOUT) == 3);
	CHECK(row_of(SYS_wait4)->arg[0] == CLEAK__ARG_PID);
	CHECK(row_of(SYS_msgrcv)->arg[0] == CLEAK__ARG_MSG_ID);
	CHECK(row_of(SYS_semop)->arg[0] == CLEAK__ARG_SEM_ID);
}

static void syscalls_restart_from_wchan(void)
{
	const struct cleak__syscall_info *sc;

	sc = cleak__syscall_restarting("futex_wait_queue");
	CHECK(sc && sc->nr == SYS_futex);
	sc = cleak__syscall_restarting("do_sys_poll");
	CHECK(sc && sc->nr == SYS_poll);
	/* nanosleep and clock_nanosleep sleep in the same place */
	sc = cleak__syscall_restarting("do_nanosleep");
	CHECK(sc && sc->nr == SYS_clock_nanosleep);
	CHECK(cleak__syscall_restarting("pipe_read") == NULL);
	CHECK(cleak__syscall_restarting("") == NULL);
}

/* ---- the capture helpers over the table ---- */

static void syscalls_eintr_on_stop_checks_sockets(void)
{
	uint64_t args[6] = { 0 };
	int p[2], s[2];

	CHECK(pipe(p) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
	args[0] = (uint64_t)p[0];
	CHECK(!cleak__syscall_eintr_on_stop(getpid(), SYS_read, args));
	CHECK(cleak__syscall_eintr_on_stop(getpid(), SYS_epoll_wait, args));
	CHECK(!cleak__syscall_eintr_on_stop(getpid(), SYS_futex, args));
	CHECK(!cleak__syscall_eintr_on_stop(getpid(), SYS_getpid, args));
	args[0] = (uint64_t)s[0];
	CHECK(cleak__syscall_eintr_on_stop(getpid(), SYS_read, args));
	CHECK(cleak__syscall_eintr_on_stop(getpid(), SYS_writev, args));
	CHECK(!cleak__syscall_eintr_on_stop(getpid(), SYS_pread64, args));
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

static void syscalls_memreqs_follow_the_roles(void)
{
	struct cleak__memreq req[CLEAK_WAITMEM_COUNT];
	struct cleak_thread t;

	memset(&t, 0, sizeof(t));
	/* poll(fds, 3, 1000): the array, no timeout memory */
	t.syscall_nr = SYS_poll;
	t.syscall_args[0] = 0x1000;
	t.syscall_args[1] = 3;
	t.syscall_args[2] = 1000;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_OBJECT].addr == 0x1000);
	CHECK(req[CLEAK_WAITMEM_OBJECT].len == 3 * sizeof(struct pollfd));
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].len == 0);
	/* select(70, r, w, NULL, tv): both sets of 9 bytes, the timeval */
	t.syscall_nr = SYS_select;
	t.syscall_args[0] = 70;
	t.syscall_args[1] = 0x2000;
	t.syscall_args[2] = 0x3000;
	t.syscall_args[3] = 0;
	t.syscall_args[4] = 0x4000;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_OBJECT].addr == 0x2000 && req[CLEAK_WAITMEM_OBJECT].len == 9);
	CHECK(req[CLEAK_WAITMEM_OBJECT2].addr == 0x3000 && req[CLEAK_WAITMEM_OBJECT2].len == 9);
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].addr == 0x4000 && req[CLEAK_WAITMEM_TIMEOUT].len == 16);
	/* a futex wake has no timeout: its fourth argument is a number */
	t.syscall_nr = SYS_futex;
	t.syscall_args[0] = 0x5000;
	t.syscall_args[1] = FUTEX_WAKE;
	t.syscall_args[3] = 0x6000;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_OBJECT].addr == 0x5000 && req[CLEAK_WAITMEM_OBJECT].before > 0);
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].len == 0);
	t.syscall_args[1] = FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].addr == 0x6000);
	/* a socket's timeout is not read */
	t.syscall_nr = SYS_recvmmsg;
	t.syscall_args[4] = 0x7000;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].len == 0);
	/* a restarted sleep: nanosleep or clock_nanosleep, nothing to copy */
	t.syscall_nr = SYS_restart_syscall;
	strcpy(t.wchan, "do_nanosleep");
	t.syscall_args[0] = 0x8000;
	t.syscall_args[2] = 0x8000;
	cleak__wait_memreqs(&t, req);
	CHECK(req[CLEAK_WAITMEM_TIMEOUT].len == 0 && req[CLEAK_WAITMEM_OBJECT].len == 0);
}

static void syscalls_wait_fds_follow_the_roles(void)
{
	struct cleak_thread t;
	int fds[8];

	memset(&t, 0, sizeof(t));
	t.syscall_nr = SYS_epoll_wait;
	t.syscall_args[0] = 7;
	CHECK(cleak__wait_fds(&t, fds, 8) == 1 && fds[0] == 7);
	/* sendfile(out, in, ...) waits on out */
	t.syscall_nr = SYS_sendfile;
	t.syscall_args[0] = 4;
	t.syscall_args[1] = 5;
	CHECK(cleak__wait_fds(&t, fds, 8) == 1 && fds[0] == 4);
	/* an io_uring's descriptor is not waited on for readiness */
	t.syscall_nr = SYS_io_uring_enter;
	CHECK(cleak__wait_fds(&t, fds, 8) == 0);
	t.syscall_nr = SYS_getpid;
	CHECK(cleak__wait_fds(&t, fds, 8) == 0);
}

int main(void)
{
	RUN(syscalls_rows_are_unique_and_named);
	RUN(syscalls_roles_are_well_formed);
	RUN(syscalls_every_kind_classify_uses_has_its_rows);
	RUN(syscalls_facts);
	RUN(syscalls_restart_from_wchan);
	RUN(syscalls_eintr_on_stop_checks_sockets);
	RUN(syscalls_memreqs_follow_the_roles);
	RUN(syscalls_wait_fds_follow_the_roles);
	return unit_failed;
}
