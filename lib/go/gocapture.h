/* SPDX-License-Identifier: MIT */
/*
 * gocapture.h - reading a Go program's goroutines from outside
 * (gocapture.c), and what that capture keeps between its passes and until
 * the goroutines are unwound and named: attached to the snapshot, not to
 * the binary's tables.  Internal; not part of the public API.
 */
#ifndef CLEAK_GOCAPTURE_H
#define CLEAK_GOCAPTURE_H

#include "go/gobinary.h"

#include <string.h>

struct cleak__gocap {
	/* capture: the goroutines' stack copies (until unwound) and the
	 * element types of go->chans (until named) */
	uint8_t *stack_arena, *stack_arena2;
	uint64_t *chan_types;
	uint16_t *chan_elemsizes;	/* hchan.elemsize of each of go->chans */
	/* frozen capture: what was read before the freeze (gocapture.c) */
	struct cleak__goprefetch {
		struct cleak_goroutine *goroutines;
		uint64_t *addrs;
		struct graw *gs;
		size_t n;
		struct cleak__gchans *gc;	/* their channels */
		bool *bad_sudog;	/* whose sudog did not name it, as read */
	} pre;
	size_t reused;			/* goroutines whose prefetched stack was kept */
	/* frozen capture of a layout not from cleak's tables: what its
	 * checks look at once the process runs again (gocapture.c) */
	struct cleak__gopending {
		struct graw *gs;	/* the goroutines' gs, in go->goroutines order */
		size_t n;
		bool *bad_sudog;	/* per goroutine: a sudog that did not name it
					 * or its channel */
		size_t bad_chans;	/* channels read with no element type */
		struct graw first;	/* allgs[0], live or not */
		bool have_first;
	} pending;
	struct cleak__goscratch {
		uint8_t *buf;
		size_t len;
	} scratch;			/* the gs as read, kept between passes */
};

/* The snapshot's Go capture scratch, made on first use; NULL on ENOMEM. */
struct cleak__gocap *cleak__gocap_of(struct cleak_snapshot *snap);
/* The goroutines are unwound: their stack copies can go. */
void cleak__gocap_drop_stacks(struct cleak_snapshot *snap);

/*
 * gocapture.c: read the goroutines.  PREFETCH, before a freeze, copies
 * stacks while the process runs; FROZEN, with every thread stopped, reads
 * the gs again and keeps the prefetched stacks of goroutines that did not
 * move, so the freeze lasts as long as reading the gs; NONBLOCKING stops
 * nothing and leaves out what moved.
 */
enum cleak__go_mode { CLEAK__GO_PREFETCH, CLEAK__GO_FROZEN, CLEAK__GO_NONBLOCKING };
struct cleak__gchans;
int cleak__go_capture(struct cleak_snapshot *snap, struct cleak__gobin *gb,
		      enum cleak__go_mode mode, size_t stack_limit);
/* The user goroutines of a running process, counted without a stop. */
int cleak__go_count(pid_t pid, const struct cleak__gobin *gb, long *count);
/* Forget what a capture read of the goroutines, to read them again. */
void cleak__go_forget(struct cleak_snapshot *snap);
/* After the target runs again: names of channel element types. */
void cleak__go_capture_finish(struct cleak_snapshot *snap, struct cleak__gobin *gb);
/* gocapture.c */
/* One read of the goroutines, shared by gocapture.c and gochan.c. */
struct cleak__go_read {
	struct cleak_snapshot *snap;
	struct cleak__gobin *gb;
	struct cleak__gocap *gc;
	const struct cleak__golayout *L;
	size_t limit;
	struct graw *gs;
	size_t ngs;
	uint64_t *sudogs;	/* per goroutine: its first sudog (g.waiting) */
	bool *bad_sudog;	/* per goroutine: a sudog that did not name it or
				 * its channel (gocheck.c) */
	size_t bad_chans;	/* read, but with no element type */
};

/*
 * The channels parked goroutines wait on: g.waiting is the first sudog,
 * sudog.c its channel; a select links one sudog per case through
 * waitlink (chan.go, select.go).  Channels are interned in go->chans.
 */
/* One case of a goroutine's wait: goroutine index, channel address. */
struct cleak__gchan {
	size_t g;
	uint64_t c;
};

struct cleak__gchans {
	struct cleak__gchan *v;
	size_t n, cap;
	size_t *per_g;		/* how many channels each goroutine waits on */
};

/* A field of a copied runtime struct. */
static inline uint64_t cleak__u64_at(const uint8_t *b, uint32_t off)
{
	uint64_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* gochan.c: the channels of the goroutines with need[i] (all when need is
 * NULL), by their sudogs; each distinct channel read once; those of
 * goroutines whose prefetched copy was kept. */
int cleak__go_read_sudogs(struct cleak__go_read *r, size_t n, const bool *need,
			  struct cleak__gchans *gc);
int cleak__go_read_channels(struct cleak__go_read *r, const struct cleak__gchans *gc,
			    const bool *moved);
int cleak__go_reuse_channels(const struct cleak__goprefetch *pre, const size_t *now_at,
			     struct cleak__gchans *gc);

#endif
