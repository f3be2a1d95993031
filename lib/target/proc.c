// SPDX-License-Identifier: MIT
/*
 * Reading and parsing /proc.  Parsers take text so that unit tests can feed
 * them lines recorded from real kernels.
 */
#include "target/target.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ssize_t cleak__read_small(const char *path, char *buf, size_t size)
{
	return cleak__read_small_at(AT_FDCWD, path, buf, size);
}

ssize_t cleak__read_small_at(int dirfd, const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

/* /proc files report size 0, so grow the buffer until read() says EOF. */
ssize_t cleak__read_all(const char *path, char **out)
{
	size_t cap = 16384, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf)
		goto err_close;
	for (;;) {
		if (cap - len < 4096) {
			nbuf = realloc(buf, cap * 2);
			if (!nbuf)
				goto err_free;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_free;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	return (ssize_t)len;
err_free:
	n = -errno;
	free(buf);
	close(fd);
	return n ? n : -ENOMEM;
err_close:
	close(fd);
	return -ENOMEM;
}

int cleak__parse_stat(const char *text, struct cleak__stat *st)
{
	/* comm (field 2) may hold spaces and ')', so parse after the last ')'. */
	const char *open_paren = strchr(text, '('), *p = strrchr(text, ')');
	unsigned long long v[20];
	size_t len;
	int field;
	char *end;

	if (!open_paren || !p || p < open_paren || p[1] != ' ' || !p[2])
		return -EINVAL;
	len = (size_t)(p - open_paren - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open_paren + 1, len);
	st->comm[len] = '\0';
	st->state = p[2];
	p += 3;
	/* fields 4..22: ppid .. starttime */
	for (field = 4; field <= 22; field++) {
		errno = 0;
		v[field - 4] = strtoull(p, &end, 10);
		if (end == p)
			return -EINVAL;
		p = end;
	}
	st->ppid = (pid_t)v[0];
	st->flags = (unsigned long)v[9 - 4];
	st->utime = v[14 - 4];
	st->stime = v[15 - 4];
	st->start_time = v[22 - 4];
	return 0;
}

/*
 * /proc/<pid>/task/<tid>/syscall (proc(5)): "nr a1 .. a6 sp pc" while
 * blocked in a syscall, "-1 sp pc" while blocked elsewhere (for example in
 * a group stop), "running" while on a CPU.
 */
int cleak__parse_syscall(const char *text, struct cleak__syscall *sc)
{
	char *end;
	int i;

	memset(sc, 0, sizeof(*sc));
	if (strncmp(text, "running", 7) == 0) {
		sc->nr = -2;
		return 0;
	}
	sc->nr = strtol(text, &end, 10);
	if (end == text)
		return -EINVAL;
	if (sc->nr >= 0) {
		for (i = 0; i < 6; i++) {
			text = end;
			sc->args[i] = strtoull(text, &end, 16);
			if (end == text)
				return -EINVAL;
		}
	}
	text = end;
	sc->sp = strtoull(text, &end, 16);
	if (end == text)
		return -EINVAL;
	text = end;
	sc->pc = strtoull(text, &end, 16);
	if (end == text)
		return -EINVAL;
	return 0;
}

int cleak__parse_maps(const char *text, struct cleak_mapping **out, size_t *n)
{
	struct cleak_mapping *maps = NULL, *m, *nmaps;
	size_t count = 0, cap = 0;
	const char *line = text;

	while (*line) {
		const char *eol = strchrnul(line, '\n');
		unsigned long long start, end, off, ino;
		char perms[5], dev[16];
		int pathpos = 0;
		char *path;
		size_t plen;

		if (sscanf(line, "%llx-%llx %4s %llx %15s %llu %n", &start, &end,
			   perms, &off, dev, &ino, &pathpos) < 6)
			goto next;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			nmaps = realloc(maps, cap * sizeof(*maps));
			if (!nmaps)
				goto err;
			maps = nmaps;
		}
		m = &maps[count];
		memset(m, 0, sizeof(*m));
		m->start = start;
		m->end = end;
		m->offset = off;
		m->inode = ino;
		memcpy(m->perms, perms, sizeof(m->perms));
		if (pathpos > 0 && line + pathpos < eol) {
			plen = (size_t)(eol - (line + pathpos));
			path = strndup(line + pathpos, plen);
			if (!path)
				goto err;
			/* The kernel appends " (deleted)" to unlinked files. */
			if (plen > 10 && strcmp(path + plen - 10, " (deleted)") == 0) {
				path[plen - 10] = '\0';
				m->deleted = true;
			}
			m->path = path;
		}
		count++;
next:
		line = *eol ? eol + 1 : eol;
	}
	*out = maps;
	*n = count;
	return 0;
err:
	while (count--)
		free(maps[count].path);
	free(maps);
	return -ENOMEM;
}

int cleak__read_maps(pid_t pid, struct cleak_mapping **out, size_t *n)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (cleak__read_all(path, &text) < 0)
		return -errno;
	err = cleak__parse_maps(text, out, n);
	free(text);
	return err;
}

int cleak__cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int cleak__list_tasks(pid_t pid, pid_t **out, size_t *n)
{
	char path[64];
	size_t count = 0, cap = 64;
	pid_t *tids, *ntids;
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	tids = malloc(cap * sizeof(*tids));
	if (!tids)
		goto err_close;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (count == cap) {
			cap *= 2;
			ntids = realloc(tids, cap * sizeof(*tids));
			if (!ntids)
				goto err_free;
			tids = ntids;
		}
		tids[count++] = (pid_t)atoi(de->d_name);
	}
	closedir(dir);
	qsort(tids, count, sizeof(*tids), cleak__cmp_pid);
	*out = tids;
	*n = count;
	return 0;
err_free:
	free(tids);
err_close:
	closedir(dir);
	return -ENOMEM;
}
