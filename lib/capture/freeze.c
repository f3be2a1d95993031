// SPDX-License-Identifier: MIT
/*
 * --freeze (and a Go program's default capture): every thread stopped
 * first, copied, then all let go, for one consistent instant, except the
 * threads asleep in a call that a stop would interrupt with EINTR, proven
 * not to have moved.
 */
#include "capture/capture.h"
#include "go/gocapture.h"
#include "target/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A thread blocked, for the whole freeze, in a call that a stop would
 * fail with EINTR (epoll_wait, a Go program's netpoller) is left running:
 * asleep in the kernel it cannot change its own memory.  What proves it
 * never left the call: the same syscall line, and the same number of
 * context switches (voluntary and not, /proc/PID/task/TID/status), before
 * the first stop and after the last read.
 */
struct asleep {
	bool set;
	struct cleak__syscall sc;
	long long switches;
};

static bool leave_asleep(pid_t pid, struct cleak_thread *t, struct asleep *a)
{
	int taskfd;

	a->set = false;
	if (t->syscall_nr < 0 || t->state == 'T' || t->state == 't' ||
	    !cleak__syscall_eintr_on_stop(pid, t->syscall_nr, t->syscall_args))
		return false;
	taskfd = cleak__open_task(pid, t->tid);
	if (taskfd < 0)
		return false;
	a->switches = cleak__read_task_switches(taskfd);
	a->set = a->switches >= 0 && cleak__read_task_syscall(taskfd, &a->sc) == 0 &&
		 a->sc.nr == t->syscall_nr;
	close(taskfd);
	return a->set;
}

/* Read a thread left asleep, as per-thread mode reads a blocked one, if
 * it stayed in its call; false if it ran meanwhile. */
static bool read_asleep(struct cleak_snapshot *snap, struct cleak_thread *t,
			const struct asleep *a, size_t limit)
{
	int taskfd = cleak__open_task(snap->pid, t->tid);
	bool ok;

	if (taskfd < 0)
		return false;
	ok = cleak__read_task_switches(taskfd) == a->switches &&
	     cleak__capture_blocked(snap, t, taskfd, &a->sc, limit) &&
	     cleak__read_task_switches(taskfd) == a->switches;
	if (!ok && t->how == CLEAK_CAPTURE_SYSCALL) {
		/* it moved while its stack was copied: not of this instant */
		t->how = CLEAK_CAPTURE_NONE;
		snap->capture.threads_unstopped--;
		cleak__drop_waitmem(t);
	}
	close(taskfd);
	return ok;
}

int cleak__capture_frozen(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			  size_t limit, bool leave_asleep_ok)
{
	struct cleak__pending_detach pending = { 0 };
	size_t cap = 0, i, seized_upto = 0;
	char *why;
	bool *seized = NULL;
	struct asleep *asleep = NULL;
	uint64_t t0;
	int added, rounds, err = 0, inject;
	int *injects = NULL;
	bool group;
	struct cleak__stop_window win;

	/*
	 * Each round reads the /proc lines of the threads it finds before
	 * stopping any of them (a stopped thread always looks idle), then
	 * stops them; rounds repeat until a scan finds no new thread, which
	 * also catches threads created meanwhile by threads not yet stopped.
	 */
	cleak__stop_window_open(&win);
	t0 = 0;
	for (rounds = 0; rounds < 64; rounds++) {
		bool *ns;
		int *ni;
		struct asleep *na;

		added = cleak__add_new_threads(snap, opts, &cap);
		if (added < 0) {
			err = added;
			goto out_detach;
		}
		if (added == 0)
			break;
		ns = realloc(seized, snap->nthreads * sizeof(*ns));
		if (ns)
			seized = ns;
		ni = ns ? realloc(injects, snap->nthreads * sizeof(*ni)) : NULL;
		if (ni)
			injects = ni;
		na = ni ? realloc(asleep, snap->nthreads * sizeof(*na)) : NULL;
		if (na)
			asleep = na;
		if (!ns || !ni || !na) {
			err = -ENOMEM;
			goto out_detach;
		}
		for (i = seized_upto; i < snap->nthreads; i++) {
			seized[i] = false;
			injects[i] = 0;
			asleep[i].set = false;
			if (cleak__read_thread_lines(snap->pid, &snap->threads[i]) < 0)
				cleak__mark_vanished(snap, &snap->threads[i]);
		}
		if (!t0)
			t0 = cleak__now_us();	/* the first stop */
		for (i = seized_upto; i < snap->nthreads; i++) {
			struct cleak_thread *t = &snap->threads[i];

			if (t->how != CLEAK_CAPTURE_NONE || t->error || cleak__state_has_no_stack(t->state))
				continue;
			/* Uninterruptible in a system call: it would stop only
			 * when it wakes, which may be never (a vfork parent, a
			 * hung NFS server), and it runs no code of its own
			 * meanwhile: read it as it sleeps, as per-thread mode does.
			 * Outside a call (a page fault, an exit) D is brief. */
			if (t->state == 'D' && t->syscall_nr >= 0) {
				cleak__capture_thread(snap, t, limit, false, &pending);
				continue;
			}
			if (leave_asleep_ok && leave_asleep(snap->pid, t, &asleep[i]))
				continue;
			err = cleak__seize(t->tid, &why);
			if (why)
				cleak__thread_set_error(t, why);
			if (err == -ESRCH)
				cleak__mark_vanished(snap, t);
			if (err)
				continue;
			seized[i] = cleak__interrupt(t->tid) == 0;
		}
		seized_upto = snap->nthreads;
	}
	for (i = 0; i < seized_upto; i++) {
		struct cleak_thread *t = &snap->threads[i];

		if (!seized[i])
			continue;
		err = cleak__wait_stop(t->tid, &inject, &group);
		if (err == -ETIMEDOUT) {
			cleak__pending_add(&pending, t->tid);
			cleak__thread_set_error(t, cleak__strdupf("did not stop within %d ms; left alone",
						    CLEAK__STOP_TIMEOUT_US / 1000));
			seized[i] = false;
			continue;
		}
		if (err) {
			cleak__mark_vanished(snap, t);
			seized[i] = false;
			continue;
		}
		injects[i] = inject;
		t->was_stopped = group;
	}
	err = 0;
	for (i = 0; i < seized_upto; i++) {
		struct cleak_thread *t = &snap->threads[i];

		if (!seized[i])
			continue;
		if (cleak__read_regs(t->tid, t) == 0) {
			cleak__copy_stack(snap, t, t->regs[CLEAK_REG_RSP], limit);
			/* Lock words of the same frozen instant. */
			cleak__copy_waitmem(snap->pid, t);
			t->how = CLEAK_CAPTURE_STOPPED;
		}
	}
	/* A Go program's goroutines, at the same frozen instant. */
	if (!snap->capture.selected)
		cleak__capture_goroutines(snap, CLEAK__GO_FROZEN, limit);
	/* The threads left asleep: read if they stayed in their call the
	 * whole time.  If one woke meanwhile it may have changed memory the
	 * others' copies and the goroutines came from, and started threads:
	 * everything is let go, and the caller freezes again, stopping every
	 * thread (its call then fails with EINTR, as before). */
	for (i = 0; leave_asleep_ok && i < seized_upto; i++) {
		if (asleep[i].set && !read_asleep(snap, &snap->threads[i], &asleep[i], limit)) {
			err = -EAGAIN;
			break;
		}
	}
out_detach:
	for (i = 0; i < seized_upto && seized; i++) {
		if (!seized[i])
			continue;
		cleak__detach(snap->threads[i].tid, injects[i]);
		snap->capture.threads_stopped++;
	}
	snap->capture.pause_us = t0 ? cleak__now_us() - t0 : 0;
	snap->capture.max_thread_pause_us = snap->capture.pause_us;
	for (i = 0; i < seized_upto && seized; i++)
		if (seized[i])
			snap->threads[i].pause_us = (uint32_t)snap->capture.pause_us;
	cleak__stop_window_close(&win);
	cleak__pending_flush(&pending);
	free(seized);
	free(injects);
	free(asleep);
	return err;
}
