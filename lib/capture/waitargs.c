// SPDX-License-Identifier: MIT
/*
 * What the arguments of a blocking system call point at: which target
 * memory capture copies for classify (a futex word and its neighbours, a
 * pollfd array, an fd_set, a timeout) and which descriptors the call waits
 * on.  Which argument is what comes from the table of calls (syscalls.c);
 * this file knows what to copy for each kind of argument.
 */
#include "capture/capture.h"
#include "internal.h"
#include "syscalls.h"

#include <string.h>

#include <linux/futex.h>
#include <poll.h>
#include <sys/syscall.h>

/* The glibc structures read around a futex word: the rwlock starts up to
 * 12 bytes before the word its waiters sleep on (classify.c). */
#define FUTEX_BEFORE 16
#define FUTEX_AFTER 64

#define MAX_POLLFDS 64
#define MAX_SELECT_BYTES 128	/* FD_SETSIZE bits */

/* The timeout argument of a timed futex operation (futex(2)); the other
 * operations use that argument for a number (val2). */
static bool futex_op_has_timeout(uint64_t op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_REQUEUE_PI:
		return true;
	default:
		return false;
	}
}

static void want(struct cleak__memreq *r, uint64_t addr, uint32_t len, uint32_t before)
{
	if (!addr || !len)
		return;
	r->addr = addr;
	r->len = len;
	r->before = before;
}

long cleak__restarted_syscall(const struct cleak_thread *t)
{
	const struct cleak__syscall_info *sc;

	if (t->syscall_nr != SYS_restart_syscall)
		return t->syscall_nr;
	sc = cleak__syscall_restarting(t->wchan);
	return sc ? sc->nr : SYS_restart_syscall;
}

/*
 * The timeouts classify reports: of a futex, poll, sleep or signal wait.
 * A socket's, System V's or aio's timeout is left where it is: classify
 * says those calls' timeouts are unknown or does not look.
 */
static bool copies_timeout(const struct cleak__syscall_info *sc, const uint64_t *a)
{
	if (sc->unit != CLEAK__TIME_TIMESPEC && sc->unit != CLEAK__TIME_TIMEVAL)
		return false;
	switch (sc->kind) {
	case CLEAK_WAIT_FUTEX:
		return futex_op_has_timeout(cleak__syscall_argval(sc, a, CLEAK__ARG_FUTEX_OP));
	case CLEAK_WAIT_POLL:
	case CLEAK_WAIT_SLEEP:
	case CLEAK_WAIT_SIGNAL:
		return true;
	default:
		return false;
	}
}

/* The bytes of the fd_sets, for select's highest descriptor plus one. */
static uint32_t fd_set_bytes(uint64_t nfds)
{
	return (uint32_t)((nfds < MAX_SELECT_BYTES * 8 ? nfds : MAX_SELECT_BYTES * 8) + 7) / 8;
}

void cleak__wait_memreqs(const struct cleak_thread *t,
			 struct cleak__memreq req[CLEAK_WAITMEM_COUNT])
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(cleak__restarted_syscall(t));
	const uint64_t *a = t->syscall_args;
	uint64_t n;
	int i;

	memset(req, 0, sizeof(*req) * CLEAK_WAITMEM_COUNT);
	/* a restarted sleep may have been nanosleep or clock_nanosleep,
	 * whose timespec are different arguments: nothing to copy */
	if (!sc || (t->syscall_nr == SYS_restart_syscall && sc->kind == CLEAK_WAIT_SLEEP))
		return;
	for (i = 0; i < CLEAK__SYSCALL_ARGS; i++) {
		switch (sc->arg[i]) {
		case CLEAK__ARG_FUTEX_WORD:
			want(&req[CLEAK_WAITMEM_OBJECT], a[i], FUTEX_AFTER, FUTEX_BEFORE);
			break;
		case CLEAK__ARG_POLLFDS:
			n = cleak__syscall_argval(sc, a, CLEAK__ARG_NPOLLFDS);
			want(&req[CLEAK_WAITMEM_OBJECT], a[i],
			     (uint32_t)(n < MAX_POLLFDS ? n : MAX_POLLFDS) * sizeof(struct pollfd), 0);
			break;
		case CLEAK__ARG_FDSET_READ:
			want(&req[CLEAK_WAITMEM_OBJECT], a[i],
			     fd_set_bytes(cleak__syscall_argval(sc, a, CLEAK__ARG_FDSET_NFDS)), 0);
			break;
		case CLEAK__ARG_FDSET_WRITE:
			want(&req[CLEAK_WAITMEM_OBJECT2], a[i],
			     fd_set_bytes(cleak__syscall_argval(sc, a, CLEAK__ARG_FDSET_NFDS)), 0);
			break;
		case CLEAK__ARG_SIGSET:
			want(&req[CLEAK_WAITMEM_OBJECT], a[i], 8, 0);	/* the kernel's sigset: 64 bits */
			break;
		case CLEAK__ARG_TIMEOUT:
			if (copies_timeout(sc, a))
				want(&req[CLEAK_WAITMEM_TIMEOUT], a[i], 16, 0);
			break;
		default:
			break;
		}
	}
}

const uint8_t *cleak__waitmem_at(const struct cleak_thread *t, enum cleak_waitmem_slot slot,
				 uint64_t addr, size_t len)
{
	const struct cleak_memcopy *m = &t->waitmem[slot];

	if (!m->bytes || addr < m->addr || addr + len > m->addr + m->len || addr + len < addr)
		return NULL;
	return m->bytes + (addr - m->addr);
}

static size_t add_fd(int *fds, size_t n, size_t max, int fd)
{
	size_t i;

	if (fd < 0 || n >= max)
		return n;
	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return n;
	fds[n] = fd;
	return n + 1;
}

static size_t fds_of_set(const struct cleak_thread *t, enum cleak_waitmem_slot slot,
			 int *fds, size_t n, size_t max)
{
	const struct cleak_memcopy *m = &t->waitmem[slot];
	uint32_t i;

	for (i = 0; m->bytes && i < m->len * 8; i++)
		if (m->bytes[i / 8] & (1u << (i % 8)))
			n = add_fd(fds, n, max, (int)i);
	return n;
}

size_t cleak__wait_fds(const struct cleak_thread *t, int *fds, size_t max)
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(cleak__restarted_syscall(t));
	const struct cleak_memcopy *m = &t->waitmem[CLEAK_WAITMEM_OBJECT];
	size_t n = 0, k;
	int i;

	for (i = 0; sc && i < CLEAK__SYSCALL_ARGS; i++) {
		switch (sc->arg[i]) {
		case CLEAK__ARG_FD:
		case CLEAK__ARG_EPOLL_FD:
			n = add_fd(fds, n, max, (int)t->syscall_args[i]);
			break;
		case CLEAK__ARG_POLLFDS:
			for (k = 0; m->bytes && (k + 1) * sizeof(struct pollfd) <= m->len; k++) {
				const struct pollfd *p = (const struct pollfd *)(m->bytes + k * sizeof(*p));

				n = add_fd(fds, n, max, p->fd);
			}
			break;
		case CLEAK__ARG_FDSET_READ:
			n = fds_of_set(t, CLEAK_WAITMEM_OBJECT, fds, n, max);
			break;
		case CLEAK__ARG_FDSET_WRITE:
			n = fds_of_set(t, CLEAK_WAITMEM_OBJECT2, fds, n, max);
			break;
		default:
			break;
		}
	}
	return n;
}
