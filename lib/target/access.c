// SPDX-License-Identifier: MIT
/*
 * access.c - why this cleak may not ptrace a process, and the one thing
 * that would let it, read from what is true on this machine: its
 * effective capabilities, the user it and the target run as, its user
 * namespace, and Yama's ptrace_scope if Yama is there at all.
 *
 * The kernel's rule (ptrace(2), "Ptrace access mode checking";
 * Documentation/admin-guide/LSM/Yama.rst): the same real, effective and
 * saved uid and gid, a dumpable target, and the target's permitted
 * capabilities within the caller's; or CAP_SYS_PTRACE in the target's
 * user namespace; then Yama: 0 classic, 1 only descendants (or a
 * declared tracer, or CAP_SYS_PTRACE), 2 only CAP_SYS_PTRACE, 3 nobody.
 */
#include "target/target.h"
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

/* A capability set of /proc/PID/status (pid 0: this process), 0 when unknown. */
static unsigned long long caps(pid_t pid, const char *which)
{
	char v[64];

	return status_field(pid, which, v, sizeof(v)) ? strtoull(v, NULL, 16) : 0;
}

static bool has_sys_ptrace(void)
{
	return (caps(0, "CapEff") >> CAP_SYS_PTRACE_BIT) & 1;
}

/* Whether the real, effective and saved ids of `pid` (Uid: or Gid:) are
 * all `mine`, as the kernel requires without CAP_SYS_PTRACE; *shown is
 * the first that differs, or the real one. */
static bool same_ids(pid_t pid, const char *field, long mine, long *shown)
{
	char v[128];
	long ids[3];

	*shown = -1;
	if (!status_field(pid, field, v, sizeof(v)) ||
	    sscanf(v, "%ld %ld %ld", &ids[0], &ids[1], &ids[2]) != 3)
		return true;	/* unknown: let the other reasons speak */
	*shown = ids[0];
	for (int i = 0; i < 3; i++) {
		if (ids[i] != mine) {
			*shown = ids[i];
			return false;
		}
	}
	return true;
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

/* 1 when `pid` is in this process's user namespace, 0 when not, -1 when
 * its namespace cannot be read. */
static int same_user_namespace(pid_t pid)
{
	char path[64], mine[64], theirs[64];
	ssize_t a, b;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	a = readlink("/proc/self/ns/user", mine, sizeof(mine) - 1);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	if (a <= 0 || b <= 0)
		return -1;
	return a == b && memcmp(mine, theirs, (size_t)a) == 0;
}

int cleak__permission_error(pid_t pid)
{
	long me = (long)geteuid(), my_gid = (long)getegid(), them, gid;
	unsigned long long extra = caps(pid, "CapPrm") & ~caps(0, "CapEff");
	int scope = yama_scope(), same_ns;
	bool cap = has_sys_ptrace();
	const char *grant = "grant it CAP_SYS_PTRACE (docker and podman: --cap-add SYS_PTRACE; "
			    "Kubernetes: securityContext.capabilities.add [SYS_PTRACE])";

	if (scope == 3)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 3, so no process may ptrace another, root included, until "
				   "the next boot", pid);
	same_ns = same_user_namespace(pid);
	if (in_user_namespace() && same_ns != 1)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: cleak runs in a user "
				   "namespace (as with unshare -r or a rootless container)%s, and "
				   "its capabilities do not reach processes outside it: run cleak "
				   "in the target's user namespace, or outside any", pid,
				   same_ns == 0 ? " and the target does not" : "");
	if (cap)
		return cleak__fail(EPERM, "not allowed to inspect pid %d, although cleak has "
				   "CAP_SYS_PTRACE where the target runs and Yama allows it: "
				   "something else forbids it, such as a security module "
				   "(AppArmor, SELinux); the kernel or audit log may say what", pid);
	if (me == 0)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: cleak runs as root but "
				   "without CAP_SYS_PTRACE (dropped, as in most containers): %s",
				   pid, grant);
	if (scope == 2)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 2, so only a process with CAP_SYS_PTRACE may ptrace: run "
				   "cleak as root (sudo)", pid);
	if (!same_ids(pid, "Uid", me, &them))
		return cleak__fail(EPERM, "not allowed to inspect pid %d: it runs as uid %ld "
				   "(real, effective or saved) and cleak as uid %ld: run cleak as "
				   "%s", pid, them, me, scope == 1
				   ? "root (sudo); as that user, kernel.yama.ptrace_scope 1 would "
				     "still refuse it, as it is no descendant of cleak"
				   : "that user, or as root (sudo)");
	if (!same_ids(pid, "Gid", my_gid, &gid))
		return cleak__fail(EPERM, "not allowed to inspect pid %d: it runs with group %ld "
				   "(real, effective or saved) and cleak with group %ld, as a "
				   "set-group-ID program does: run cleak as root (sudo)", pid, gid,
				   my_gid);
	if (extra)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: it holds capabilities "
				   "that cleak lacks (permitted set %#llx), so only CAP_SYS_PTRACE "
				   "allows it: run cleak as root (sudo)", pid, caps(pid, "CapPrm"));
	if (scope == 1)
		return cleak__fail(EPERM, "not allowed to inspect pid %d: kernel.yama.ptrace_scope "
				   "is 1, so a process may only ptrace its own descendants without "
				   "CAP_SYS_PTRACE: run cleak as root (sudo), or allow it with "
				   "sysctl kernel.yama.ptrace_scope=0", pid);
	return cleak__fail(EPERM, "not allowed to inspect pid %d, although it runs as the "
			   "same user: most likely it is not dumpable (a set-user-ID or "
			   "file-capability program, or one that called prctl(PR_SET_DUMPABLE, "
			   "0)), which only CAP_SYS_PTRACE may ptrace, or a security module "
			   "(AppArmor, SELinux) forbids it: run cleak as root (sudo)", pid);
}

/* This process's pid as /proc names it (its pid namespace may differ
 * from the one getpid() answers in), -1 when unknown. */
pid_t cleak__own_proc_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}
