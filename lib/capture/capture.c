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
#include "syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static int reload_maps(struct cleak_snapshot *snap)
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
static void copy_stack(struct cleak_snapshot *snap, struct cleak_thread *t,
		       uint64_t sp, size_t limit)
{
	const struct cleak_mapping *m;
	size_t want;

	m = cleak__find_mapping(snap->maps, snap->nmaps, sp);
	if (!m) {
		/* A thread created after /proc/<pid>/maps was read. */
		reload_maps(snap);
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

static void set_error(struct cleak_thread *t, char *msg)
{
	free(t->error);
	t->error = msg;
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
static int read_thread_lines(pid_t pid, struct cleak_thread *t)
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
static int capture_stopped(struct cleak_snapshot *snap, struct cleak_thread *t,
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
		set_error(t, why);
	if (!err)
		err = cleak__interrupt(t->tid);
	if (err)
		goto out_unblock;
	err = cleak__wait_stop(t->tid, &inject, &group);
	if (err == -ETIMEDOUT) {
		cleak__pending_add(pending, t->tid);
		set_error(t, cleak__strdupf("did not stop within %d ms (%s); left alone",
			CLEAK__STOP_TIMEOUT_US / 1000, t->state == 'D' ? "in uninterruptible sleep"
							       : "the machine may be overloaded"));
		goto out_unblock;
	}
	if (err)
		goto out_unblock;
	t->was_stopped = group;
	err = cleak__read_regs(t->tid, t);
	if (!err) {
		copy_stack(snap, t, t->regs[CLEAK_REG_RSP], limit);
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
static bool capture_blocked(struct cleak_snapshot *snap, struct cleak_thread *t, int taskfd,
			    const struct cleak__syscall *before, size_t limit)
{
	struct cleak__syscall after;

	copy_stack(snap, t, before->sp, limit);
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

static void mark_vanished(struct cleak_snapshot *snap, struct cleak_thread *t)
{
	set_error(t, strdup("exited during capture"));
	t->how = CLEAK_CAPTURE_NONE;
	snap->capture.threads_vanished++;
}

/* Default mode: one thread at a time, stopped only if it must be. */
static void capture_thread(struct cleak_snapshot *snap, struct cleak_thread *t,
			   size_t limit, bool allow_stop_blocked,
			   struct cleak__pending_detach *pending)
{
	struct cleak__syscall sc;
	int attempt, err, taskfd = cleak__open_task(snap->pid, t->tid);

	if (taskfd < 0 || cleak__read_task_stat(taskfd, t) < 0) {
		mark_vanished(snap, t);
		goto out;
	}
	if (cleak__state_has_no_stack(t->state)) {
		set_error(t, strdup("zombie: the thread has exited and has no stack"));
		goto out;
	}
	for (attempt = 0; attempt < 3; attempt++) {
		if (cleak__read_task_syscall(taskfd, &sc) < 0) {
			mark_vanished(snap, t);
			goto out;
		}
		note_syscall(t, &sc);
		if (sc.nr < 0 || t->state == 'T' || t->state == 't')
			break;
		if (capture_blocked(snap, t, taskfd, &sc, limit))
			goto out;
	}
	if (snap->capture.nonblocking) {
		set_error(t, strdup(sc.nr >= 0 ? "kept moving in and out of a call; "
				    "not stopped (--nonblocking)"
				    : "running; not stopped (--nonblocking)"));
		goto out;
	}
	/* A job-control stop already interrupted its call: stopping it
	 * again costs the program nothing. */
	if (sc.nr >= 0 && !allow_stop_blocked && t->state != 'T' &&
	    cleak__syscall_eintr_on_stop(snap->pid, sc.nr, sc.args)) {
		set_error(t, strdup("kept moving in and out of a call that a stop "
				    "would interrupt with EINTR; not stopped"));
		goto out;
	}
	err = capture_stopped(snap, t, limit, pending);
	if (err == -ESRCH)
		mark_vanished(snap, t);
	else if (err && !t->error)
		set_error(t, cleak__strdupf("capture failed: %s", strerror(-err)));
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
static int add_new_threads(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
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
static void read_goroutines(struct cleak_snapshot *snap, enum cleak__go_mode mode, size_t limit)
{
	struct cleak__gobin *gb = cleak__snapshot_gobin(snap);

	if (!gb || !snap->go || snap->go->error)
		return;
	if (cleak__go_capture(snap, gb, mode, limit) < 0 && !snap->go->error)
		snap->go->error = strdup(cleak_errmsg()[0] ? cleak_errmsg()
							   : "cannot read the goroutines");
}

static int capture_one_by_one(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
			      size_t limit)
{
	struct cleak__pending_detach pending = { 0 };
	size_t cap = 0, done = 0;
	int added, rounds;

	/* Threads born during the pass are picked up by the next one. */
	for (rounds = 0; rounds < 8; rounds++) {
		added = add_new_threads(snap, opts, &cap);
		if (added < 0)
			return added;
		if (added == 0)
			break;
		for (; done < snap->nthreads; done++)
			capture_thread(snap, &snap->threads[done], limit,
					      false, &pending);
	}
	cleak__pending_flush(&pending);
	return 0;
}

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
	     capture_blocked(snap, t, taskfd, &a->sc, limit) &&
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

static int capture_frozen(struct cleak_snapshot *snap, const struct cleak_capture_opts *opts,
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

		added = add_new_threads(snap, opts, &cap);
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
			if (read_thread_lines(snap->pid, &snap->threads[i]) < 0)
				mark_vanished(snap, &snap->threads[i]);
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
				capture_thread(snap, t, limit, false, &pending);
				continue;
			}
			if (leave_asleep_ok && leave_asleep(snap->pid, t, &asleep[i]))
				continue;
			err = cleak__seize(t->tid, &why);
			if (why)
				set_error(t, why);
			if (err == -ESRCH)
				mark_vanished(snap, t);
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
			set_error(t, cleak__strdupf("did not stop within %d ms; left alone",
						    CLEAK__STOP_TIMEOUT_US / 1000));
			seized[i] = false;
			continue;
		}
		if (err) {
			mark_vanished(snap, t);
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
			copy_stack(snap, t, t->regs[CLEAK_REG_RSP], limit);
			/* Lock words of the same frozen instant. */
			cleak__copy_waitmem(snap->pid, t);
			t->how = CLEAK_CAPTURE_STOPPED;
		}
	}
	/* A Go program's goroutines, at the same frozen instant. */
	if (!snap->capture.selected)
		read_goroutines(snap, CLEAK__GO_FROZEN, limit);
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
	err = reload_maps(snap);
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
		read_goroutines(snap, CLEAK__GO_PREFETCH, limit);
	err = freeze ? capture_frozen(snap, opts, limit, true) : capture_one_by_one(snap, opts, limit);
	if (err == -EAGAIN) {
		/* a thread left asleep woke during the freeze: again, all
		 * stopped; the pause reported is both together */
		uint64_t first_pause = snap->capture.pause_us;

		cleak__snapshot_drop_threads(snap);
		snap->capture.threads_stopped = snap->capture.threads_unstopped = 0;
		snap->capture.threads_vanished = 0;
		if (snap->go && cleak__snapshot_gobin(snap))
			cleak__go_forget(snap);
		err = capture_frozen(snap, opts, limit, false);
		snap->capture.pause_us += first_pause;
		snap->capture.max_thread_pause_us = snap->capture.pause_us;
	}
	if (!err && !go_frozen)
		read_goroutines(snap, CLEAK__GO_NONBLOCKING, limit);
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

	set_error(t, NULL);	/* what the first pass said no longer holds */
	cleak__drop_waitmem(t);
	if (read_thread_lines(snap->pid, t) < 0) {
		mark_vanished(snap, t);
		return;
	}
	err = capture_stopped(snap, t, limit, pending);
	if (err == -ESRCH)
		mark_vanished(snap, t);
	else if (err && !t->error)
		set_error(t, cleak__strdupf("capture failed: %s", strerror(-err)));
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
