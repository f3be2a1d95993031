// SPDX-License-Identifier: MIT
/*
 * godwarf.c - the Go runtime's layout as a binary's own DWARF gives it,
 * for a release newer than cleak's tables (goruntime.c).
 *
 * The Go linker puts every type in one compile unit named "runtime", the
 * runtime package's constants and variables in another of that name and
 * internal/abi's constants in "internal/abi".  Only the top-level entries
 * of those units are looked at, and the walk stops as soon as all that
 * is needed has been seen.  What is read is held against what cleak's
 * code assumes (the fixed offsets and goroutine states of gobinary.h,
 * the width of each field it reads): a member renamed, moved or retyped
 * is refused by name rather than read as something else.
 */
#include "go/gobinary.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* ---- a private copy of the sections libdw reads ---- */

/*
 * The caller's image is mapped read-only, and libdw decompresses an
 * SHF_COMPRESSED section (all of Go's, since 1.20's zlib ones) by
 * rewriting its section header in place: through an Elf over that image
 * it faults.  So libdw gets an Elf of its own, over a sparse anonymous
 * copy of the file that holds only the headers and the sections the walk
 * reads, at their offsets; the other debug sections are marked
 * SHT_NOBITS there, which libdw skips, as it would otherwise decompress
 * each of them (line tables, frames, location lists) up front.
 */
struct dwimage {
	uint8_t *copy;
	size_t len;
	Elf *elf;
	Dwarf *dbg;
};

/* Go names and offsets are inline (DW_FORM_string, constants); DWARF 5
 * forms may still point into these. */
static const char *const kept[] = { "info", "abbrev", "str", "line_str", "str_offsets", "addr" };

/* 1 a debug section the walk reads, 0 another debug section, -1 not one */
static int debug_section(const char *name)
{
	size_t i;

	if (strncmp(name, ".debug_", 7) == 0)
		name += 7;
	else if (strncmp(name, ".zdebug_", 8) == 0)
		name += 8;
	else
		return -1;
	for (i = 0; i < CLEAK__ARRAY_SIZE(kept); i++)
		if (strcmp(name, kept[i]) == 0)
			return 1;
	return 0;
}

static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static const char *section_name(Elf *elf, size_t shstrndx, const GElf_Shdr *sh)
{
	const char *name = elf_strptr(elf, shstrndx, sh->sh_name);

	return name ? name : "";
}

static bool has_debug_info(Elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	const char *name;

	while ((scn = elf_nextscn(elf, scn)) && gelf_getshdr(scn, &sh)) {
		name = section_name(elf, shstrndx, &sh);
		if (sh.sh_type != SHT_NOBITS &&
		    (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
			return true;
	}
	return false;
}

static int copy_range(struct dwimage *img, const uint8_t *raw, uint64_t off, uint64_t size)
{
	if (!in_file(off, size, img->len))
		return cleak__fail(EINVAL, "its ELF headers or sections lie past the end of "
				   "the file");
	memcpy(img->copy + off, raw + off, size);
	return 0;
}

/* The headers, the section names and the debug sections the walk reads;
 * the others are made SHT_NOBITS in the copy's section table. */
static int copy_sections(struct dwimage *img, Elf *elf, const uint8_t *raw,
			 const GElf_Ehdr *eh, size_t shstrndx)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t nscn;
	int err;

	if (elf_getshdrnum(elf, &nscn) || eh->e_shentsize != sizeof(Elf64_Shdr))
		return cleak__fail(EINVAL, "its section headers cannot be read");
	err = copy_range(img, raw, 0, eh->e_ehsize);
	if (!err)
		err = copy_range(img, raw, eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize);
	if (!err)
		err = copy_range(img, raw, eh->e_shoff, (uint64_t)nscn * sizeof(Elf64_Shdr));
	while (!err && (scn = elf_nextscn(elf, scn)) && gelf_getshdr(scn, &sh)) {
		int kind = debug_section(section_name(elf, shstrndx, &sh));
		uint64_t at = eh->e_shoff + elf_ndxscn(scn) * sizeof(Elf64_Shdr);
		Elf64_Word nobits = SHT_NOBITS;

		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (kind == 1 || elf_ndxscn(scn) == shstrndx)
			err = copy_range(img, raw, sh.sh_offset, sh.sh_size);
		else if (kind == 0)
			memcpy(img->copy + at + offsetof(Elf64_Shdr, sh_type), &nobits,
			       sizeof(nobits));
	}
	return err;
}

static void close_dwarf(struct dwimage *img)
{
	if (img->dbg)
		dwarf_end(img->dbg);
	if (img->elf)
		elf_end(img->elf);
	if (img->copy)
		munmap(img->copy, img->len);
}

static int open_dwarf(Elf *elf, struct dwimage *img)
{
	const uint8_t *raw;
	GElf_Ehdr eh;
	size_t shstrndx;
	int err;

	raw = (const uint8_t *)elf_rawfile(elf, &img->len);
	if (!raw || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    elf_getshdrstrndx(elf, &shstrndx))
		return cleak__fail(EINVAL, "not a 64-bit ELF file with section headers");
	if (!has_debug_info(elf, shstrndx))
		return cleak__fail(ENOENT, "the binary has no DWARF (stripped, or built with "
				   "-ldflags=-w or -s)");
	/* untouched pages of the copy cost nothing: it is as long as the
	 * file only so that every offset in it stays the same */
	img->copy = mmap(NULL, img->len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (img->copy == MAP_FAILED) {
		img->copy = NULL;
		return cleak__fail(ENOMEM, "no memory for the binary's DWARF");
	}
	err = copy_sections(img, elf, raw, &eh, shstrndx);
	if (err)
		goto fail;
	img->elf = elf_memory((char *)img->copy, img->len);
	img->dbg = img->elf ? dwarf_begin_elf(img->elf, DWARF_C_READ, NULL) : NULL;
	if (!img->dbg) {
		err = cleak__fail(EINVAL, "its DWARF cannot be read: %s",
				  img->elf ? dwarf_errmsg(-1) : elf_errmsg(-1));
		goto fail;
	}
	return 0;
fail:
	close_dwarf(img);
	return err;
}

/* ---- the walk: top-level entries of the units that hold the runtime's ---- */

enum { T_G, T_M, T_SUDOG, T_HCHAN, T_MODULEDATA, T_STACK, T_GOBUF, NTYPES };
static const char *const type_names[NTYPES] = {
	[T_G] = "runtime.g", [T_M] = "runtime.m", [T_SUDOG] = "runtime.sudog",
	[T_HCHAN] = "runtime.hchan", [T_MODULEDATA] = "runtime.moduledata",
	[T_STACK] = "runtime.stack", [T_GOBUF] = "runtime.gobuf",
};

/* Constants: the goroutine states first, at the index of the value
 * cleak's code gives them (gobinary.h), then the rest. */
enum {
	C_GSCAN = CLEAK__G_DEADEXTRA + 1,
	C_WR_CHAN_RECEIVE, C_WR_CHAN_SEND, C_WR_SELECT, C_WR_SELECT_NO_CASES,
	C_WR_CHAN_RECEIVE_NIL, C_WR_CHAN_SEND_NIL,
	C_FUNCID_ABI, C_FUNCID_RUNTIME,
	NCONSTS
};
static const char *const const_names[NCONSTS] = {
	[CLEAK__G_IDLE] = "runtime._Gidle",
	[CLEAK__G_RUNNABLE] = "runtime._Grunnable",
	[CLEAK__G_RUNNING] = "runtime._Grunning",
	[CLEAK__G_SYSCALL] = "runtime._Gsyscall",
	[CLEAK__G_WAITING] = "runtime._Gwaiting",
	[CLEAK__G_MORIBUND_UNUSED] = "runtime._Gmoribund_unused",
	[CLEAK__G_DEAD] = "runtime._Gdead",
	[CLEAK__G_ENQUEUE_UNUSED] = "runtime._Genqueue_unused",
	[CLEAK__G_COPYSTACK] = "runtime._Gcopystack",
	[CLEAK__G_PREEMPTED] = "runtime._Gpreempted",
	[CLEAK__G_LEAKED] = "runtime._Gleaked",
	[CLEAK__G_DEADEXTRA] = "runtime._Gdeadextra",
	[C_GSCAN] = "runtime._Gscan",
	[C_WR_CHAN_RECEIVE] = "runtime.waitReasonChanReceive",
	[C_WR_CHAN_SEND] = "runtime.waitReasonChanSend",
	[C_WR_SELECT] = "runtime.waitReasonSelect",
	[C_WR_SELECT_NO_CASES] = "runtime.waitReasonSelectNoCases",
	[C_WR_CHAN_RECEIVE_NIL] = "runtime.waitReasonChanReceiveNilChan",
	[C_WR_CHAN_SEND_NIL] = "runtime.waitReasonChanSendNilChan",
	/* Go 1.21 moved it from runtime (funcID_wrapper) to internal/abi */
	[C_FUNCID_ABI] = "internal/abi.FuncIDWrapper",
	[C_FUNCID_RUNTIME] = "runtime.funcID_wrapper",
};

enum { V_WAITREASONS, V_STATUSES, NVARS };
static const char *const var_names[NVARS] = {
	[V_WAITREASONS] = "runtime.waitReasonStrings",
	[V_STATUSES] = "runtime.gStatusStrings",
};

#define BIT(i) (1u << (i))

struct walk {
	Dwarf_Die types[NTYPES], vars[NVARS];
	int64_t consts[NCONSTS];
	unsigned have_types, have_consts, have_vars;
	/* the unit with the runtime's constants and variables was walked to
	 * its end: those of them a release lacks are known to be absent */
	bool consts_done;
};

static bool complete(const struct walk *w)
{
	return w->have_types == BIT(NTYPES) - 1 && (w->have_consts & BIT(C_GSCAN)) &&
	       (w->have_consts & (BIT(C_FUNCID_ABI) | BIT(C_FUNCID_RUNTIME))) &&
	       (w->have_vars & BIT(V_STATUSES)) && w->consts_done;
}

static int lookup(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static int note_const(struct walk *w, int i, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	Dwarf_Sword v;

	if (!dwarf_attr(die, DW_AT_const_value, &attr) || dwarf_formsdata(&attr, &v))
		return cleak__fail(EINVAL, "its constant %s has no value cleak can read",
				   const_names[i]);
	w->consts[i] = v;
	w->have_consts |= BIT(i);
	return 0;
}

static int note(struct walk *w, Dwarf_Die *die)
{
	int tag = dwarf_tag(die), i;
	const char *name;

	if (tag != DW_TAG_structure_type && tag != DW_TAG_constant && tag != DW_TAG_variable)
		return 0;
	name = dwarf_diename(die);
	if (!name)
		return 0;
	if (tag == DW_TAG_structure_type) {
		i = lookup(type_names, NTYPES, name);
		if (i >= 0 && !(w->have_types & BIT(i))) {
			w->types[i] = *die;
			w->have_types |= BIT(i);
		}
	} else if (tag == DW_TAG_variable) {
		i = lookup(var_names, NVARS, name);
		if (i >= 0 && !(w->have_vars & BIT(i))) {
			w->vars[i] = *die;
			w->have_vars |= BIT(i);
		}
	} else {
		i = lookup(const_names, NCONSTS, name);
		if (i >= 0 && !(w->have_consts & BIT(i)))
			return note_const(w, i, die);
	}
	return 0;
}

static int broken(void)
{
	return cleak__fail(EINVAL, "its DWARF cannot be read: %s", dwarf_errmsg(-1));
}

static int walk_unit(struct walk *w, Dwarf_Die *cudie)
{
	Dwarf_Die die;
	int rc = dwarf_child(cudie, &die), err;

	while (rc == 0) {
		err = note(w, &die);
		if (err)
			return err;
		if (complete(w))
			return 0;
		rc = dwarf_siblingof(&die, &die);
	}
	if (rc < 0)
		return broken();
	if (w->have_consts & BIT(C_GSCAN))
		w->consts_done = true;
	return 0;
}

static int walk_units(Dwarf *dbg, struct walk *w)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	const char *name;
	int rc = 1, err;

	while (!complete(w) &&
	       (rc = dwarf_get_units(dbg, cu, &cu, NULL, NULL, &cudie, NULL)) == 0) {
		name = dwarf_diename(&cudie);
		if (!name || (strcmp(name, "runtime") != 0 && strcmp(name, "internal/abi") != 0))
			continue;
		err = walk_unit(w, &cudie);
		if (err)
			return err;
	}
	return complete(w) || rc > 0 ? 0 : broken();
}

/* What the walk must have found; the rest is optional by release. */
static int check_found(const struct walk *w)
{
	int i;

	for (i = 0; i < NTYPES; i++)
		if (!(w->have_types & BIT(i)))
			return cleak__fail(EINVAL, "its DWARF has no type %s", type_names[i]);
	if (!(w->have_consts & BIT(C_GSCAN)))
		return cleak__fail(EINVAL, "its DWARF has no constant %s", const_names[C_GSCAN]);
	if (!(w->have_consts & (BIT(C_FUNCID_ABI) | BIT(C_FUNCID_RUNTIME))))
		return cleak__fail(EINVAL, "its DWARF has no constant %s (or %s)",
				   const_names[C_FUNCID_ABI], const_names[C_FUNCID_RUNTIME]);
	if (!(w->have_vars & BIT(V_STATUSES)))
		return cleak__fail(EINVAL, "its DWARF has no variable %s", var_names[V_STATUSES]);
	return 0;
}

/* ---- struct members ---- */

struct field {
	const char *name;
	int fixed;		/* the offset cleak's code assumes (gobinary.h); -1: read it */
	size_t out;		/* read: offsetof(struct cleak__golayout, ...) */
	uint8_t size;		/* bytes cleak reads there; 0: a struct, not read whole */
	const char *type;	/* the struct it must be, for those */
	bool optional;		/* absent in some releases: left 0 */
};
#define READ(n, f, sz) { n, -1, offsetof(struct cleak__golayout, f), sz, NULL, false }
#define FIXED(n, off, sz) { n, off, 0, sz, NULL, false }

static const struct field g_fields[] = {
	{ "stack", CLEAK__G_STACK_LO, 0, 0, "runtime.stack", false },
	READ("m", g_m, 8),
	{ "sched", -1, offsetof(struct cleak__golayout, g_sched), 0, "runtime.gobuf", false },
	READ("syscallsp", g_syscallsp, 8), READ("syscallpc", g_syscallpc, 8),
	READ("atomicstatus", g_atomicstatus, 4), READ("goid", g_goid, 8),
	READ("waitsince", g_waitsince, 8), READ("waitreason", g_waitreason, 1),
	READ("lockedm", g_lockedm, 8),
	/* Go 1.21 on: "created by ... in goroutine N" */
	{ "parentGoid", -1, offsetof(struct cleak__golayout, g_parentgoid), 8, NULL, true },
	READ("gopc", g_gopc, 8), READ("startpc", g_startpc, 8), READ("waiting", g_waiting, 8),
};
static const struct field m_fields[] = { READ("procid", m_procid, 8) };
static const struct field sudog_fields[] = {
	FIXED("g", CLEAK__SUDOG_G, 8), READ("waitlink", sudog_waitlink, 8), READ("c", sudog_c, 8),
};
static const struct field hchan_fields[] = {
	FIXED("qcount", CLEAK__HCHAN_QCOUNT, 8), FIXED("dataqsiz", CLEAK__HCHAN_DATAQSIZ, 8),
	FIXED("elemsize", CLEAK__HCHAN_ELEMSIZE, 2), FIXED("closed", CLEAK__HCHAN_CLOSED, 4),
	READ("elemtype", hchan_elemtype, 8),
};
static const struct field md_fields[] = {
	READ("text", md_text, 8), READ("etext", md_etext, 8), READ("types", md_types, 8),
	READ("etypes", md_etypes, 8), READ("gofunc", md_gofunc, 8),
};
static const struct field stack_fields[] = {
	FIXED("lo", CLEAK__G_STACK_LO, 8), FIXED("hi", CLEAK__G_STACK_HI, 8),
};
static const struct field gobuf_fields[] = {
	FIXED("sp", CLEAK__GOBUF_SP, 8), FIXED("pc", CLEAK__GOBUF_PC, 8),
};

#define NO_SIZE SIZE_MAX
#define FIELDS(a) a, CLEAK__ARRAY_SIZE(a)
static const struct type_spec {
	const struct field *fields;
	size_t nfields;
	size_t size_out;	/* offsetof its byte size in the layout, or NO_SIZE */
} specs[NTYPES] = {
	[T_G] = { FIELDS(g_fields), offsetof(struct cleak__golayout, g_size) },
	[T_M] = { FIELDS(m_fields), NO_SIZE },
	[T_SUDOG] = { FIELDS(sudog_fields), offsetof(struct cleak__golayout, sudog_size) },
	[T_HCHAN] = { FIELDS(hchan_fields), NO_SIZE },
	[T_MODULEDATA] = { FIELDS(md_fields), NO_SIZE },
	[T_STACK] = { FIELDS(stack_fields), NO_SIZE },
	[T_GOBUF] = { FIELDS(gobuf_fields), NO_SIZE },
};

static bool named(Dwarf_Die *die, const char *name)
{
	const char *s = dwarf_diename(die);

	return s && strcmp(s, name) == 0;
}

static int member_offset(Dwarf_Die *m, Dwarf_Word *off)
{
	Dwarf_Attribute attr;

	/* Go gives a constant; an expression would be another compiler's */
	return dwarf_attr(m, DW_AT_data_member_location, &attr) && dwarf_formudata(&attr, off) == 0
	       ? 0 : -1;
}

/* The type of a member or variable, typedefs peeled (Go names a struct
 * by a typedef). */
static int type_of(Dwarf_Die *m, Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	Dwarf_Die t;

	if (!dwarf_attr(m, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &t))
		return -1;
	return dwarf_peel_type(&t, type) == 0 ? 0 : -1;
}

static bool find_member(Dwarf_Die *st, const char *name, Dwarf_Die *m)
{
	if (dwarf_child(st, m) != 0)
		return false;
	do {
		if (dwarf_tag(m) == DW_TAG_member && named(m, name))
			return true;
	} while (dwarf_siblingof(m, m) == 0);
	return false;
}

static int64_t size_of(Dwarf_Die *type)
{
	Dwarf_Word size;

	return dwarf_aggregate_size(type, &size) == 0 ? (int64_t)size : -1;
}

/*
 * The word named vu in struct *type, through embedded structs: Go 1.26
 * made some of the runtime's pointers {vp unsafe.Pointer; vu uintptr}
 * pairs (maybeTraceablePtr), whose vu half the leak-finding GC leaves
 * alone.  Its offset is added to *off and *type becomes its type.
 */
static bool find_vu(Dwarf_Die *type, Dwarf_Word *off, int depth)
{
	Dwarf_Die m, t;
	Dwarf_Word moff, inner;

	if (depth > 4 || dwarf_child(type, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member || member_offset(&m, &moff) ||
		    type_of(&m, &t))
			continue;
		inner = 0;
		if (named(&m, "vu") ||
		    (dwarf_tag(&t) == DW_TAG_structure_type && find_vu(&t, &inner, depth + 1))) {
			*off += moff + inner;
			*type = t;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* A struct that only wraps a value of `size` bytes at its start, as
 * atomic.Uint32 {noCopy; value uint32} does: *type becomes the value's. */
static bool unwrap(Dwarf_Die *type, int64_t size)
{
	Dwarf_Die m, t;
	Dwarf_Word moff;

	if (size_of(type) != size || dwarf_child(type, &m) != 0)
		return false;
	do {
		if (dwarf_tag(&m) == DW_TAG_member && member_offset(&m, &moff) == 0 && moff == 0 &&
		    type_of(&m, &t) == 0 && size_of(&t) == size) {
			*type = t;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* The scalar cleak reads in a member of type *type, at *off. */
static bool scalar(Dwarf_Die *type, int64_t size, Dwarf_Word *off)
{
	int depth;

	for (depth = 0; dwarf_tag(type) == DW_TAG_structure_type; depth++)
		if (depth == 4 || !(find_vu(type, off, 0) || unwrap(type, size)))
			return false;
	return size_of(type) == size;
}

static int read_field(Dwarf_Die *st, const char *tname, const struct field *f,
		      struct cleak__golayout *L)
{
	Dwarf_Die m, type;
	Dwarf_Word off;
	const char *tn;

	if (!find_member(st, f->name, &m))
		return f->optional ? 0 : cleak__fail(EINVAL, "its %s has no member %s", tname,
						      f->name);
	if (member_offset(&m, &off) || type_of(&m, &type))
		return cleak__fail(EINVAL, "its %s.%s has no offset or type cleak can read",
				   tname, f->name);
	tn = dwarf_diename(&type);
	if (f->type && (!tn || strcmp(tn, f->type) != 0))
		return cleak__fail(EINVAL, "its %s.%s (%s) is not the %s cleak reads", tname,
				   f->name, tn ? tn : "a type without a name", f->type);
	if (f->size && !scalar(&type, f->size, &off))
		return cleak__fail(EINVAL, "its %s.%s (%s) is not the %u-byte value cleak reads",
				   tname, f->name, tn ? tn : "a type without a name", f->size);
	if (f->fixed >= 0 && off != (Dwarf_Word)f->fixed)
		return cleak__fail(EINVAL, "its %s.%s is at offset %lu, cleak reads it at %d",
				   tname, f->name, (unsigned long)off, f->fixed);
	if (off > UINT16_MAX)
		return cleak__fail(EINVAL, "its %s.%s is at offset %lu, past any struct cleak "
				   "reads", tname, f->name, (unsigned long)off);
	if (f->fixed < 0)
		*(uint32_t *)((char *)L + f->out) = (uint32_t)off;
	return 0;
}

static int read_type(struct walk *w, int t, struct cleak__golayout *L)
{
	const struct type_spec *s = &specs[t];
	int64_t size = size_of(&w->types[t]);
	size_t i;
	int err;

	if (size <= 0 || size > UINT16_MAX)
		return cleak__fail(EINVAL, "its %s has no size", type_names[t]);
	if (s->size_out != NO_SIZE)
		*(uint32_t *)((char *)L + s->size_out) = (uint32_t)size;
	for (i = 0; i < s->nfields; i++) {
		err = read_field(&w->types[t], type_names[t], &s->fields[i], L);
		if (err)
			return err;
	}
	return 0;
}

/* ---- constants and variables ---- */

static int read_consts(const struct walk *w, struct cleak__godwarf *out)
{
	static const struct {
		int c;
		size_t out;
	} reasons[] = {
		{ C_WR_CHAN_RECEIVE, offsetof(struct cleak__godwarf, wr_chan_receive) },
		{ C_WR_CHAN_SEND, offsetof(struct cleak__godwarf, wr_chan_send) },
		{ C_WR_SELECT, offsetof(struct cleak__godwarf, wr_select) },
		{ C_WR_SELECT_NO_CASES, offsetof(struct cleak__godwarf, wr_select_no_cases) },
		{ C_WR_CHAN_RECEIVE_NIL, offsetof(struct cleak__godwarf, wr_chan_receive_nil) },
		{ C_WR_CHAN_SEND_NIL, offsetof(struct cleak__godwarf, wr_chan_send_nil) },
	};
	int i, funcid = w->have_consts & BIT(C_FUNCID_ABI) ? C_FUNCID_ABI : C_FUNCID_RUNTIME;
	size_t r;

	/* the states cleak's code switches on; a release without one
	 * (dead-code eliminated, or older) has nothing to disagree with */
	for (i = 0; i <= C_GSCAN; i++) {
		int want = i == C_GSCAN ? CLEAK__G_SCAN : i;

		if ((w->have_consts & BIT(i)) && w->consts[i] != want)
			return cleak__fail(EINVAL, "its %s is %lld, cleak has %d", const_names[i],
					   (long long)w->consts[i], want);
	}
	for (r = 0; r < CLEAK__ARRAY_SIZE(reasons); r++) {
		int c = reasons[r].c;

		if (!(w->have_consts & BIT(c)))
			continue;
		/* g.waitreason is a uint8 */
		if (w->consts[c] < 0 || w->consts[c] > UINT8_MAX)
			return cleak__fail(EINVAL, "its %s is %lld, not a wait reason",
					   const_names[c], (long long)w->consts[c]);
		*(int *)((char *)out + reasons[r].out) = (int)w->consts[c];
	}
	if (w->consts[funcid] < 0 || w->consts[funcid] > UINT8_MAX)
		return cleak__fail(EINVAL, "its %s is %lld, not a funcID", const_names[funcid],
				   (long long)w->consts[funcid]);
	out->layout.funcid_wrapper = (uint8_t)w->consts[funcid];
	return 0;
}

/*
 * Where a variable is.  Go writes DW_OP_addr in a DW_FORM_block1, which
 * DWARF 4 and 5 no longer allow for a location and libdw's
 * dwarf_getlocation refuses ("not a location list value"), so that block
 * is decoded here; an exprloc, as a later Go may write (DW_OP_addrx too),
 * is left to libdw.
 */
static int var_addr(Dwarf_Die *var, uint64_t *addr)
{
	Dwarf_Attribute attr, res;
	Dwarf_Block block;
	Dwarf_Addr a;
	Dwarf_Op *ops;
	size_t nops;

	if (!dwarf_attr(var, DW_AT_location, &attr))
		return -1;
	if (dwarf_whatform(&attr) != DW_FORM_exprloc) {
		if (dwarf_formblock(&attr, &block) || block.length != 9 ||
		    block.data[0] != DW_OP_addr)
			return -1;
		memcpy(addr, block.data + 1, sizeof(*addr));	/* amd64: little-endian */
		return 0;
	}
	if (dwarf_getlocation(&attr, &ops, &nops) || nops != 1)
		return -1;
	if (ops[0].atom == DW_OP_addr) {
		*addr = ops[0].number;
		return 0;
	}
	if ((ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) &&
	    dwarf_getlocation_attr(&attr, &ops[0], &res) == 0 && dwarf_formaddr(&res, &a) == 0) {
		*addr = a;
		return 0;
	}
	return -1;
}

/* An array's length: DW_AT_count, as Go writes it, or upper bound + 1. */
static int array_length(Dwarf_Die *array, Dwarf_Word *n)
{
	Dwarf_Attribute attr;
	Dwarf_Die sub;

	if (dwarf_tag(array) != DW_TAG_array_type || dwarf_child(array, &sub) != 0 ||
	    dwarf_tag(&sub) != DW_TAG_subrange_type)
		return -1;
	if (dwarf_attr(&sub, DW_AT_count, &attr))
		return dwarf_formudata(&attr, n) == 0 ? 0 : -1;
	if (!dwarf_attr(&sub, DW_AT_upper_bound, &attr) || dwarf_formudata(&attr, n))
		return -1;
	++*n;
	return 0;
}

/* The length of a [N]string variable. */
static int string_array(struct walk *w, int v, size_t *n)
{
	Dwarf_Die type;
	Dwarf_Word count;

	/* a Go string is {ptr, len}: what cleak__gobin_read_strings reads */
	if (type_of(&w->vars[v], &type) || array_length(&type, &count) || count == 0 ||
	    count > 1024 || size_of(&type) != (int64_t)count * 16)
		return cleak__fail(EINVAL, "its %s is not an array of strings", var_names[v]);
	*n = count;
	return 0;
}

static int read_vars(struct walk *w, struct cleak__godwarf *out)
{
	int err = string_array(w, V_STATUSES, &out->layout.nstatuses);

	if (err || !(w->have_vars & BIT(V_WAITREASONS)))
		return err;
	err = string_array(w, V_WAITREASONS, &out->nwaitreasons);
	if (err)
		return err;
	if (var_addr(&w->vars[V_WAITREASONS], &out->waitreasons_addr) || !out->waitreasons_addr)
		return cleak__fail(EINVAL, "its %s has no address", var_names[V_WAITREASONS]);
	return 0;
}

/* ---- the whole ---- */

static void clear(struct cleak__godwarf *out)
{
	memset(out, 0, sizeof(*out));
	out->wr_chan_receive = out->wr_chan_send = out->wr_select = -1;
	out->wr_select_no_cases = out->wr_chan_receive_nil = out->wr_chan_send_nil = -1;
}

int cleak__godwarf_read(Elf *elf, struct cleak__godwarf *out)
{
	struct dwimage img = { 0 };
	struct walk w = { 0 };
	int err, t;

	clear(out);
	err = open_dwarf(elf, &img);
	if (err)
		return err;
	err = walk_units(img.dbg, &w);
	if (!err)
		err = check_found(&w);
	for (t = 0; !err && t < NTYPES; t++)
		err = read_type(&w, t, &out->layout);
	if (!err)
		err = read_consts(&w, out);
	if (!err)
		err = read_vars(&w, out);
	close_dwarf(&img);
	/* no half-read layout for a caller that looks anyway */
	if (err)
		clear(out);
	return err;
}
