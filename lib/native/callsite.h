/* SPDX-License-Identifier: MIT */
/*
 * callsite.h - what the x86-64 code before a return address says about the
 * call that pushed it (callsite.c).  The unwinder uses it to tell a saved
 * frame from a stale one when it has to search the stack for a register
 * (unwind.c, search_rbp).  Internal; not part of the public API.
 */
#ifndef CLEAK_CALLSITE_H
#define CLEAK_CALLSITE_H

#include <stdbool.h>
#include <stdint.h>

struct cleak__modules;

/* Ordered: a larger value says more for the call. */
enum cleak__evidence {
	CLEAK__CALL_CONTRADICTED,	/* no call there could have entered the function */
	CLEAK__CALL_POSSIBLE,		/* an indirect call or jump: the code cannot tell */
	CLEAK__CALL_PROVEN,		/* a call to it: by address, by PLT or GOT
					 * symbol, or to a function that jumps to it */
};

/* The bounds [lo, hi) of the function at addr, from its unwind information. */
typedef bool (*cleak__bounds_fn)(void *arg, uint64_t addr, uint64_t *lo, uint64_t *hi);

/* What the code before ret says about a call into the function at entry. */
enum cleak__evidence cleak__call_evidence(struct cleak__modules *mods, uint64_t ret,
					  uint64_t entry, cleak__bounds_fn bounds, void *arg);

#endif
