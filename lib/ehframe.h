/* SPDX-License-Identifier: MIT */
#ifndef CLEAK_EHFRAME_H
#define CLEAK_EHFRAME_H

#include <stddef.h>
#include <stdint.h>

struct cleak__eh_entry {
	uint64_t start;	/* first address the FDE covers */
	uint64_t fde;	/* target address of the FDE */
};

/*
 * Index the .eh_frame bytes `data` that sit at target address `addr`:
 * every FDE's start address, sorted.  Returns 0 or -EINVAL for bytes that
 * are not a well-formed .eh_frame.
 */
int cleak__eh_frame_index(const uint8_t *data, size_t len, uint64_t addr,
			  struct cleak__eh_entry **out, size_t *n);

#endif
