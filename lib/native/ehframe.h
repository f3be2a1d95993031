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

/*
 * Rewrite .debug_frame bytes as .eh_frame records placed at target address
 * `out_addr` (at most len + 16 bytes), with addresses moved by `bias`, and
 * index them like cleak__eh_frame_index().
 */
int cleak__debug_frame_convert(const uint8_t *data, size_t len, uint64_t bias,
			       uint64_t out_addr, uint8_t **out, size_t *out_len,
			       struct cleak__eh_entry **index, size_t *nindex);

#endif
