// SPDX-License-Identifier: MIT
/*
 * An index of .eh_frame for modules linked without --eh-frame-hdr (static
 * glibc executables, for one): the sorted (start address, FDE address)
 * pairs that .eh_frame_hdr would have held, so that libunwind can search
 * it the same way.  Record layout: LSB 5.0, "Exception Frames".
 */
#include "internal.h"
#include "ehframe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_pcrel 0x10

struct cursor {
	const uint8_t *p, *end;
	uint64_t addr;	/* target address of p */
	bool bad;
};

static uint64_t take(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	memcpy(&v, c->p, n);	/* little-endian hosts and targets */
	c->p += n;
	c->addr += n;
	return v;
}

static uint64_t uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		b = (uint8_t)take(c, 1);
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !c->bad);
	return v;
}

static int64_t sleb(struct cursor *c)
{
	int64_t v = 0;
	unsigned shift = 0;
	uint8_t b;

	do {
		b = (uint8_t)take(c, 1);
		if (shift < 64)
			v |= (int64_t)(b & 0x7f) << shift;
		shift += 7;
	} while ((b & 0x80) && !c->bad);
	if (shift < 64 && (b & 0x40))
		v |= -((int64_t)1 << shift);
	return v;
}

/* A pointer in DW_EH_PE encoding `enc`; only pcrel applies in .eh_frame. */
static uint64_t read_encoded(struct cursor *c, uint8_t enc)
{
	uint64_t at = c->addr, v;

	switch (enc & 0x0f) {
	case 0x00: v = take(c, 8); break;			/* absptr */
	case 0x01: v = uleb(c); break;
	case 0x02: v = take(c, 2); break;
	case 0x03: v = take(c, 4); break;
	case 0x04: v = take(c, 8); break;
	case 0x09: v = (uint64_t)sleb(c); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)take(c, 2); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)take(c, 4); break;
	case 0x0c: v = take(c, 8); break;
	default:
		c->bad = true;
		return 0;
	}
	if ((enc & 0x70) == DW_EH_PE_pcrel)
		v += at;
	return v;
}

/* The FDE pointer encoding from a CIE's augmentation ("zR", "zPLR", ...). */
static int cie_fde_encoding(const uint8_t *data, size_t len, uint64_t addr, size_t cie_off,
			    uint8_t *enc)
{
	struct cursor c = { data + cie_off, data + len, addr + cie_off, false };
	const char *aug;
	uint32_t length;
	uint8_t version;

	length = (uint32_t)take(&c, 4);
	if (length == 0xffffffff || take(&c, 4) != 0)
		return -EINVAL;	/* 64-bit DWARF, or not a CIE */
	version = (uint8_t)take(&c, 1);
	aug = (const char *)c.p;
	while (c.p < c.end && *c.p)
		take(&c, 1);
	take(&c, 1);
	uleb(&c);		/* code alignment */
	sleb(&c);		/* data alignment */
	if (version == 1)
		take(&c, 1);	/* return address register */
	else
		uleb(&c);
	*enc = 0;		/* absptr unless 'R' says otherwise */
	if (aug[0] != 'z')
		return c.bad ? -EINVAL : 0;
	uleb(&c);		/* augmentation data length */
	for (aug++; *aug && !c.bad; aug++) {
		uint8_t e;

		switch (*aug) {
		case 'R':
			*enc = (uint8_t)take(&c, 1);
			return c.bad ? -EINVAL : 0;
		case 'P':
			e = (uint8_t)take(&c, 1);
			read_encoded(&c, e & 0x7f);
			break;
		case 'L':
			take(&c, 1);
			break;
		case 'S': case 'B': case 'G':
			break;
		default:
			return -EINVAL;	/* unknown: its data size is unknown */
		}
	}
	return c.bad ? -EINVAL : 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct cleak__eh_entry *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

int cleak__eh_frame_index(const uint8_t *data, size_t len, uint64_t addr,
			  struct cleak__eh_entry **out, size_t *n)
{
	struct cleak__eh_entry *entries = NULL, *ne;
	size_t count = 0, cap = 0, off = 0;

	while (off + 8 <= len) {
		struct cursor c = { data + off, data + len, addr + off, false };
		uint32_t length = (uint32_t)take(&c, 4), cie_ptr;
		size_t next;
		uint8_t enc;

		if (length == 0)
			break;	/* terminator */
		if (length == 0xffffffff)
			goto err;	/* 64-bit DWARF is not used on x86-64 Linux */
		next = off + 4 + length;
		if (next > len)
			goto err;
		cie_ptr = (uint32_t)take(&c, 4);
		if (cie_ptr != 0) {
			/* An FDE: its CIE lies cie_ptr bytes before this field. */
			size_t field = off + 4;

			if (cie_ptr > field ||
			    cie_fde_encoding(data, len, addr, field - cie_ptr, &enc))
				goto skip;
			if (count == cap) {
				cap = cap ? cap * 2 : 1024;
				ne = realloc(entries, cap * sizeof(*ne));
				if (!ne)
					goto err;
				entries = ne;
			}
			entries[count].start = read_encoded(&c, enc);
			entries[count].fde = addr + off;
			if (!c.bad && entries[count].start)
				count++;
		}
skip:
		off = next;
	}
	qsort(entries, count, sizeof(*entries), cmp_entry);
	*out = entries;
	*n = count;
	return 0;
err:
	free(entries);
	return -EINVAL;
}
