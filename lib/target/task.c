// SPDX-License-Identifier: MIT
/*
 * A thread's /proc/<pid>/task/<tid> files: what it looks like without a
 * stop (stat, wchan, the syscall line, its context switches).
 */
#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int cleak__open_task(pid_t pid, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", pid, tid);
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* stat (with the name) and wchan: what a thread looks like before
 * anything stops it. */
int cleak__read_task_stat(int taskfd, struct cleak_thread *t)
{
	char buf[1024];
	struct cleak__stat st;
	ssize_t n;

	n = cleak__read_small_at(taskfd, "stat", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (cleak__parse_stat(buf, &st))
		return -EINVAL;
	memcpy(t->name, st.comm, sizeof(t->name));
	t->state = st.state;
	t->start_time = st.start_time;
	t->utime = st.utime;
	t->stime = st.stime;

	n = cleak__read_small_at(taskfd, "wchan", buf, sizeof(t->wchan));
	if (n > 0 && strcmp(buf, "0") != 0)
		memcpy(t->wchan, buf, (size_t)n + 1);
	return 0;
}

int cleak__read_task_syscall(int taskfd, struct cleak__syscall *sc)
{
	char buf[256];
	ssize_t n;

	n = cleak__read_small_at(taskfd, "syscall", buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cleak__parse_syscall(buf, sc);
}

long long cleak__read_task_switches(int taskfd)
{
	char buf[4096], *p;
	long long v, sum = 0;
	int found = 0;

	if (cleak__read_small_at(taskfd, "status", buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; (p = strstr(p, "ctxt_switches:")); p++)
		if (sscanf(p + strlen("ctxt_switches:"), "%lld", &v) == 1)
			sum += v, found++;
	return found == 2 ? sum : -1;
}
