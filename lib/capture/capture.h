/* SPDX-License-Identifier: MIT */
/*
 * capture.h - what the capture stage shares (lib/capture/): the rules for
 * stopping a thread, what a blocking call's arguments point at, and the
 * facts copied for classify.
 * Internal; not part of the public API.
 */
#ifndef CLEAK_CAPTURE_H
#define CLEAK_CAPTURE_H

#include "internal.h"

/* capture.c: would a ptrace stop make this blocked call fail with EINTR? */
bool cleak__syscall_eintr_on_stop(pid_t pid, long nr, const uint64_t *args);
/* Why a thread read without a stop stays unstopped; NULL if it may be stopped. */
const char *cleak__why_never_stopped(const struct cleak_snapshot *snap,
				     const struct cleak_thread *t);

/* waitargs.c: what a blocking call's arguments point at. */
struct cleak__memreq {
	uint64_t addr;
	uint32_t len;		/* bytes wanted from addr on; 0: none */
	uint32_t before;	/* also wanted before addr, if readable */
};
void cleak__wait_memreqs(const struct cleak_thread *t,
			 struct cleak__memreq req[CLEAK_WAITMEM_COUNT]);
/*
 * The call a thread waits in.  After a ptrace stop (anyone's: a
 * debugger, --freeze), a timed poll, futex wait or nanosleep shows as
 * restart_syscall; the kernel restarts it from its restart block, and the
 * registers the syscall line shows still hold the original call's
 * arguments.  wchan says which call it was.
 */
long cleak__restarted_syscall(const struct cleak_thread *t);
/* `len` copied bytes at target address `addr`, or NULL if not copied. */
const uint8_t *cleak__waitmem_at(const struct cleak_thread *t, enum cleak_waitmem_slot slot,
				 uint64_t addr, size_t len);
/* The descriptors a thread's blocking call waits on (not an epoll's
 * interest set: that is in snap->fds).  Returns how many. */
size_t cleak__wait_fds(const struct cleak_thread *t, int *fds, size_t max);

/* resources.c: after capture, copy what classify needs from the live
 * process (wait memory, descriptors, children); no stop. */
int cleak__collect_wait_facts(struct cleak_snapshot *snap);
/* Copy (again) the memory a thread's blocking call points at. */
void cleak__copy_waitmem(pid_t pid, struct cleak_thread *t);

#endif
