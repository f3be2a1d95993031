// SPDX-License-Identifier: MIT
/*
 * Capture facts for classify, read from the live process right after the
 * threads are captured, without stopping anything:
 *
 *   - the memory a blocked call points at (the futex word and the glibc
 *     structure around it, a pollfd array, a timeout), which stays put
 *     while the call is blocked on it;
 *   - what each descriptor a wait refers to is, in words: sockets from the
 *     target's own /proc/<pid>/net tables (so its network namespace), the
 *     peer of a unix socket from sock_diag, who holds the other end of a
 *     pipe, an epoll's interest set from fdinfo;
 *   - the children, for threads in waitpid.
 */
#include "target/target.h"
#include "capture/capture.h"
#include "internal.h"
#include "syscalls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WAIT_FDS 64
/* An epoll may watch thousands of connections: describe the first ones. */
#define MAX_EPOLL_TARGETS 256

struct sock_entry {
	uint64_t inode;
	uint64_t peer;		/* unix: the peer's inode (sock_diag); 0 unknown */
	char *text;		/* "tcp 127.0.0.1:80 (listening)", "unix /run/x.sock" */
	char *path;		/* unix: the bound path */
	/* Both are this run's own copies: a host's tables can hold 100,000
	 * sockets, and only the few that waits use go into the snapshot. */
	bool listening;
};

/* A descriptor of some process that refers to an inode we describe. */
struct holder {
	pid_t pid;		/* the target itself or another process */
	int fd;
	uint64_t inode;
	int accmode;		/* O_RDONLY, O_WRONLY, O_RDWR (fdinfo flags) */
};

struct facts {
	struct cleak_snapshot *snap;
	struct cleak__strpool *pool;
	bool socks_loaded;
	struct sock_entry *socks;
	size_t nsocks;
	bool own_loaded, others_loaded;
	struct holder *holders;	/* target's descriptors first, then others' */
	size_t nholders, nown;
};

/* ---- copying the memory a blocked call points at ---- */

void cleak__copy_waitmem(pid_t pid, struct cleak_thread *t)
{
	struct cleak__memreq req[CLEAK_WAITMEM_COUNT];
	size_t i;

	cleak__wait_memreqs(t, req);
	for (i = 0; i < CLEAK_WAITMEM_COUNT; i++) {
		struct cleak_memcopy *m = &t->waitmem[i];
		uint64_t start = req[i].addr - req[i].before;
		size_t len = req[i].len + req[i].before;

		free(m->bytes);
		memset(m, 0, sizeof(*m));
		if (!req[i].len || !(m->bytes = malloc(len)))
			continue;
		/* The bytes before the word may sit on an unmapped page: then
		 * take only the word and what follows. */
		m->len = (uint32_t)cleak__read_target(pid, start, m->bytes, len);
		m->addr = start;
		if (m->len < req[i].before + req[i].len && req[i].before) {
			m->len = (uint32_t)cleak__read_target(pid, req[i].addr, m->bytes, req[i].len);
			m->addr = req[i].addr;
		}
		if (!m->len) {
			free(m->bytes);
			m->bytes = NULL;
		}
	}
}

/* ---- sockets, from the target's network namespace ---- */

static const char *tcp_state(unsigned st)
{
	/* include/net/tcp_states.h */
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
		"NEW_SYN_RECV",
	};

	return st < CLEAK__ARRAY_SIZE(names) ? names[st] : "?";
}

/*
 * "0100007F:1F90" (IPv4) or 32 hex digits (IPv6) as /proc/net/tcp prints
 * them: each 32-bit word of the address in host byte order, the port in
 * host order.  Writes "127.0.0.1:8080" or "[::1]:8080"; IPv4-mapped IPv6
 * addresses print as IPv4.
 */
static bool format_endpoint(const char *hex, char *out, size_t size)
{
	uint32_t words[4];
	char addr[INET6_ADDRSTRLEN];
	const char *colon = strchr(hex, ':');
	unsigned port;
	size_t digits = colon ? (size_t)(colon - hex) : 0, i;

	if ((digits != 8 && digits != 32) || sscanf(colon + 1, "%x", &port) != 1)
		return false;
	for (i = 0; i < digits / 8; i++) {
		char word[9];

		memcpy(word, hex + i * 8, 8);
		word[8] = '\0';
		words[i] = (uint32_t)strtoul(word, NULL, 16);
	}
	if (digits == 32 && words[0] == 0 && words[1] == 0 && words[2] == htonl(0xffff)) {
		words[0] = words[3];
		digits = 8;
	}
	if (digits == 8) {
		inet_ntop(AF_INET, words, addr, sizeof(addr));
		snprintf(out, size, "%s:%u", addr, port);
	} else {
		inet_ntop(AF_INET6, words, addr, sizeof(addr));
		snprintf(out, size, "[%s]:%u", addr, port);
	}
	return true;
}

static int add_sock(struct facts *fx, uint64_t inode, const char *text, const char *path,
		    bool listening)
{
	struct sock_entry *n = realloc(fx->socks, (fx->nsocks + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	fx->socks = n;
	n[fx->nsocks] = (struct sock_entry){
		.inode = inode, .listening = listening,
		.text = strdup(text), .path = path ? strdup(path) : NULL,
	};
	if (!n[fx->nsocks].text || (path && !n[fx->nsocks].path)) {
		free(n[fx->nsocks].text);
		free(n[fx->nsocks].path);
		return -ENOMEM;
	}
	fx->nsocks++;
	return 0;
}

/* /proc/<pid>/net/{tcp,tcp6,udp,udp6}: one socket per line after a header. */
static void load_inet(struct facts *fx, const char *table, const char *proto)
{
	char path[64], *text = NULL, *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", fx->snap->pid, table);
	if (cleak__read_all(path, &text) < 0)
		return;
	line = strtok_r(text, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save))) {
		char local[64], remote[64], l[80], r[80], desc[256];
		unsigned st;
		unsigned long long inode;

		if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %llu", local, remote,
			   &st, &inode) != 4 || !inode)
			continue;
		if (!format_endpoint(local, l, sizeof(l)) || !format_endpoint(remote, r, sizeof(r)))
			continue;
		if (strcmp(proto, "tcp") == 0 && st == 10)
			snprintf(desc, sizeof(desc), "tcp %s (listening)", l);
		else if (strcmp(proto, "tcp") == 0)
			snprintf(desc, sizeof(desc), "tcp %s -> %s %s", l, r, tcp_state(st));
		else if (strstr(r, ":0") && (strncmp(r, "0.0.0.0:", 8) == 0 || strncmp(r, "[::]:", 5) == 0))
			snprintf(desc, sizeof(desc), "%s %s", proto, l);
		else
			snprintf(desc, sizeof(desc), "%s %s -> %s", proto, l, r);
		add_sock(fx, inode, desc, NULL, st == 10 && strcmp(proto, "tcp") == 0);
	}
	free(text);
}

/* /proc/<pid>/net/unix: "Num RefCount Protocol Flags Type St Inode Path". */
static void load_unix(struct facts *fx)
{
	char path[64], *text = NULL, *line, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/net/unix", fx->snap->pid);
	if (cleak__read_all(path, &text) < 0)
		return;
	line = strtok_r(text, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long flags;
		unsigned long long inode;
		int consumed = 0;
		char desc[4200];
		const char *name;

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %llu%n", &flags, &inode, &consumed) != 2)
			continue;
		name = line + consumed;
		while (*name == ' ')
			name++;
		/* __SO_ACCEPTCON (0x10000) marks a listening socket. */
		if (*name)
			snprintf(desc, sizeof(desc), "unix %s%s", name,
				 flags & 0x10000 ? " (listening)" : "");
		else
			snprintf(desc, sizeof(desc), "unix socket:[%llu]", inode);
		add_sock(fx, inode, desc, *name ? name : NULL, flags & 0x10000);
	}
	free(text);
}

/*
 * A sock_diag socket in the target's network namespace: setns(2) changes
 * only the calling thread's namespace, and a socket keeps the namespace it
 * was created in, so a short-lived thread makes it for us.
 */
struct netns_socket {
	int nsfd;
	int sock;
};

static void *open_in_netns(void *arg)
{
	struct netns_socket *ns = arg;

	if (setns(ns->nsfd, CLONE_NEWNET) == 0)
		ns->sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	return NULL;
}

/* Whether `pid` lives in a namespace ("net", "pid") other than ours; -1
 * when that cannot be told. */
static int other_namespace(pid_t pid, const char *ns)
{
	struct stat ours, theirs;
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	if (stat(path, &ours))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ns);
	if (stat(path, &theirs))
		return -1;
	return ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev;
}

static int diag_socket(pid_t pid)
{
	struct netns_socket ns = { .nsfd = -1, .sock = -1 };
	char path[64];
	pthread_t th;
	int other = other_namespace(pid, "net");

	if (other < 0)
		return -1;
	if (!other)
		return socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	ns.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns.nsfd < 0)
		return -1;
	if (pthread_create(&th, NULL, open_in_netns, &ns) == 0)
		pthread_join(th, NULL);
	close(ns.nsfd);
	return ns.sock;
}

static int cmp_sock(const void *a, const void *b)
{
	const struct sock_entry *x = a, *y = b;

	return (x->inode > y->inode) - (x->inode < y->inode);
}

/* By inode; the table is sorted once loaded (load_sockets). */
static struct sock_entry *find_sock(struct facts *fx, uint64_t inode)
{
	struct sock_entry key = { .inode = inode };

	return fx->nsocks ? bsearch(&key, fx->socks, fx->nsocks, sizeof(key), cmp_sock) : NULL;
}

/* Unix socket peers: /proc/net/unix has no peer column, sock_diag does
 * (UNIX_DIAG_PEER, linux/unix_diag.h). */
static void load_unix_peers(struct facts *fx)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = ~0u,
			 .udiag_show = UDIAG_SHOW_PEER },
	};
	size_t bufsize = 32768;
	char *buf = malloc(bufsize);
	int sock = buf ? diag_socket(fx->snap->pid) : -1;
	bool done = false;

	if (sock < 0) {
		free(buf);
		return;
	}
	if (send(sock, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg))
		goto out;
	while (!done) {
		ssize_t n = recv(sock, buf, bufsize, 0);
		struct nlmsghdr *h;

		if (n <= 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct unix_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int len;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
				struct sock_entry *s;

				if (a->rta_type != UNIX_DIAG_PEER)
					continue;
				s = find_sock(fx, m->udiag_ino);
				if (s)
					s->peer = *(uint32_t *)RTA_DATA(a);
			}
		}
	}
out:
	close(sock);
	free(buf);
}

static void load_sockets(struct facts *fx)
{
	if (fx->socks_loaded)
		return;
	fx->socks_loaded = true;
	load_inet(fx, "tcp", "tcp");
	load_inet(fx, "tcp6", "tcp");
	load_inet(fx, "udp", "udp");
	load_inet(fx, "udp6", "udp");
	load_unix(fx);
	if (fx->nsocks)
		qsort(fx->socks, fx->nsocks, sizeof(*fx->socks), cmp_sock);
	load_unix_peers(fx);
}

/* ---- who holds an inode: the target's descriptors, then everyone's ---- */

static uint64_t link_inode(const char *link, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(link, prefix, n) != 0 || link[n] != '[')
		return 0;
	return strtoull(link + n + 1, NULL, 10);
}

static int fd_accmode(pid_t pid, int fd)
{
	char path[64], buf[512], *flags;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	if (cleak__read_small(path, buf, sizeof(buf)) <= 0 || !(flags = strstr(buf, "flags:")))
		return -1;
	return (int)(strtoul(flags + 6, NULL, 8) & O_ACCMODE);
}

/* Every pipe and socket descriptor of `pid` into the holders list. */
static void scan_holders(struct facts *fx, pid_t pid)
{
	char path[64], link[128];
	struct dirent *de;
	DIR *d;
	int dfd;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		ssize_t n;
		uint64_t ino;
		struct holder *h;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dfd, de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		ino = link_inode(link, "pipe:");
		if (!ino)
			ino = link_inode(link, "socket:");
		if (!ino)
			continue;
		h = realloc(fx->holders, (fx->nholders + 1) * sizeof(*h));
		if (!h)
			break;
		fx->holders = h;
		h[fx->nholders++] = (struct holder){ .pid = pid, .fd = atoi(de->d_name),
						     .inode = ino, .accmode = -1 };
	}
	closedir(d);
}

static void load_own_holders(struct facts *fx)
{
	if (fx->own_loaded)
		return;
	fx->own_loaded = true;
	scan_holders(fx, fx->snap->pid);
	fx->nown = fx->nholders;
}

/* The other processes we may look at; those we may not are skipped (the
 * description then says the other end was not found). */
static void load_other_holders(struct facts *fx)
{
	struct dirent *de;
	DIR *d;

	load_own_holders(fx);
	if (fx->others_loaded)
		return;
	fx->others_loaded = true;
	d = opendir("/proc");
	if (!d)
		return;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && pid != fx->snap->pid && pid != getpid())
			scan_holders(fx, pid);
	}
	closedir(d);
}

static void comm_of(pid_t pid, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	n = cleak__read_small(path, out, size);
	if (n <= 0) {
		snprintf(out, size, "?");
		return;
	}
	out[strcspn(out, "\n")] = '\0';
}

/*
 * Append "this process fd 6" or "pid 4242 (producer) fd 1" for the
 * descriptors other than `self_fd` that hold `inode` with an access mode
 * in `want` (-1: any).  Returns how many were found.
 */
static size_t describe_holders(struct facts *fx, uint64_t inode, int self_fd, int want,
			       char *out, size_t size)
{
	size_t i, found = 0;

	for (i = 0; i < fx->nholders; i++) {
		struct holder *h = &fx->holders[i];
		char comm[64];

		if (h->inode != inode || (h->pid == fx->snap->pid && h->fd == self_fd))
			continue;
		if (h->accmode == -1)
			h->accmode = fd_accmode(h->pid, h->fd);
		if (want != -1 && h->accmode != want && h->accmode != O_RDWR)
			continue;
		if (found++ == 3) {
			cleak__appendf(out, size, ", ...");
			break;
		}
		if (h->pid == fx->snap->pid) {
			cleak__appendf(out, size, "%sthis process fd %d", found > 1 ? ", " : "", h->fd);
		} else {
			comm_of(h->pid, comm, sizeof(comm));
			cleak__appendf(out, size, "%spid %d (%s) fd %d", found > 1 ? ", " : "",
				       h->pid, comm, h->fd);
		}
	}
	return found;
}

/* Append " (LABEL: holders)" for the other end of `inode`: the target's
 * own descriptors first, then, only if none, every process's. */
static void describe_other_end(struct facts *fx, uint64_t inode, int self_fd, int want,
			       const char *label, const char *none, char *out, size_t size)
{
	cleak__appendf(out, size, " (%s: ", label);
	load_own_holders(fx);
	if (!describe_holders(fx, inode, self_fd, want, out, size)) {
		load_other_holders(fx);
		if (!describe_holders(fx, inode, self_fd, want, out, size))
			cleak__appendf(out, size, "%s", none);
	}
	cleak__appendf(out, size, ")");
}

/* "pipe:[123] (write end: pid 4242 (producer) fd 1)" */
static void describe_pipe(struct facts *fx, int fd, uint64_t inode, char *out, size_t size)
{
	int mode = fd_accmode(fx->snap->pid, fd);
	int other = mode == O_RDONLY ? O_WRONLY : mode == O_WRONLY ? O_RDONLY : -1;

	snprintf(out, size, "pipe:[%llu]", (unsigned long long)inode);
	describe_other_end(fx, inode, fd, other,
			   other == O_WRONLY ? "write end" : other == O_RDONLY ? "read end" : "other end",
			   "not found in any process cleak may look at", out, size);
}

static void describe_socket(struct facts *fx, int fd, uint64_t inode, char *out, size_t size)
{
	struct sock_entry *s, *peer;
	char peer_name[64];

	load_sockets(fx);
	s = find_sock(fx, inode);
	if (!s) {
		snprintf(out, size, "socket:[%llu]", (unsigned long long)inode);
		return;
	}
	snprintf(out, size, "%s", s->text);
	if (!s->peer)
		return;
	/* A unix stream: name the other end and who holds it. */
	peer = find_sock(fx, s->peer);
	if (peer && peer->path && !s->path)
		snprintf(out, size, "unix socket connected to %s", peer->path);
	snprintf(peer_name, sizeof(peer_name), "socket:[%llu]", (unsigned long long)s->peer);
	describe_other_end(fx, s->peer, fd, -1, "other end", peer_name, out, size);
}

/* "anon_inode:[eventfd]" -> "eventfd"; "anon_inode:inotify" -> "inotify" */
static void describe_anon(const char *kind, char *out, size_t size)
{
	size_t n = strlen(kind);

	if (kind[0] == '[' && n > 1 && kind[n - 1] == ']')
		snprintf(out, size, "%.*s", (int)(n - 2), kind + 1);
	else
		snprintf(out, size, "%s", kind);
	if (strcmp(out, "eventpoll") == 0)
		snprintf(out, size, "epoll");
}

static void describe_path(struct facts *fx, int fd, const char *link, char *out, size_t size)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", fx->snap->pid, fd);
	if (stat(path, &st) != 0)
		snprintf(out, size, "%s", link);
	else if (S_ISFIFO(st.st_mode))
		snprintf(out, size, "fifo %s", link);
	else if (S_ISCHR(st.st_mode) && (strncmp(link, "/dev/pts/", 9) == 0 ||
					 strncmp(link, "/dev/tty", 8) == 0))
		snprintf(out, size, "terminal %s", link);
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		snprintf(out, size, "device %s", link);
	else if (S_ISDIR(st.st_mode))
		snprintf(out, size, "directory %s", link);
	else
		snprintf(out, size, "file %s", link);
}

/* An epoll's interest set: fdinfo lines "tfd:        5 events: ..." */
static void read_epoll_targets(pid_t pid, struct cleak_fd *f)
{
	char path[64], *text = NULL, *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, f->fd);
	if (cleak__read_all(path, &text) < 0)
		return;
	for (p = text; (p = strstr(p, "tfd:")) && f->nwatched < MAX_EPOLL_TARGETS; p += 4) {
		int *n = realloc(f->watched, (f->nwatched + 1) * sizeof(*n));

		if (!n)
			break;
		f->watched = n;
		f->watched[f->nwatched++] = atoi(p + 4);
	}
	free(text);
}

static int add_fd_entry(struct facts *fx, int fd)
{
	struct cleak_snapshot *snap = fx->snap;
	struct cleak_fd *n;
	char path[64], link[4096], text[4400];
	ssize_t len;
	uint64_t ino;

	if (cleak__snapshot_fd(snap, fd))
		return 0;
	n = realloc(snap->fds, (snap->nfds + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	snap->fds = n;
	n = &snap->fds[snap->nfds++];
	memset(n, 0, sizeof(*n));
	n->fd = fd;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", snap->pid, fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0) {
		n->resource = cleak__intern(fx->pool, errno == ENOENT ? "not open" : "unreadable");
		return 0;
	}
	link[len] = '\0';
	n->link = cleak__intern(fx->pool, link);
	if ((ino = link_inode(link, "socket:")))
		describe_socket(fx, fd, ino, text, sizeof(text));
	else if ((ino = link_inode(link, "pipe:")))
		describe_pipe(fx, fd, ino, text, sizeof(text));
	else if (strncmp(link, "anon_inode:", 11) == 0)
		describe_anon(link + 11, text, sizeof(text));
	else if (link[0] == '/')
		describe_path(fx, fd, link, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", link);
	n->resource = cleak__intern(fx->pool, text);
	if (strcmp(link, "anon_inode:[eventpoll]") == 0)
		read_epoll_targets(snap->pid, n);
	return 0;
}

static int cmp_fd(const void *a, const void *b)
{
	const struct cleak_fd *x = a, *y = b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* ---- pid namespaces ---- */

/* The last NSpid field of /proc/<pid>/task/<tid>/status (or of
 * /proc/<pid>/status): the id in the innermost pid namespace. */
static pid_t inner_id(const char *status_path)
{
	char buf[4096], *line, *end;
	long id = 0;

	if (cleak__read_small(status_path, buf, sizeof(buf)) <= 0 ||
	    !(line = strstr(buf, "\nNSpid:")))
		return 0;
	line += 7;
	for (;;) {
		long v = strtol(line, &end, 10);

		if (end == line)
			break;
		id = v;
		line = end;
	}
	return (pid_t)id;
}

/*
 * Lock words and join words hold thread ids as the target sees them; in
 * a container's pid namespace these differ from ours.  Record each
 * thread's inner id so that classify can translate.
 */
static void load_ns_ids(struct cleak_snapshot *snap)
{
	char path[80];
	size_t i;

	for (i = 0; i < snap->nthreads; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", snap->pid,
			 snap->threads[i].tid);
		snap->threads[i].ns_tid = inner_id(path);
	}
	for (i = 0; i < snap->nchildren; i++) {
		snprintf(path, sizeof(path), "/proc/%d/status", snap->children[i].pid);
		snap->children[i].ns_pid = inner_id(path);
	}
}

/* ---- children, for waitpid ---- */

/* waitpid, waitid, and a vfork or clone, which may be one (syscalls.c). */
static bool waits_for_child(const struct cleak_thread *t)
{
	const struct cleak__syscall_info *sc = cleak__syscall_info(t->syscall_nr);

	return sc && sc->kind == CLEAK_WAIT_CHILD;
}

/* /proc/<pid>/task/<tid>/children lists each thread's children (proc(5)). */
static void load_children(struct cleak_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nthreads; i++) {
		char path[80], buf[4096], *p, *end;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", snap->pid,
			 snap->threads[i].tid);
		if (cleak__read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		for (p = buf; *p; p = end) {
			long pid = strtol(p, &end, 10);
			struct cleak_child *n;

			if (end == p)
				break;
			n = realloc(snap->children, (snap->nchildren + 1) * sizeof(*n));
			if (!n)
				return;
			snap->children = n;
			n[snap->nchildren].pid = (pid_t)pid;
			n[snap->nchildren].parent_tid = snap->threads[i].tid;
			n[snap->nchildren].ns_pid = 0;	/* load_ns_ids, in a pid namespace */
			comm_of((pid_t)pid, n[snap->nchildren].comm, sizeof(n->comm));
			snap->nchildren++;
		}
	}
}

int cleak__collect_wait_facts(struct cleak_snapshot *snap)
{
	struct facts fx = { .snap = snap, .pool = cleak__snapshot_pool(snap) };
	bool children = false;
	size_t i, j, k;
	int err = 0;

	if (!fx.pool)
		return -ENOMEM;
	cleak__snapshot_drop_wait_facts(snap);
	for (i = 0; i < snap->nthreads; i++) {
		struct cleak_thread *t = &snap->threads[i];
		int fds[MAX_WAIT_FDS];
		size_t n;

		if (t->syscall_nr < 0)
			continue;
		/* Capture copies it right after the syscall line, when the
		 * two still agree; threads it did not copy are done now. */
		if (!t->waitmem[CLEAK_WAITMEM_OBJECT].bytes && !t->waitmem[CLEAK_WAITMEM_TIMEOUT].bytes)
			cleak__copy_waitmem(snap->pid, t);
		n = cleak__wait_fds(t, fds, MAX_WAIT_FDS);
		for (j = 0; j < n && !err; j++)
			err = add_fd_entry(&fx, fds[j]);
		children |= waits_for_child(t);
	}
	/* What the epolls watch; entries may move as the table grows. */
	for (i = 0; i < snap->nfds && !err; i++)
		for (k = 0; k < snap->fds[i].nwatched && !err; k++)
			err = add_fd_entry(&fx, snap->fds[i].watched[k]);
	if (snap->nfds)
		qsort(snap->fds, snap->nfds, sizeof(*snap->fds), cmp_fd);
	if (children)
		load_children(snap);
	if (other_namespace(snap->pid, "pid") > 0)
		load_ns_ids(snap);
	for (i = 0; i < fx.nsocks; i++) {
		free(fx.socks[i].text);
		free(fx.socks[i].path);
	}
	free(fx.socks);
	free(fx.holders);
	return err;
}
