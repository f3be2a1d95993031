/* SPDX-License-Identifier: MIT */
/* Helpers shared between libcleak's files; not part of the public API. */
#ifndef CLEAK_INTERNAL_H
#define CLEAK_INTERNAL_H

#include "cleak.h"

#include <stdarg.h>

#define CLEAK__ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CLEAK__MAX(a, b) ((a) > (b) ? (a) : (b))

/* qsort/bsearch order of uint64_t values. */
static inline int cleak__cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* error.c: set the per-thread message and return -err (err > 0). */
int cleak__fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Format a message into a fresh heap string (NULL on ENOMEM). */
char *cleak__strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Append to the string in buf (size bytes), cutting what does not fit. */
void cleak__appendf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

uint64_t cleak__now_us(void);

/* strpool.c: interned strings that a snapshot owns (frames point into it). */
struct cleak__strpool;
struct cleak__strpool *cleak__strpool_new(void);
void cleak__strpool_free(struct cleak__strpool *pool);
char *cleak__intern(struct cleak__strpool *pool, const char *s);
/* The snapshot's pool, created on first use. */
struct cleak__strpool *cleak__snapshot_pool(struct cleak_snapshot *snap);

/* Kernel's PF_KTHREAD (include/linux/sched.h). */
#define CLEAK__PF_KTHREAD 0x00200000UL

/* snapshot.c: free every thread of snap, to capture them again; and the
 * other parts a stage may fill in again. */
void cleak__snapshot_drop_threads(struct cleak_snapshot *snap);
void cleak__snapshot_drop_wait_facts(struct cleak_snapshot *snap);
void cleak__snapshot_drop_deadlocks(struct cleak_snapshot *snap);
/* Say why a thread is incomplete (msg: heap, may be NULL), replacing
 * what was said before. */
void cleak__thread_set_error(struct cleak_thread *t, char *msg);
/* A thread's copies of the memory its blocking call points at. */
void cleak__drop_waitmem(struct cleak_thread *t);
void cleak__go_free(struct cleak_go *go);
/* snap->maps: freed, and the mapping that holds addr (they are sorted). */
void cleak__free_maps(struct cleak_mapping *maps, size_t n);
const struct cleak_mapping *cleak__find_mapping(const struct cleak_mapping *maps,
						size_t n, uint64_t addr);

/* What a stage keeps with a snapshot past its own call, released with the
 * snapshot by the function given to cleak__snapshot_attach (last first). */
enum cleak__attachment {
	CLEAK__ATTACH_GOBIN,	/* a Go program's tables (go/gobinary.c) */
	CLEAK__ATTACH_GOCAP,	/* a Go capture's scratch (go/gocapture.c) */
	CLEAK__ATTACH_MODULES,	/* the mapped files, opened (native/modules.c) */
	CLEAK__ATTACH_COUNT
};
/* Release what is attached there now (the files, when snap->maps changed). */
void cleak__snapshot_detach(struct cleak_snapshot *snap, enum cleak__attachment what);
void *cleak__snapshot_attached(const struct cleak_snapshot *snap, enum cleak__attachment what);
/* Replaces (and releases) what was attached there; on ENOMEM releases obj. */
int cleak__snapshot_attach(struct cleak_snapshot *snap, enum cleak__attachment what,
			   void *obj, void (*release)(void *obj));

/* The descriptor `fd` as the capture described it, or NULL. */
const struct cleak_fd *cleak__snapshot_fd(const struct cleak_snapshot *snap, int fd);

#endif
