// SPDX-License-Identifier: MIT
/*
 * go-layout - the runtime layout a Go binary's DWARF gives (lib/godwarf.c):
 * printed as a row of lib/goruntime.c, or held against cleak's built-in row
 * for the binary's release.
 *
 * Usage:
 *   go-layout BINARY          print the row (.flags and WR() are not
 *                             printed: they are written by hand)
 *   go-layout --check BINARY  compare every offset, funcid_wrapper,
 *                             nstatuses and the wait reasons (how many and,
 *                             unless BINARY is PIE, the strings themselves)
 *                             with the built-in row; one line per
 *                             difference, "FIELD: DWARF x, built-in y"
 * Exit:
 *   0  printed, or no difference
 *   1  --check found a difference
 *   2  usage, or BINARY cannot be read: not a file, not Go, no DWARF
 *      (stripped, -ldflags=-w or -s), a runtime godwarf.c refuses, or (with
 *      --check) a release cleak has no built-in row for
 */
#include "go/gobinary.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The uint32_t offsets of struct cleak__golayout, in its order. */
#define F(name) { #name, offsetof(struct cleak__golayout, name) }
static const struct {
	const char *name;
	size_t off;
} fields[] = {
	F(g_size), F(g_m), F(g_sched), F(g_syscallsp), F(g_syscallpc), F(g_atomicstatus),
	F(g_goid), F(g_waitsince), F(g_waitreason), F(g_lockedm), F(g_parentgoid), F(g_gopc),
	F(g_startpc), F(g_waiting), F(m_procid), F(sudog_size), F(sudog_c), F(sudog_waitlink),
	F(hchan_elemtype), F(md_text), F(md_etext), F(md_types), F(md_etypes), F(md_gofunc),
};

static uint32_t field(const struct cleak__golayout *L, size_t i)
{
	return *(const uint32_t *)((const char *)L + fields[i].off);
}

struct binary {
	const char *path;
	const uint8_t *image;
	size_t len;
	Elf *elf;
	char version[32];	/* "go1.27.3" */
	int minor;
	struct cleak__godwarf dw;
};

static int fail(const struct binary *b, const char *what)
{
	fprintf(stderr, "go-layout: %s: %s\n", b->path, what);
	return 2;
}

static int map_binary(struct binary *b)
{
	struct stat st;
	void *p;
	int fd, err;

	fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(b, strerror(errno));
	err = fstat(fd, &st) < 0 ? errno : st.st_size == 0 ? EINVAL : 0;
	if (err) {
		close(fd);
		return fail(b, strerror(err));
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	err = errno;
	close(fd);
	if (p == MAP_FAILED)
		return fail(b, strerror(err));
	b->image = p;
	b->len = (size_t)st.st_size;
	return 0;
}

static int open_binary(struct binary *b)
{
	int err = map_binary(b);

	if (err)
		return err;
	elf_version(EV_CURRENT);
	b->elf = elf_memory((char *)b->image, b->len);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF)
		return fail(b, "not an ELF file");
	if (cleak__go_version_of(b->path, b->version, sizeof(b->version)) || !b->version[0])
		return fail(b, "not a Go executable (no build information)");
	b->minor = cleak__go_minor(b->version);
	if (b->minor < 0)
		return fail(b, "a Go release go-layout cannot name (not go1.N)");
	err = cleak__godwarf_read(b->elf, &b->dw);
	return err ? fail(b, cleak_errmsg()) : 0;
}

static void close_binary(struct binary *b)
{
	if (b->elf)
		elf_end(b->elf);
	if (b->image)
		munmap((void *)b->image, b->len);
}

static void print_row(const struct binary *b)
{
	const struct cleak__golayout *L = &b->dw.layout;
	size_t i;

	printf("\t{\n\t\t/* %s, from its DWARF by go-layout: .flags and WR() are written\n",
	       b->version);
	if (b->dw.waitreasons_addr)
		printf("\t\t * by hand; its runtime.waitReasonStrings has %zu entries */\n",
		       b->dw.nwaitreasons);
	else
		printf("\t\t * by hand; it has no runtime.waitReasonStrings */\n");
	printf("\t\t.minor = %d,\n", b->minor);
	for (i = 0; i < CLEAK__ARRAY_SIZE(fields); i++)
		printf("%s.%s = %u,%s", i % 3 ? " " : "\t\t", fields[i].name, field(L, i),
		       i % 3 == 2 ? "\n" : "");
	printf("\t\t.funcid_wrapper = %u, .nstatuses = %zu,\n\t},\n", L->funcid_wrapper,
	       L->nstatuses);
}

/* ---- --check ---- */

/* The bytes at file address `vaddr` in a PT_LOAD segment's file part. */
static const uint8_t *file_bytes(const struct binary *b, uint64_t vaddr, uint64_t size)
{
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(b->elf, &n))
		return NULL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(b->elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    vaddr < ph.p_vaddr || vaddr - ph.p_vaddr > ph.p_filesz ||
		    size > ph.p_filesz - (vaddr - ph.p_vaddr))
			continue;
		if (ph.p_offset > b->len || vaddr - ph.p_vaddr + size > b->len - ph.p_offset)
			return NULL;
		return b->image + ph.p_offset + (vaddr - ph.p_vaddr);
	}
	return NULL;
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Entry i of the binary's runtime.waitReasonStrings ({ptr, len} pairs in
 * .data, which a non-PIE binary holds as the runtime sees them). */
static const char *reason_at(const struct binary *b, size_t i, size_t *len)
{
	const uint8_t *hdr = file_bytes(b, b->dw.waitreasons_addr + 16 * i, 16);

	if (!hdr)
		return NULL;
	*len = u64(hdr + 8);
	if (!*len)
		return "";
	return (const char *)file_bytes(b, u64(hdr), *len);
}

static int check_strings(const struct binary *b, const struct cleak__golayout *row)
{
	size_t i, len, n = b->dw.nwaitreasons < row->nwaitreasons ? b->dw.nwaitreasons
								  : row->nwaitreasons;
	const char *s, *want;
	int diffs = 0;

	for (i = 0; i < n; i++) {
		s = reason_at(b, i, &len);
		want = row->waitreasons[i];
		if (!s) {
			printf("waitreasons[%zu]: DWARF not in the file, built-in \"%s\"\n", i,
			       want);
			diffs++;
		} else if (strlen(want) != len || memcmp(s, want, len) != 0) {
			printf("waitreasons[%zu]: DWARF \"%.*s\", built-in \"%s\"\n", i,
			       (int)len, s, want);
			diffs++;
		}
	}
	return diffs;
}

/* The waitReason constants cleak acts on index what the built-in table
 * says they mean. */
static int check_reasons(const struct binary *b, const struct cleak__golayout *row)
{
	const struct {
		const char *name, *want;
		int v;
	} r[] = {
		{ "waitReasonChanReceive", "chan receive", b->dw.wr_chan_receive },
		{ "waitReasonChanSend", "chan send", b->dw.wr_chan_send },
		{ "waitReasonSelect", "select", b->dw.wr_select },
		{ "waitReasonSelectNoCases", "select (no cases)", b->dw.wr_select_no_cases },
		{ "waitReasonChanReceiveNilChan", "chan receive (nil chan)",
		  b->dw.wr_chan_receive_nil },
		{ "waitReasonChanSendNilChan", "chan send (nil chan)", b->dw.wr_chan_send_nil },
	};
	size_t i;
	int diffs = 0;

	for (i = 0; i < CLEAK__ARRAY_SIZE(r); i++) {
		const char *have = r[i].v >= 0 && (size_t)r[i].v < row->nwaitreasons
				   ? row->waitreasons[r[i].v] : NULL;

		if (r[i].v >= 0 && (!have || strcmp(have, r[i].want) != 0)) {
			printf("%s: DWARF %d, built-in \"%s\" there, not \"%s\"\n", r[i].name,
			       r[i].v, have ? have : "(past the table)", r[i].want);
			diffs++;
		}
	}
	return diffs;
}

static int check(const struct binary *b)
{
	const struct cleak__golayout *row = cleak__golayout_for(b->minor), *L = &b->dw.layout;
	GElf_Ehdr eh;
	size_t i;
	int diffs = 0;

	if (!row) {
		fprintf(stderr, "go-layout: %s: %s: cleak has no built-in row for Go 1.%d\n",
			b->path, b->version, b->minor);
		return 2;
	}
	for (i = 0; i < CLEAK__ARRAY_SIZE(fields); i++) {
		if (field(L, i) == field(row, i))
			continue;
		printf("%s: DWARF %u, built-in %u\n", fields[i].name, field(L, i), field(row, i));
		diffs++;
	}
	if (L->funcid_wrapper != row->funcid_wrapper && ++diffs)
		printf("funcid_wrapper: DWARF %u, built-in %u\n", L->funcid_wrapper,
		       row->funcid_wrapper);
	if (L->nstatuses != row->nstatuses && ++diffs)
		printf("nstatuses: DWARF %zu, built-in %zu\n", L->nstatuses, row->nstatuses);
	if (!b->dw.waitreasons_addr && ++diffs)
		printf("nwaitreasons: DWARF has no runtime.waitReasonStrings, built-in %zu\n",
		       row->nwaitreasons);
	/* A patch release may append a reason (go1.23.0 has 37, go1.23.12
	 * adds "GC weak to strong wait"): a row may be longer than one
	 * build's table, whose entries the string check still compares. */
	else if (b->dw.nwaitreasons > row->nwaitreasons && ++diffs)
		printf("nwaitreasons: DWARF %zu, built-in %zu\n", b->dw.nwaitreasons,
		       row->nwaitreasons);
	diffs += check_reasons(b, row);
	if (gelf_getehdr(b->elf, &eh) && eh.e_type == ET_DYN)
		fprintf(stderr, "go-layout: %s is PIE: the pointers of its waitReasonStrings are "
			"relocated at load, so the strings are not compared\n", b->path);
	else if (b->dw.waitreasons_addr)
		diffs += check_strings(b, row);
	if (!diffs)
		printf("go1.%d: the built-in row matches the DWARF\n", b->minor);
	return diffs ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct binary b = { 0 };
	bool checking = argc == 3 && strcmp(argv[1], "--check") == 0;
	int rc;

	if (argc != 2 + checking || (argv[1][0] == '-' && !checking)) {
		fprintf(stderr, "usage: go-layout [--check] BINARY\n");
		return 2;
	}
	b.path = argv[argc - 1];
	rc = open_binary(&b);
	if (!rc && checking)
		rc = check(&b);
	else if (!rc)
		print_row(&b);
	close_binary(&b);
	return rc;
}
