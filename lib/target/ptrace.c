// SPDX-License-Identifier: MIT
/*
 * ptrace stops: the only code that stops a thread of the target and lets
 * it go.  PTRACE_SEIZE + PTRACE_INTERRUPT never queue a signal (ptrace(2),
 * "PTRACE_INTERRUPT"), unlike PTRACE_ATTACH's SIGSTOP.  Whatever happens to
 * cleak, the target runs on: the kernel detaches every seized tracee when
 * the tracer exits (exit_ptrace()).  Terminal signals are blocked while
 * anything is stopped, so Ctrl-C takes effect right after the detach.
 */
#include "target/target.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void block_terminal_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGPIPE);
	/* Ctrl-Z would suspend cleak with the target's thread still stopped. */
	sigaddset(&set, SIGTSTP);
	/* Tracee stops arrive as SIGCHLD; wait_stop() takes them. */
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_signals(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}


void cleak__stop_window_open(struct cleak__stop_window *w)
{
	block_terminal_signals(&w->old_mask);
	errno = 0;
	w->old_nice = getpriority(PRIO_PROCESS, 0);
	w->reniced = errno == 0 && w->old_nice > -10 &&
		     setpriority(PRIO_PROCESS, 0, -10) == 0;
}

void cleak__stop_window_close(struct cleak__stop_window *w)
{
	if (w->reniced)
		setpriority(PRIO_PROCESS, 0, w->old_nice);
	restore_signals(&w->old_mask);
}

static void regs_from_user(struct cleak_thread *t, const struct user_regs_struct *r)
{
	t->regs[CLEAK_REG_RAX] = r->rax;
	t->regs[CLEAK_REG_RDX] = r->rdx;
	t->regs[CLEAK_REG_RCX] = r->rcx;
	t->regs[CLEAK_REG_RBX] = r->rbx;
	t->regs[CLEAK_REG_RSI] = r->rsi;
	t->regs[CLEAK_REG_RDI] = r->rdi;
	t->regs[CLEAK_REG_RBP] = r->rbp;
	t->regs[CLEAK_REG_RSP] = r->rsp;
	t->regs[CLEAK_REG_R8] = r->r8;
	t->regs[CLEAK_REG_R9] = r->r9;
	t->regs[CLEAK_REG_R10] = r->r10;
	t->regs[CLEAK_REG_R11] = r->r11;
	t->regs[CLEAK_REG_R12] = r->r12;
	t->regs[CLEAK_REG_R13] = r->r13;
	t->regs[CLEAK_REG_R14] = r->r14;
	t->regs[CLEAK_REG_R15] = r->r15;
	t->regs[CLEAK_REG_RIP] = r->rip;
	t->regs_known = (1u << CLEAK_REG_COUNT) - 1;
}

/* Kernel's PF_EXITING (include/linux/sched.h): ptrace_attach() refuses
 * such a task with EPERM. */
#define PF_EXITING 0x00000004UL

bool cleak__state_has_no_stack(char state)
{
	return state == 'Z' || state == 'X' || state == 'x';
}

/* An exiting thread never reports a stop, only its exit. */
static bool thread_exiting(pid_t tid)
{
	char path[64], buf[512];
	struct cleak__stat st;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	if (cleak__read_small(path, buf, sizeof(buf)) < 0 || cleak__parse_stat(buf, &st))
		return true;
	return (st.flags & PF_EXITING) || cleak__state_has_no_stack(st.state);
}

/*
 * Wait for a seized thread's stop.  Returns 0 when stopped (with the
 * signal to re-inject on detach in *inject), -ESRCH when it exited,
 * -ETIMEDOUT when it did not stop in time.
 */
int cleak__wait_stop(pid_t tid, int *inject, bool *group_stopped)
{
	uint64_t deadline = cleak__now_us() + CLEAK__STOP_TIMEOUT_US, now;
	struct timespec ts;
	sigset_t chld;
	int status, sig;
	pid_t r;

	*inject = 0;
	*group_stopped = false;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		r = waitpid(tid, &status, __WALL | WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -ESRCH;
		if (r == tid)
			break;
		now = cleak__now_us();
		if (now >= deadline)
			return thread_exiting(tid) ? -ESRCH : -ETIMEDOUT;
		/* A tracee's stop notifies the tracer with SIGCHLD (blocked
		 * during capture): sleep until then, not a fixed tick. */
		ts.tv_sec = (time_t)((deadline - now) / 1000000);
		ts.tv_nsec = (long)((deadline - now) % 1000000) * 1000;
		sigtimedwait(&chld, NULL, &ts);
	}
	if (WIFEXITED(status) || WIFSIGNALED(status))
		return -ESRCH;
	sig = WSTOPSIG(status);
	if ((status >> 16) == PTRACE_EVENT_STOP) {
		/* Interrupt stop reports SIGTRAP; a group stop reports the
		 * stop signal (ptrace(2), "Group-stop"). */
		*group_stopped = sig != SIGTRAP;
	} else {
		/* A signal arrived for the thread first: hand it back. */
		*inject = sig;
	}
	return 0;
}


void cleak__pending_add(struct cleak__pending_detach *p, pid_t tid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		pid_t *n = realloc(p->tids, cap * sizeof(*n));

		if (!n)
			return;	/* the kernel detaches it when we exit */
		p->tids = n;
		p->cap = cap;
	}
	p->tids[p->n++] = tid;
}

/*
 * A thread that has not stopped yet stays seized with an interrupt
 * pending; when it finally stops, detach it.  Anything still pending when
 * cleak exits is released by the kernel.
 */
void cleak__pending_flush(struct cleak__pending_detach *p)
{
	bool group;
	int inject;
	size_t i;
	sigset_t old;

	if (!p->n)
		return;
	block_terminal_signals(&old);	/* wait_stop() waits for SIGCHLD */
	for (i = 0; i < p->n; i++)
		if (cleak__wait_stop(p->tids[i], &inject, &group) == 0)
			ptrace(PTRACE_DETACH, p->tids[i], 0, (void *)(long)inject);
	restore_signals(&old);
	free(p->tids);
	p->tids = NULL;
	p->n = p->cap = 0;
}

int cleak__seize(pid_t tid, char **why)
{
	char path[64], buf[4096], *p;
	long tracer = 0;

	*why = NULL;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (cleak__read_small(path, buf, sizeof(buf)) > 0 && (p = strstr(buf, "TracerPid:")))
		tracer = strtol(p + 10, NULL, 10);
	if (tracer > 0) {
		*why = cleak__strdupf("already traced by pid %ld (a debugger?); only one "
				      "tracer can attach", tracer);
		return -EPERM;
	}
	if (thread_exiting(tid))
		return -ESRCH;
	*why = cleak__strdupf("ptrace refused: %s", strerror(EPERM));
	return -EPERM;
}

int cleak__interrupt(pid_t tid)
{
	int err;

	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) == 0)
		return 0;
	err = -errno;
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return err;
}

int cleak__read_regs(pid_t tid, struct cleak_thread *t)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, tid, 0, &r) < 0)
		return -errno;
	regs_from_user(t, &r);
	return 0;
}

void cleak__detach(pid_t tid, int inject)
{
	ptrace(PTRACE_DETACH, tid, 0, (void *)(long)inject);
}
