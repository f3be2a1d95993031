// SPDX-License-Identifier: MIT
/*
 * Capture: when to stop which thread, and what to copy.  The process
 * itself is only touched through lib/target/ (its /proc files, its memory,
 * ptrace stops); this file decides the policy.
 *
 * Default mode takes one thread at a time.  A thread blocked in a system
 * call is not stopped at all: /proc/<pid>/task/<tid>/syscall gives its stack
 * and instruction pointers, its stack is copied while it sleeps, and the
 * syscall line is read again afterwards to prove it did not move.  Any other
 * thread is stopped (target/ptrace.c), its registers and live stack are
 * copied, and it is detached before the next thread is touched.
 *
 * --freeze stops every thread first, copies, then detaches all: one
 * consistent instant at the cost of a process-wide pause (and of EINTR for
 * the calls listed in signal(7), which a ptrace stop interrupts).
 */
#include "target/target.h"
#include "capture/capture.h"
#include "go/gocapture.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int capture_one_by_one(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			      size_t limit)
{
	struct cleak__pending_detach pending = { 0 };
	size_t cap = 0, done = 0;
	int added, rounds;

	/* Threads born during the pass are picked up by the next one. */
	for (rounds = 0; rounds < 8; rounds++) {
		added = cleak__add_new_threads(snap, opts, &cap);
		if (added < 0)
			return added;
		if (added == 0)
			break;
		for (; done < snap->nthreads; done++)
			cleak__capture_thread(snap, &snap->threads[done], limit,
					      false, &pending);
	}
	cleak__pending_flush(&pending);
	return 0;
}

static void copy_vdso(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nmaps; i++) {
		const struct cleak_mapping *m = &snap->maps[i];
		size_t len = m->end - m->start;

		if (!m->path || strcmp(m->path, "[vdso]") != 0)
			continue;
		snap->vdso = malloc(len);
		if (!snap->vdso)
			return;
		snap->vdso_len = cleak__read_target(snap->pid, m->start, snap->vdso, len);
		snap->vdso_start = m->start;
		return;
	}
}

static int check_target(struct cleak_snapshot *snap)
{
	char path[64], buf[1024], link[4096];
	struct cleak__stat st;
	pid_t *tids;
	size_t ntids, i;
	bool all_zombie = true;
	ssize_t n;

	/* as /proc counts pids: it may be another pid namespace's */
	if (snap->pid == cleak__own_proc_pid())
		return cleak__fail(EINVAL, "pid %d is this cleak itself, which cannot stop "
				   "itself to look: give the pid of the process to inspect "
				   "(`pgrep NAME` finds it)", snap->pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", snap->pid);
	n = cleak__read_small(path, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return cleak__fail(ESRCH, "no process with pid %d (it may have exited); "
				   "`ps -e` or `pgrep NAME` lists running processes", snap->pid);
	if (n < 0)
		return cleak__fail((int)-n, "cannot read %s: %s", path, strerror((int)-n));
	if (cleak__parse_stat(buf, &st))
		return cleak__fail(EINVAL, "cannot parse %s", path);
	memcpy(snap->comm, st.comm, sizeof(snap->comm));
	if (st.flags & CLEAK__PF_KTHREAD)
		return cleak__fail(EINVAL, "pid %d (%s) is a kernel thread: it runs only "
				   "in the kernel and has no user-space stack to show",
				   snap->pid, snap->comm);
	if (cleak__list_tasks(snap->pid, &tids, &ntids) == 0) {
		for (i = 0; i < ntids; i++) {
			struct cleak__stat tst;

			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", snap->pid, tids[i]);
			if (cleak__read_small(path, buf, sizeof(buf)) > 0 &&
			    cleak__parse_stat(buf, &tst) == 0 && tst.state != 'Z' &&
			    tst.state != 'X')
				all_zombie = false;
		}
		free(tids);
	}
	if (all_zombie)
		return cleak__fail(ESRCH, "pid %d (%s) is a zombie: it has exited and "
				   "waits for its parent (pid %d) to reap it; there is "
				   "nothing left to unwind", snap->pid, snap->comm, st.ppid);
	/* The syscall file needs the same permission as ptrace
	 * (PTRACE_MODE_ATTACH_FSCREDS, proc(5)). */
	snprintf(path, sizeof(path), "/proc/%d/syscall", snap->pid);
	n = cleak__read_small(path, buf, sizeof(buf));
	if (n == -EACCES || n == -EPERM)
		return cleak__permission_error(snap->pid);
	snprintf(path, sizeof(path), "/proc/%d/exe", snap->pid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (n > 10 && strcmp(link + n - 10, " (deleted)") == 0) {
			link[n - 10] = '\0';
			snap->exe_deleted = true;
		}
		snap->exe = strdup(link);
	}
	return 0;
}

/*
 * Is it a Go program?  Read its tables now, before anything is stopped.
 * A Go program cleak cannot read (an unknown release, a corrupt table)
 * still has its threads shown; go->error says why its goroutines are not.
 */
static int open_go(struct cleak_snapshot *snap)
{
	struct cleak__gobin *gb = NULL;
	int err = cleak__gobin_open(snap, &gb);

	if (!gb)
		return err == -ENOMEM ? cleak__fail(ENOMEM, "out of memory") : 0;
	snap->go = calloc(1, sizeof(*snap->go));
	if (!snap->go || !(snap->go->version = strdup(gb->version)) ||
	    (gb->module && !(snap->go->module = strdup(gb->module)))) {
		cleak__gobin_free(gb);
		return cleak__fail(ENOMEM, "out of memory");
	}
	snap->go->layout = gb->layout_source;
	snap->go->rules_minor = gb->layout ? gb->layout->minor : 0;
	if (gb->layout && gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN)
		snap->go->rules_minor = cleak__golayout_newest()->minor;
	if (err) {
		snap->go->error = strdup(cleak_errmsg());
		cleak__gobin_free(gb);
		return snap->go->error ? 0 : cleak__fail(ENOMEM, "out of memory");
	}
	return cleak__snapshot_set_gobin(snap, gb);
}

int cleak_snapshot_capture(pid_t pid, const struct cleak_capture_opts *opts,
			   struct cleak_snapshot **out)
{
	struct cleak_snapshot *snap;
	size_t limit = CLEAK_DEFAULT_STACK_BYTES;
	bool freeze = false, nonblocking = false, go_frozen;
	uint64_t t0 = cleak__now_us();
	int err;

	*out = NULL;
	if (opts && opts->sz >= sizeof(*opts)) {
		freeze = opts->freeze;
		nonblocking = opts->nonblocking;
		if (opts->max_stack_bytes)
			limit = opts->max_stack_bytes;
	}
	if (pid <= 0)
		return cleak__fail(EINVAL, "%d is not a process id", pid);
	snap = calloc(1, sizeof(*snap));
	if (!snap)
		return cleak__fail(ENOMEM, "out of memory");
	snap->pid = pid;
	snap->capture.nonblocking = nonblocking;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snap->capture.time_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snap->capture.time_mono_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	err = check_target(snap);
	if (err)
		goto err_free;
	err = cleak__reload_maps(snap);
	if (err) {
		err = err == -EACCES ? cleak__permission_error(pid)
				     : cleak__fail(-err, "cannot read /proc/%d/maps: %s",
						   pid, strerror(-err));
		goto err_free;
	}
	copy_vdso(snap);
	err = open_go(snap);
	if (err)
		goto err_free;
	if (opts && opts->sz < sizeof(*opts))
		opts = NULL;	/* an older caller: no thread filter */
	snap->capture.selected = opts && opts->ntids;
	/* Goroutines are consistent only while every thread stands still
	 * (the runtime's own dump stops the world): freeze, unless told
	 * to stop nothing or only some threads are taken. */
	if (snap->go && !snap->go->error && !nonblocking && !snap->capture.selected)
		freeze = true;
	if (nonblocking)
		freeze = false;
	snap->capture.freeze = freeze;
	/* Goroutine stacks are copied before the freeze, while the program
	 * runs; the freeze then only checks which of them moved.  With only
	 * some threads taken (--tid), the others run on: goroutines are read
	 * as without a stop. */
	go_frozen = freeze && !snap->capture.selected;
	if (go_frozen)
		cleak__capture_goroutines(snap, CLEAK__GO_PREFETCH, limit);
	err = freeze ? cleak__capture_frozen(snap, opts, limit, true) : capture_one_by_one(snap, opts, limit);
	if (err == -EAGAIN) {
		/* a thread left asleep woke during the freeze: again, all
		 * stopped; the pause reported is both together */
		uint64_t first_pause = snap->capture.pause_us;

		cleak__snapshot_drop_threads(snap);
		snap->capture.threads_stopped = snap->capture.threads_unstopped = 0;
		snap->capture.threads_vanished = 0;
		if (snap->go && cleak__snapshot_gobin(snap))
			cleak__go_forget(snap);
		err = cleak__capture_frozen(snap, opts, limit, false);
		snap->capture.pause_us += first_pause;
		snap->capture.max_thread_pause_us = snap->capture.pause_us;
	}
	if (!err && !go_frozen)
		cleak__capture_goroutines(snap, CLEAK__GO_NONBLOCKING, limit);
	if (err) {
		err = cleak__fail(-err, "capture of pid %d failed: %s", pid, strerror(-err));
		goto err_free;
	}
	if (snap->nthreads && snap->capture.threads_vanished == snap->nthreads) {
		err = cleak__fail(ESRCH, "pid %d exited during capture", pid);
		goto err_free;
	}
	{
		size_t i;

		for (i = 0; i < snap->nthreads; i++)
			snap->capture.stack_bytes += snap->threads[i].stack_len;
	}
	/* The target runs again: what the waits point at is read now. */
	if (snap->go && cleak__snapshot_gobin(snap))
		cleak__go_capture_finish(snap, cleak__snapshot_gobin(snap));
	err = cleak__collect_wait_facts(snap);
	if (err) {
		err = cleak__fail(-err, "capture of pid %d failed: %s", pid, strerror(-err));
		goto err_free;
	}
	snap->capture.wall_us = cleak__now_us() - t0;
	*out = snap;
	return 0;
err_free:
	cleak_snapshot_free(snap);
	return err;
}

/* Re-read a thread's /proc lines, then take it with a ptrace stop. */
static void capture_thread_stop(struct cleak_snapshot *snap, struct cleak_thread *t,
				size_t limit, struct cleak__pending_detach *pending)
{
	int err;

	cleak__thread_set_error(t, NULL);	/* what the first pass said no longer holds */
	cleak__drop_waitmem(t);
	if (cleak__read_thread_lines(snap->pid, t) < 0) {
		cleak__mark_vanished(snap, t);
		return;
	}
	err = cleak__capture_stopped(snap, t, limit, pending);
	if (err == -ESRCH)
		cleak__mark_vanished(snap, t);
	else if (err && !t->error)
		cleak__thread_set_error(t, cleak__strdupf("capture failed: %s", strerror(-err)));
}

/*
 * Why a thread read without a stop is not stopped later for the registers
 * its unwinding needs (cleak_snapshot_recapture), or NULL when it is.
 */
const char *cleak__why_never_stopped(const struct cleak_snapshot *snap,
				     const struct cleak_thread *t)
{
	if (snap->capture.nonblocking)
		return "--nonblocking stops nothing";
	if (t->state == 'D')
		return "it is in uninterruptible sleep and would not stop";
	if (cleak__syscall_eintr_on_stop(snap->pid, t->syscall_nr, t->syscall_args))
		return "a stop would make its blocking call fail with EINTR, with --freeze too";
	return NULL;
}

/*
 * Threads read without a stop whose unwinding needed a register that the
 * syscall line does not give (a caller that keeps its frame in RBP, and
 * the stack held no candidate for it that unwinds to the thread's start):
 * stop them now, unless cleak__why_never_stopped says otherwise.
 */
int cleak_snapshot_recapture(struct cleak_snapshot *snap,
			     const struct cleak_capture_opts *opts)
{
	struct cleak__pending_detach pending = { 0 };
	size_t limit = CLEAK_DEFAULT_STACK_BYTES, i;
	uint64_t t0 = cleak__now_us();
	unsigned done = 0;

	if (opts && opts->sz >= sizeof(*opts) && opts->max_stack_bytes)
		limit = opts->max_stack_bytes;
	for (i = 0; i < snap->nthreads; i++) {
		struct cleak_thread *t = &snap->threads[i];

		if (!t->needs_regs || t->how != CLEAK_CAPTURE_SYSCALL ||
		    cleak__why_never_stopped(snap, t))
			continue;
		snap->capture.threads_unstopped--;
		t->how = CLEAK_CAPTURE_NONE;
		t->needs_regs = false;
		free(t->pcs);
		t->pcs = NULL;
		t->npcs = 0;
		capture_thread_stop(snap, t, limit, &pending);
		done++;
	}
	cleak__pending_flush(&pending);
	if (done)
		cleak__collect_wait_facts(snap);
	snap->capture.wall_us += cleak__now_us() - t0;
	snap->capture.stack_bytes = 0;
	for (i = 0; i < snap->nthreads; i++)
		snap->capture.stack_bytes += snap->threads[i].stack_len;
	return (int)done;
}
