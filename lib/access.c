// SPDX-License-Identifier: MIT
/*
 * access.c - why this cleak may not ptrace a process, and the one thing
 * that would let it, read from what is true on this machine: its
 * effective capabilities, the user it and the target run as, its user
 * namespace, and Yama's ptrace_scope if Yama is there at all.
 *
 * The kernel's rule (ptrace(2), "Ptrace access mode checking";
 * Documentation/admin-guide/LSM/Yama.rst): the same uid and a dumpable
 * target, or CAP_SYS_PTRACE in the target's user namespace; then Yama:
 * 0 classic, 1 only descendants (or a declared tracer, or
 * CAP_SYS_PTRACE), 2 only CAP_SYS_PTRACE, 3 nobody.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CAP_SYS_PTRACE_BIT 19	/* linux/capability.h */

/* A "Name:\t..." line of /proc/PID/status (pid 0: this process). */
static bool status_field(pid_t pid, const char *name, char *out, size_t size)
{
	char path[64], buf[4096], *line;
	size_t len = strlen(name);

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if (cleak__read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	for (line = buf; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			snprintf(out, size, "%.*s", (int)strcspn(line + len + 1, "\n"),
				 line + len + 1 + strspn(line + len + 1, " \t"));
			return true;
		}
	}
	return false;
}

static bool has_sys_ptrace(void)
{
	char v[64];

	return status_field(0, "CapEff", v, sizeof(v)) &&
	       (strtoull(v, NULL, 16) >> CAP_SYS_PTRACE_BIT) & 1;
}

/* The real uid of `pid` (the first of Uid:), -1 when unknown. */
static long uid_of(pid_t pid)
{
	char v[128];

	return status_field(pid, "Uid", v, sizeof(v)) ? strtol(v, NULL, 10) : -1;
}

/* Yama's ptrace_scope, -1 when Yama is not there. */
static int yama_scope(void)
{
	char buf[16];

	if (cleak__read_small("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/* Whether this process is in a user namespace other than the first: its
 * capabilities then reach only processes inside it (user_namespaces(7)). */
static bool in_user_namespace(void)
{
	char buf[256];
	unsigned long inside, outside, count;

	if (cleak__read_small("/proc/self/uid_map", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return false;
	return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

int cleak__permission_error(pid_t pid)
{
	long me = (long)geteuid(), them = uid_of(pid);
	int scope = yama_scope();
	bool cap = has_sys_ptrace();
	const char *grant = "grant it CAP_SYS_PTRACE (docker and podman: --cap-add SYS_PTRACE; "
			    "Kubernetes: securityContext.capabilities.add [SYS_PTRACE])";

	if (scope == 3)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 3, so no process may ptrace another, root included, until "
				   "the next boot", pid);
	if (in_user_namespace())
		return cleak__fail(EPERM, "not allowed to inspect pid %d: cleak runs in a user "
				   "namespace (as with unshare -r or a rootless container), and its "
				   "capabilities do not reach processes outside it: run cleak in "
				   "the target's user namespace, or outside any", pid);
	if (cap)
		return cleak__fail(EPERM, "not allowed to inspect pid %d, although cleak has "
				   "CAP_SYS_PTRACE, runs in the first user namespace and Yama "
				   "allows it: something else forbids it, such as a security "
				   "module (AppArmor, SELinux); the kernel or audit log may say "
				   "what", pid);
	if (me == 0)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: cleak runs as root but "
				   "without CAP_SYS_PTRACE (dropped, as in most containers): %s",
				   pid, grant);
	if (scope == 2)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 2, so only a process with CAP_SYS_PTRACE may ptrace: run "
				   "cleak as root (sudo)", pid);
	if (them >= 0 && them != me)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: it runs as uid %ld and "
				   "cleak as uid %ld: run cleak as that user, or as root (sudo)",
				   pid, them, me);
	if (scope == 1)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 1, so a process may only ptrace its own descendants without "
				   "CAP_SYS_PTRACE: run cleak as root (sudo), or allow it with "
				   "sysctl kernel.yama.ptrace_scope=0", pid);
	return cleak__fail(EPERM, "not allowed to inspect pid %d: it is not dumpable (a "
			   "set-user-ID or file-capability program, or one that called "
			   "prctl(PR_SET_DUMPABLE, 0)), which only CAP_SYS_PTRACE may ptrace: run "
			   "cleak as root (sudo)", pid);
}
