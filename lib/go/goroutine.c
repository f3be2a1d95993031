// SPDX-License-Identifier: MIT
/*
 * A goroutine in words, as the runtime says it: the header of its
 * traceback, why a goroutine that can never wake cannot, and whether it
 * is one of the runtime's own.
 */
#include "go/gobinary.h"
#include "go/gowait.h"

#include <string.h>

#define NS_PER_MINUTE 60000000000LL

const char *cleak_goroutine_leak_cause(const struct cleak_goroutine *g)
{
	if (g->status_name && strcmp(g->status_name, "leaked") == 0)
		return "the runtime's own leak detector found nothing can wake it";
	switch (cleak__gowait_kind(g->wait_reason)) {
	case CLEAK__GOWAIT_SELECT_NO_CASES:
		return "select {} with no cases";
	case CLEAK__GOWAIT_NIL_CHAN:
		return "an operation on a nil channel";
	case CLEAK__GOWAIT_SELECT:
		return "a select whose every case is a nil channel";
	default:
		return "a wait nothing can end";
	}
}

size_t cleak_goroutine_header(const struct cleak_goroutine *g, char *buf, size_t size)
{
	bool waiting = g->status == CLEAK__G_WAITING || g->status == CLEAK__G_LEAKED;

	/* goroutineheader (traceback.go): the wait reason stands in for
	 * "waiting"; minutes only once a whole one has passed. */
	buf[0] = '\0';
	cleak__appendf(buf, size, "%s", waiting && g->wait_reason && *g->wait_reason
					 ? g->wait_reason : g->status_name ? g->status_name : "???");
	if (g->status == CLEAK__G_LEAKED)
		cleak__appendf(buf, size, " (leaked)");
	if (g->scan)
		cleak__appendf(buf, size, " (scan)");
	if (g->wait_ns >= NS_PER_MINUTE)
		cleak__appendf(buf, size, ", %lld minutes", (long long)(g->wait_ns / NS_PER_MINUTE));
	if (g->locked)
		cleak__appendf(buf, size, ", locked to thread");
	return strlen(buf);
}

static bool is_named(const struct cleak__gofunc *f, const char *name)
{
	return f->name && strcmp(f->name, name) == 0;
}

/*
 * isSystemGoroutine: started in a runtime function other than
 * runtime.main (and the iterator and wasm event entries).  The finalizer
 * and cleanup goroutines count as user goroutines while they run user
 * code; parked in their own wait they are the runtime's.
 */
bool cleak__go_system(const struct cleak__gobin *gb, uint64_t startpc, const char *wait_reason)
{
	struct cleak__gofunc f;

	if (!cleak__gofunc_find(gb, startpc, &f) || !f.name)
		return false;
	if (is_named(&f, "runtime.main") || is_named(&f, "runtime.corostart") ||
	    is_named(&f, "runtime.handleAsyncEvent"))
		return false;
	if (is_named(&f, "runtime.runfinq") || is_named(&f, "runtime.runFinalizers"))
		return cleak__gowait_kind(wait_reason) == CLEAK__GOWAIT_FINALIZER;
	if (is_named(&f, "runtime.runCleanups"))
		return cleak__gowait_kind(wait_reason) == CLEAK__GOWAIT_CLEANUP;
	return strncmp(f.name, "runtime.", 8) == 0;
}
