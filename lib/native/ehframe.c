// SPDX-License-Identifier: MIT
/*
 * An index of .eh_frame for modules linked without --eh-frame-hdr (static
 * glibc executables, for one): the sorted (start address, FDE address)
 * pairs that .eh_frame_hdr would have held, so that libunwind can search
 * it the same way.  Record layout: LSB 5.0, "Exception Frames".
 */
#include "internal.h"
#include "native/ehframe.h"

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

/* .debug_frame CIE ids are all ones (DWARF 4, 6.4.1); .eh_frame's are 0. */
#define DEBUG_FRAME_CIE_ID 0xffffffffu

struct cie_move {
	size_t old_off, new_off;
};

static void put(uint8_t *out, size_t *pos, const void *src, size_t n)
{
	memcpy(out + *pos, src, n);
	*pos += n;
}

static void put_u32(uint8_t *out, size_t *pos, uint32_t v)
{
	put(out, pos, &v, 4);
}

/*
 * Rewrite .debug_frame into .eh_frame layout, which is all libunwind's
 * remote search parses: CIE ids become 0, version 4 CIEs lose their
 * address and segment size (becoming version 3), FDEs point back to their
 * CIE relatively, and FDE addresses are moved by the load bias.  Only
 * CIEs with no augmentation and 8-byte addresses are kept; the rest are
 * dropped with their FDEs.
 */
int cleak__debug_frame_convert(const uint8_t *data, size_t len, uint64_t bias,
			       uint64_t out_addr, uint8_t **out, size_t *out_len,
			       struct cleak__eh_entry **index, size_t *nindex)
{
	struct cie_move *cies = NULL, *nc;
	struct cleak__eh_entry *entries = NULL, *ne;
	size_t ncies = 0, count = 0, cap = 0, pos = 0, off, i;
	uint8_t *buf = malloc(len + 16);
	int pass;

	if (!buf)
		return -ENOMEM;
	/* Pass 0 moves the CIEs, pass 1 the FDEs, so every CIE precedes
	 * the FDEs that point back at it, as .eh_frame requires. */
	for (pass = 0; pass < 2; pass++) {
		for (off = 0; off + 8 <= len;) {
			struct cursor c = { data + off, data + len, off, false };
			uint32_t length = (uint32_t)take(&c, 4), id;
			size_t end = off + 4 + length, lenpos;

			if (length == 0xffffffff || end > len)
				goto err;
			if (length == 0) {
				off += 4;
				continue;
			}
			id = (uint32_t)take(&c, 4);
			if (id == DEBUG_FRAME_CIE_ID && pass == 0) {
				uint8_t version = (uint8_t)take(&c, 1), v3 = 3;

				if (c.p >= c.end || *c.p != '\0')
					goto next;	/* augmented: not ours to rewrite */
				take(&c, 1);
				if (version == 4 && (take(&c, 1) != 8 || take(&c, 1) != 0))
					goto next;	/* not 8-byte flat addresses */
				if (c.bad || (size_t)(c.p - data) > end)
					goto err;
				nc = realloc(cies, (ncies + 1) * sizeof(*nc));
				if (!nc)
					goto err;
				cies = nc;
				cies[ncies].old_off = off;
				cies[ncies++].new_off = pos;
				lenpos = pos;
				put_u32(buf, &pos, 0);
				put_u32(buf, &pos, 0);
				put(buf, &pos, version == 4 ? &v3 : &version, 1);
				put(buf, &pos, "", 1);
				put(buf, &pos, c.p, end - (size_t)(c.p - data));
				length = (uint32_t)(pos - lenpos - 4);
				memcpy(buf + lenpos, &length, 4);
			} else if (id != DEBUG_FRAME_CIE_ID && pass == 1) {
				uint64_t start, range;
				uint32_t rel;

				for (i = 0; i < ncies && cies[i].old_off != id; i++)
					;
				if (i == ncies)
					goto next;	/* its CIE was dropped */
				start = take(&c, 8);
				range = take(&c, 8);
				if (c.bad || (size_t)(c.p - data) > end)
					goto err;
				lenpos = pos;
				put_u32(buf, &pos, 0);
				rel = (uint32_t)(pos - cies[i].new_off);
				put_u32(buf, &pos, rel);
				start += bias;
				put(buf, &pos, &start, 8);
				put(buf, &pos, &range, 8);
				put(buf, &pos, c.p, end - (size_t)(c.p - data));
				length = (uint32_t)(pos - lenpos - 4);
				memcpy(buf + lenpos, &length, 4);
				if (count == cap) {
					cap = cap ? cap * 2 : 256;
					ne = realloc(entries, cap * sizeof(*ne));
					if (!ne)
						goto err;
					entries = ne;
				}
				entries[count].start = start;
				entries[count++].fde = out_addr + lenpos;
			}
next:
			off = end;
		}
	}
	put_u32(buf, &pos, 0);	/* terminator */
	qsort(entries, count, sizeof(*entries), cmp_entry);
	free(cies);
	*out = buf;
	*out_len = pos;
	*index = entries;
	*nindex = count;
	return 0;
err:
	free(cies);
	free(entries);
	free(buf);
	return -EINVAL;
}
