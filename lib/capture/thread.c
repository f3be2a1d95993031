// SPDX-License-Identifier: MIT
/*
 * One thread's capture, as the default mode takes it.  A thread blocked in
 * a system call is not stopped: its syscall line gives its stack and
 * instruction pointers, its stack is copied while it sleeps, and the
 * syscall line read again proves it did not move.  Any other thread is
 * stopped (target/ptrace.c), copied, and let go before the next one.
 */
#include "capture/capture.h"
#include "syscalls.h"
#include "go/gocapture.h"
#include "target/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Calls that a ptrace stop makes fail with EINTR instead of restarting:
 * the table says which (syscalls.c, after signal(7)), and which only on a
 * socket, whose SO_RCVTIMEO or SO_SNDTIMEO we cannot see from outside.
 * Whether the descriptor is a socket is looked up here, in /proc.
 */
bool cleak__syscall_eintr_on_stop(pid_t pid, long nr, const uint64_t *args)
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(nr);
	char path[64], link[64];
	ssize_t n;
	int fd;

	if (!sc)
		return false;
	switch (sc->stop) {
	case CLEAK__STOP_EINTR:
		return true;
	case CLEAK__STOP_EINTR_ON_SOCKET:
		fd = cleak__syscall_arg(sc, CLEAK__ARG_FD);
		if (fd < 0)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, (int)args[fd]);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			return true;	/* unknown: be gentle */
		link[n] = '\0';
		return strncmp(link, "socket:", 7) == 0;
	default:
		return false;
	}
}

/* /proc/<pid>/maps again, for a thread whose stack is new. */
int cleak__reload_maps(struct cleak_snapshot *snap)
{
	struct cleak_mapping *maps;
	size_t n;
	int err = cleak__read_maps(snap->pid, &maps, &n);

	if (err)
		return err;
	/* Modules index the old maps; they are opened again if needed. */
	cleak__snapshot_detach(snap, CLEAK__ATTACH_MODULES);
	cleak__free_maps(snap->maps, snap->nmaps);
	snap->maps = maps;
	snap->nmaps = n;
	return 0;
}

/*
 * Copy the live part of a stack: from SP to the end of the mapping that
 * holds it (for a pthread, its stack mapping; for the main thread,
 * [stack]), at most `limit` bytes.
 */
void cleak__copy_stack(struct cleak_snapshot *snap, struct cleak_thread *t,
		       uint64_t sp, size_t limit)
{
	const struct cleak_mapping *m;
	size_t want;

	m = cleak__find_mapping(snap->maps, snap->nmaps, sp);
	if (!m) {
		/* A thread created after /proc/<pid>/maps was read. */
		cleak__reload_maps(snap);
		m = cleak__find_mapping(snap->maps, snap->nmaps, sp);
	}
	free(t->stack);
	t->stack = NULL;
	t->stack_len = 0;
	t->stack_start = sp;
	if (!m)
		return;
	want = m->end - sp;
	t->stack_truncated = want > limit;
	if (want > limit)
		want = limit;
	t->stack = malloc(want ? want : 1);
	if (!t->stack)
		return;
	t->stack_len = cleak__read_target(snap->pid, sp, t->stack, want);
}


static void note_syscall(struct cleak_thread *t, const struct cleak__syscall *sc)
{
	t->syscall_nr = sc->nr;
	memcpy(t->syscall_args, sc->args, sizeof(t->syscall_args));
}

/*
 * stat, wchan and syscall of a thread, through its task directory.
 * Returns 0, or a negative errno when the thread is gone.
 */
int cleak__read_thread_lines(pid_t pid, struct cleak_thread *t)
{
	struct cleak__syscall sc;
	int err, taskfd = cleak__open_task(pid, t->tid);

	if (taskfd < 0)
		return -errno;
	err = cleak__read_task_stat(taskfd, t);
	if (!err)
		err = cleak__read_task_syscall(taskfd, &sc);
	if (!err)
		note_syscall(t, &sc);
	close(taskfd);
	return err;
}

/* Stop one thread, copy registers and stack, let it go. */
int cleak__capture_stopped(struct cleak_snapshot *snap, struct cleak_thread *t,
			   size_t limit, struct cleak__pending_detach *pending)
{
	struct cleak__stop_window win;
	char *why;
	uint64_t t0;
	bool group;
	int inject, err;

	cleak__stop_window_open(&win);
	t0 = cleak__now_us();
	err = cleak__seize(t->tid, &why);
	if (why)
		cleak__thread_set_error(t, why);
	if (!err)
		err = cleak__interrupt(t->tid);
	if (err)
		goto out_unblock;
	err = cleak__wait_stop(t->tid, &inject, &group);
	if (err == -ETIMEDOUT) {
		cleak__pending_add(pending, t->tid);
		cleak__thread_set_error(t, cleak__strdupf("did not stop within %d ms (%s); left alone",
			CLEAK__STOP_TIMEOUT_US / 1000, t->state == 'D' ? "in uninterruptible sleep"
							       : "the machine may be overloaded"));
		goto out_unblock;
	}
	if (err)
		goto out_unblock;
	t->was_stopped = group;
	err = cleak__read_regs(t->tid, t);
	if (!err) {
		cleak__copy_stack(snap, t, t->regs[CLEAK_REG_RSP], limit);
		t->how = CLEAK_CAPTURE_STOPPED;
	}
	cleak__detach(t->tid, inject);
	t->pause_us = (uint32_t)(cleak__now_us() - t0);
	snap->capture.threads_stopped++;
	snap->capture.pause_us += t->pause_us;
	if (t->pause_us > snap->capture.max_thread_pause_us)
		snap->capture.max_thread_pause_us = t->pause_us;
out_unblock:
	cleak__stop_window_close(&win);
	return err;
}

/*
 * A thread blocked in a syscall: copy its stack from the SP the kernel
 * reports, then check the syscall line did not change meanwhile.
 */
bool cleak__capture_blocked(struct cleak_snapshot *snap, struct cleak_thread *t, int taskfd,
			    const struct cleak__syscall *before, size_t limit)
{
	struct cleak__syscall after;

	cleak__copy_stack(snap, t, before->sp, limit);
	/* The lock word too, before the line is read again: a busy lock
	 * changes hands within microseconds, and an unchanged line proves
	 * the call still waited on what was copied. */
	cleak__copy_waitmem(snap->pid, t);
	if (cleak__read_task_syscall(taskfd, &after) < 0 || after.nr != before->nr ||
	    after.sp != before->sp || after.pc != before->pc ||
	    memcmp(after.args, before->args, sizeof(after.args)) != 0) {
		cleak__drop_waitmem(t);	/* of a call the thread has left */
		return false;
	}
	memset(t->regs, 0, sizeof(t->regs));
	t->regs[CLEAK_REG_RSP] = before->sp;
	t->regs[CLEAK_REG_RIP] = before->pc;
	t->regs_known = 1u << CLEAK_REG_RSP | 1u << CLEAK_REG_RIP;
	/*
	 * The arguments in the syscall line are the argument registers the
	 * kernel saved at entry (task_pt_regs), which the call leaves alone
	 * (x86-64 clobbers only rax, rcx, r11).  Some code parks a return
	 * address in one: glibc's vfork pops it into rdi.
	 */
	{
		static const enum cleak_reg arg_regs[6] = {
			CLEAK_REG_RDI, CLEAK_REG_RSI, CLEAK_REG_RDX,
			CLEAK_REG_R10, CLEAK_REG_R8, CLEAK_REG_R9,
		};
		size_t i;

		for (i = 0; i < 6; i++) {
			t->regs[arg_regs[i]] = before->args[i];
			t->regs_known |= 1u << arg_regs[i];
		}
	}
	t->how = CLEAK_CAPTURE_SYSCALL;
	snap->capture.threads_unstopped++;
	return true;
}

void cleak__mark_vanished(struct cleak_snapshot *snap, struct cleak_thread *t)
{
	cleak__thread_set_error(t, strdup("exited during capture"));
	t->how = CLEAK_CAPTURE_NONE;
	snap->capture.threads_vanished++;
}

/* Default mode: one thread at a time, stopped only if it must be. */
void cleak__capture_thread(struct cleak_snapshot *snap, struct cleak_thread *t,
			   size_t limit, bool allow_stop_blocked,
			   struct cleak__pending_detach *pending)
{
	struct cleak__syscall sc;
	int attempt, err, taskfd = cleak__open_task(snap->pid, t->tid);

	if (taskfd < 0 || cleak__read_task_stat(taskfd, t) < 0) {
		cleak__mark_vanished(snap, t);
		goto out;
	}
	if (cleak__state_has_no_stack(t->state)) {
		cleak__thread_set_error(t, strdup("zombie: the thread has exited and has no stack"));
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		if (cleak__read_task_syscall(taskfd, &sc) < 0) {
			cleak__mark_vanished(snap, t);
			goto out;
		}
		note_syscall(t, &sc);
		if (sc.nr < 0 || t->state == 'T' || t->state == 't')
			break;
		if (cleak__capture_blocked(snap, t, taskfd, &sc, limit))
			goto out;
	}
	if (snap->capture.nonblocking) {
		cleak__thread_set_error(t, strdup(sc.nr >= 0 ? "kept moving in and out of a call; "
				    "not stopped (--nonblocking)"
				    : "running; not stopped (--nonblocking)"));
		goto out;
	}
	/* A job-control stop already interrupted its call: stopping it
	 * again costs the program nothing. */
	if (sc.nr >= 0 && !allow_stop_blocked && t->state != 'T' &&
	    cleak__syscall_eintr_on_stop(snap->pid, sc.nr, sc.args)) {
		cleak__thread_set_error(t, strdup("kept moving in and out of a call that a stop "
				    "would interrupt with EINTR; not stopped"));
		goto out;
	}
	err = cleak__capture_stopped(snap, t, limit, pending);
	if (err == -ESRCH)
		cleak__mark_vanished(snap, t);
	else if (err && !t->error)
		cleak__thread_set_error(t, cleak__strdupf("capture failed: %s", strerror(-err)));
out:
	if (taskfd >= 0)
		close(taskfd);
}

static int add_thread(struct cleak_snapshot *snap, size_t *cap, pid_t tid)
{
	struct cleak_thread *n;

	if (snap->nthreads == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		n = realloc(snap->threads, *cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		snap->threads = n;
	}
	memset(&snap->threads[snap->nthreads], 0, sizeof(*n));
	snap->threads[snap->nthreads].tid = tid;
	snap->threads[snap->nthreads].syscall_nr = -1;
	snap->nthreads++;
	return 0;
}

static bool wanted(const struct cleak_capture_opts *opts, pid_t tid)
{
	size_t i;

	if (!opts || !opts->ntids)
		return true;
	for (i = 0; i < opts->ntids; i++)
		if (opts->tids[i] == tid)
			return true;
	return false;
}

/*
 * Add threads that /proc lists now and the snapshot lacks.  Returns how
 * many were added, or -errno.  /proc lists each tid once, so only the
 * threads known before this scan can be duplicates: look them up in a
 * sorted copy rather than scanning the snapshot for each tid.
 */
int cleak__add_new_threads(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			   size_t *cap)
{
	size_t n, i, nknown = snap->nthreads;
	pid_t *tids, *known = NULL;
	int added = 0, err;

	err = cleak__list_tasks(snap->pid, &tids, &n);
	if (err)
		return err;
	if (nknown) {
		known = malloc(nknown * sizeof(*known));
		if (!known) {
			free(tids);
			return -ENOMEM;
		}
		for (i = 0; i < nknown; i++)
			known[i] = snap->threads[i].tid;
		qsort(known, nknown, sizeof(*known), cleak__cmp_pid);
	}
	for (i = 0; i < n; i++) {
		if (!wanted(opts, tids[i]) ||
		    (known && bsearch(&tids[i], known, nknown, sizeof(*known), cleak__cmp_pid)))
			continue;
		err = add_thread(snap, cap, tids[i]);
		if (err)
			break;
		added++;
	}
	free(known);
	free(tids);
	return err ? err : added;
}

/*
 * Copy a Go program's goroutines (gocapture.c).  Failing to is not a
 * failed capture: the threads are still shown, and go->error says why
 * the goroutines are not.
 */
void cleak__capture_goroutines(struct cleak_snapshot *snap, enum cleak__go_mode mode, size_t limit)
{
	struct cleak__gobin *gb = cleak__snapshot_gobin(snap);

	if (!gb || !snap->go || snap->go->error)
		return;
	if (cleak__go_capture(snap, gb, mode, limit) < 0 && !snap->go->error)
		snap->go->error = strdup(cleak_errmsg()[0] ? cleak_errmsg()
							   : "cannot read the goroutines");
}
