// SPDX-License-Identifier: MIT
/*
 * gowait.c - the one table of what each Go wait reason means to cleak.
 * Reasons are the runtime's strings (runtime2.go waitReasonStrings, every
 * release from 1.19); the kinds follow the runtime's own classes where it
 * has them (waitReason.isChanWait and isSyncWait, mgcmark.go, Go 1.26).
 * A release that adds a reason adds a row here only if cleak should act
 * on it; an unknown reason is shown as it is and acted on as "other".
 */
#include "go/gowait.h"

#include <stddef.h>
#include <string.h>

static const struct cleak__gowait table[] = {
	{ "chan receive", CLEAK__GOWAIT_CHAN_RECEIVE, false },
	{ "chan receive (synctest)", CLEAK__GOWAIT_CHAN_RECEIVE, true },
	{ "chan receive (durable)", CLEAK__GOWAIT_CHAN_RECEIVE, true },
	{ "chan send", CLEAK__GOWAIT_CHAN_SEND, false },
	{ "chan send (synctest)", CLEAK__GOWAIT_CHAN_SEND, true },
	{ "chan send (durable)", CLEAK__GOWAIT_CHAN_SEND, true },
	{ "select", CLEAK__GOWAIT_SELECT, false },
	{ "select (synctest)", CLEAK__GOWAIT_SELECT, true },
	{ "select (durable)", CLEAK__GOWAIT_SELECT, true },
	{ "chan receive (nil chan)", CLEAK__GOWAIT_NIL_CHAN, false },
	{ "chan send (nil chan)", CLEAK__GOWAIT_NIL_CHAN, false },
	{ "select (no cases)", CLEAK__GOWAIT_SELECT_NO_CASES, false },
	{ "sync.Mutex.Lock", CLEAK__GOWAIT_SYNC, false },
	{ "sync.RWMutex.RLock", CLEAK__GOWAIT_SYNC, false },
	{ "sync.RWMutex.Lock", CLEAK__GOWAIT_SYNC, false },
	{ "sync.WaitGroup.Wait", CLEAK__GOWAIT_SYNC, false },
	{ "sync.WaitGroup.Wait (durable)", CLEAK__GOWAIT_SYNC, true },
	{ "sync.Cond.Wait", CLEAK__GOWAIT_SYNC, false },
	/* Go 1.19's name for every sync wait, 1.20-1.23's for WaitGroup.Wait
	 * (and every release's for other semaphores) */
	{ "semacquire", CLEAK__GOWAIT_SYNC, false },
	{ "sleep", CLEAK__GOWAIT_SLEEP, false },
	{ "IO wait", CLEAK__GOWAIT_IO, false },
	{ "finalizer wait", CLEAK__GOWAIT_FINALIZER, false },
	{ "cleanup wait", CLEAK__GOWAIT_CLEANUP, false },
};

const struct cleak__gowait *cleak__gowait_of(const char *reason)
{
	static const struct cleak__gowait other = { NULL, CLEAK__GOWAIT_OTHER, false };
	/* 100,000 goroutines mostly share a handful of reasons: the last
	 * one found is tried first (one comparison instead of a scan) */
	static __thread const struct cleak__gowait *last;
	size_t i;

	if (!reason)
		return &other;
	if (last && strcmp(last->reason, reason) == 0)
		return last;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].reason, reason) == 0)
			return last = &table[i];
	return &other;
}
