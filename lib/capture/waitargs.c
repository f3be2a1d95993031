// SPDX-License-Identifier: MIT
/*
 * What the arguments of a blocking system call point at: which target
 * memory capture copies for classify (a futex word and its neighbours, a
 * pollfd array, an fd_set, a timeout) and which descriptors the call waits
 * on.  x86-64 syscall ABI; arm64 will need its own numbers only.
 */
#include "capture/capture.h"
#include "internal.h"

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
	if (t->syscall_nr != SYS_restart_syscall)
		return t->syscall_nr;
	if (strstr(t->wchan, "futex"))
		return SYS_futex;
	/* poll's restart block (do_restart_poll); select and ppoll restart
	 * as themselves, epoll_wait fails with EINTR */
	if (strstr(t->wchan, "poll"))
		return SYS_poll;
	if (strstr(t->wchan, "nanosleep"))
		return SYS_clock_nanosleep;
	return SYS_restart_syscall;
}

void cleak__wait_memreqs(const struct cleak_thread *t,
			 struct cleak__memreq req[CLEAK_WAITMEM_COUNT])
{
	const uint64_t *a = t->syscall_args;
	uint32_t set_bytes;

	memset(req, 0, sizeof(*req) * CLEAK_WAITMEM_COUNT);
	/* a restarted sleep may have been nanosleep or clock_nanosleep,
	 * whose timespec are different arguments: nothing to copy */
	if (t->syscall_nr == SYS_restart_syscall &&
	    cleak__restarted_syscall(t) == SYS_clock_nanosleep)
		return;
	switch (cleak__restarted_syscall(t)) {
	case SYS_futex:
		want(&req[CLEAK_WAITMEM_OBJECT], a[0], FUTEX_AFTER, FUTEX_BEFORE);
		if (futex_op_has_timeout(a[1]))
			want(&req[CLEAK_WAITMEM_TIMEOUT], a[3], 16, 0);
		break;
	case SYS_poll:
	case SYS_ppoll:
		want(&req[CLEAK_WAITMEM_OBJECT], a[0],
		     (uint32_t)(a[1] < MAX_POLLFDS ? a[1] : MAX_POLLFDS) * sizeof(struct pollfd), 0);
		if (t->syscall_nr == SYS_ppoll)
			want(&req[CLEAK_WAITMEM_TIMEOUT], a[2], 16, 0);
		break;
	case SYS_select:
	case SYS_pselect6:
		set_bytes = (uint32_t)((a[0] < MAX_SELECT_BYTES * 8 ? a[0] : MAX_SELECT_BYTES * 8) + 7) / 8;
		want(&req[CLEAK_WAITMEM_OBJECT], a[1], set_bytes, 0);
		want(&req[CLEAK_WAITMEM_OBJECT2], a[2], set_bytes, 0);
		want(&req[CLEAK_WAITMEM_TIMEOUT], a[4], 16, 0);
		break;
	case SYS_epoll_pwait2:
		want(&req[CLEAK_WAITMEM_TIMEOUT], a[3], 16, 0);
		break;
	case SYS_nanosleep:
		want(&req[CLEAK_WAITMEM_TIMEOUT], a[0], 16, 0);
		break;
	case SYS_clock_nanosleep:
		want(&req[CLEAK_WAITMEM_TIMEOUT], a[2], 16, 0);
		break;
	case SYS_rt_sigtimedwait:
		want(&req[CLEAK_WAITMEM_OBJECT], a[0], 8, 0);	/* the kernel's sigset: 64 bits */
		want(&req[CLEAK_WAITMEM_TIMEOUT], a[2], 16, 0);
		break;
	default:
		break;
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
	const struct cleak_memcopy *m = &t->waitmem[CLEAK_WAITMEM_OBJECT];
	size_t n = 0, i;

	switch (cleak__restarted_syscall(t)) {
	case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev: case SYS_pwritev2:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
	case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
	case SYS_accept: case SYS_accept4: case SYS_connect:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_flock: case SYS_fcntl: case SYS_fsync: case SYS_fdatasync:
	case SYS_ioctl: case SYS_sendfile:
		return add_fd(fds, n, max, (int)t->syscall_args[0]);
	case SYS_poll:
	case SYS_ppoll:
		for (i = 0; m->bytes && (i + 1) * sizeof(struct pollfd) <= m->len; i++) {
			const struct pollfd *p = (const struct pollfd *)(m->bytes + i * sizeof(*p));

			n = add_fd(fds, n, max, p->fd);
		}
		return n;
	case SYS_select:
	case SYS_pselect6:
		n = fds_of_set(t, CLEAK_WAITMEM_OBJECT, fds, n, max);
		return fds_of_set(t, CLEAK_WAITMEM_OBJECT2, fds, n, max);
	default:
		return 0;
	}
}
