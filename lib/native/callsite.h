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

enum cleak__call {
	CLEAK__CALL_NONE,	/* no call instruction ends at the address */
	CLEAK__CALL_DIRECT,	/* call rel32: the target is in the code */
	CLEAK__CALL_INDIRECT,	/* call r/m64: the target was in a register or memory */
};

/* The call instruction, if any, that ends right before ret. */
enum cleak__call cleak__call_before(struct cleak__modules *mods, uint64_t ret,
				    uint64_t *target);
/* Is the code at addr a PLT stub, a jump through the GOT? */
bool cleak__is_plt_stub(struct cleak__modules *mods, uint64_t addr);
/* Does the code in [lo, hi) hold a jmp rel32 to entry (a tail call)? */
bool cleak__jumps_to(struct cleak__modules *mods, uint64_t lo, uint64_t hi, uint64_t entry);

#endif
