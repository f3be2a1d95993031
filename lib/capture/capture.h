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

/* thread.c: would a ptrace stop make this blocked call fail with EINTR? */
bool cleak__syscall_eintr_on_stop(pid_t pid, long nr, const uint64_t *args);
/* capture.c: why a thread read without a stop stays unstopped; NULL if it
 * may be stopped. */
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

/* thread.c: one thread, as the default mode takes it. */
struct cleak__pending_detach;
struct cleak__syscall;
/* Read /proc/<pid>/maps again (and forget the files opened for the old). */
int cleak__reload_maps(struct cleak_snapshot *snap);
/* Its live stack from sp up, at most limit bytes. */
void cleak__copy_stack(struct cleak_snapshot *snap, struct cleak_thread *t, uint64_t sp,
		       size_t limit);
/* stat, wchan and syscall; 0, or -errno when the thread is gone. */
int cleak__read_thread_lines(pid_t pid, struct cleak_thread *t);
/* Stop it, copy registers and stack, let it go; one that does not stop in
 * time is left in pending. */
int cleak__capture_stopped(struct cleak_snapshot *snap, struct cleak_thread *t, size_t limit,
			   struct cleak__pending_detach *pending);
/* Copy a thread blocked in sc without a stop; false if it moved. */
bool cleak__capture_blocked(struct cleak_snapshot *snap, struct cleak_thread *t, int taskfd,
			    const struct cleak__syscall *sc, size_t limit);
void cleak__mark_vanished(struct cleak_snapshot *snap, struct cleak_thread *t);
/* Read it, stopped only if it must be (and allow_stop_blocked allows). */
void cleak__capture_thread(struct cleak_snapshot *snap, struct cleak_thread *t, size_t limit,
			   bool allow_stop_blocked, struct cleak__pending_detach *pending);
/* Threads /proc lists now that the snapshot lacks: how many, or -errno. */
int cleak__add_new_threads(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			   size_t *cap);
/* A Go program's goroutines; a failure is said in go->error, not returned. */
enum cleak__go_mode;
void cleak__capture_goroutines(struct cleak_snapshot *snap, enum cleak__go_mode mode,
			       size_t limit);

/* freeze.c: every thread stopped at once; -EAGAIN when a thread left
 * asleep woke meanwhile (capture again with leave_asleep_ok false). */
int cleak__capture_frozen(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			  size_t limit, bool leave_asleep_ok);

#endif
