/* SPDX-License-Identifier: MIT */
/*
 * gowait.h - what a Go wait reason means to cleak, in one table
 * (gowait.c): which reasons are a channel wait, a sync wait, a wait
 * nothing can end, and their synctest variants.  The strings are the
 * runtime's own (runtime2.go waitReasonStrings) and are matched by text,
 * not by number, because releases renumber them; a snapshot read back
 * from JSON carries only the text.  Internal; not part of the public API.
 */
#ifndef CLEAK_GOWAIT_H
#define CLEAK_GOWAIT_H

#include <stdbool.h>

enum cleak__gowait_kind {
	CLEAK__GOWAIT_OTHER,		/* a reason cleak draws nothing from */
	CLEAK__GOWAIT_CHAN_RECEIVE,	/* <-c: one sudog, on c */
	CLEAK__GOWAIT_CHAN_SEND,	/* c <- v */
	CLEAK__GOWAIT_SELECT,		/* a sudog per case, linked by waitlink */
	CLEAK__GOWAIT_NIL_CHAN,		/* a send or receive on a nil channel */
	CLEAK__GOWAIT_SELECT_NO_CASES,	/* select {} */
	CLEAK__GOWAIT_SYNC,		/* sync.Mutex, RWMutex, WaitGroup, Cond; semacquire */
	CLEAK__GOWAIT_SLEEP,		/* time.Sleep */
	CLEAK__GOWAIT_IO,		/* the netpoller */
	CLEAK__GOWAIT_FINALIZER,	/* the finalizer goroutine, idle */
	CLEAK__GOWAIT_CLEANUP,		/* a cleanup goroutine, idle (Go 1.25 on) */
};

struct cleak__gowait {
	const char *reason;
	enum cleak__gowait_kind kind;
	/*
	 * Inside a testing/synctest bubble: "(synctest)" in Go 1.24,
	 * "(durable)" from 1.25 on (a wait only the bubble can end).  The
	 * wait is the same kind of wait as without the suffix.
	 */
	bool bubble;
};

/* What `reason` means; a reason cleak does not know is CLEAK__GOWAIT_OTHER. */
const struct cleak__gowait *cleak__gowait_of(const char *reason);

static inline enum cleak__gowait_kind cleak__gowait_kind(const char *reason)
{
	return cleak__gowait_of(reason)->kind;
}

/* A channel operation that sleeps on a sudog: receive, send or select. */
static inline bool cleak__gowait_on_channel(const char *reason)
{
	enum cleak__gowait_kind k = cleak__gowait_kind(reason);

	return k == CLEAK__GOWAIT_CHAN_RECEIVE || k == CLEAK__GOWAIT_CHAN_SEND ||
	       k == CLEAK__GOWAIT_SELECT;
}

/* A wait nothing can ever end: a nil channel has no other side, and a
 * select without cases has nothing to select (chan.go, select.go). */
static inline bool cleak__gowait_endless(const char *reason)
{
	enum cleak__gowait_kind k = cleak__gowait_kind(reason);

	return k == CLEAK__GOWAIT_NIL_CHAN || k == CLEAK__GOWAIT_SELECT_NO_CASES;
}

#endif
