// SPDX-License-Identifier: MIT
/*
 * gobinary.c - a Go executable's own tables: the release that built it
 * (.go.buildinfo), the function table (.gopclntab: names, files, lines,
 * frame sizes, inlining), and where the runtime keeps its goroutines.
 *
 * Everything here survives `-ldflags='-s -w'`: the pclntab, buildinfo and
 * the data sections stay; only .symtab and DWARF go.  With .symtab we take
 * the runtime's symbols; without it, the addresses are recovered from the
 * machine code of runtime functions that pclntab still names.  Formats:
 * Go's src/debug/buildinfo, src/runtime/symtab.go and runtime2.go.
 */
#include "target/target.h"
#include "go/gobinary.h"
#include "elffile.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILDINFO_MAGIC "\xff Go buildinf:"
#define BUILDINFO_MAGIC_LEN 14
#define PCLNTAB_MAGIC_120 0xfffffff1u	/* Go 1.20 and later */
#define PCLNTAB_MAGIC_118 0xfffffff0u	/* Go 1.18, 1.19 */

/* How much of runtime.moduledata is read: past every field a layout names. */
#define MD_READ_MAX 1024

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Go's unsigned varint (encoding/binary.Uvarint); 0 bytes on overrun. */
static size_t uvarint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	unsigned shift = 0;
	size_t n = 0;

	*v = 0;
	while (p + n < end && shift < 64) {
		uint8_t b = p[n++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return n;
		shift += 7;
	}
	return 0;
}

/* ---- the ELF file ---- */

const uint8_t *cleak__gobin_at(const struct cleak__gobin *gb, uint64_t vaddr, size_t len)
{
	size_t i;

	for (i = 0; i < gb->nsegs; i++) {
		if (vaddr < gb->segs[i].vaddr ||
		    vaddr + len > gb->segs[i].vaddr + gb->segs[i].filesz)
			continue;
		if (gb->segs[i].offset + (vaddr - gb->segs[i].vaddr) + len > gb->image_len)
			return NULL;
		return gb->image + gb->segs[i].offset + (vaddr - gb->segs[i].vaddr);
	}
	return NULL;
}

const struct cleak__gobin_seg *cleak__gobin_seg_of(const struct cleak__gobin *gb, uint64_t vaddr)
{
	size_t i;

	for (i = 0; i < gb->nsegs; i++)
		if (vaddr >= gb->segs[i].vaddr && vaddr - gb->segs[i].vaddr < gb->segs[i].memsz)
			return &gb->segs[i];
	return NULL;
}

static void load_segments(struct cleak__gobin *gb, Elf *elf)
{
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return;
	for (i = 0; i < n && gb->nsegs < CLEAK__ARRAY_SIZE(gb->segs); i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		gb->segs[gb->nsegs].vaddr = ph.p_vaddr;
		gb->segs[gb->nsegs].offset = ph.p_offset;
		gb->segs[gb->nsegs].filesz = ph.p_filesz;
		gb->segs[gb->nsegs].memsz = ph.p_memsz;
		gb->segs[gb->nsegs].flags = ph.p_flags;
		gb->nsegs++;
	}
}

/* The value of symbol `name` in .symtab (file address), 0 if absent. */
static uint64_t symbol(Elf *elf, const char *name, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			return 0;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *s;

			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			s = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (s && strcmp(s, name) == 0) {
				if (size)
					*size = sym.st_size;
				return sym.st_value;
			}
		}
	}
	return 0;
}

/* ---- .go.buildinfo (debug/buildinfo) ---- */

static const uint8_t *find_buildinfo(const struct cleak__gobin *gb, Elf *elf, size_t *len)
{
	GElf_Shdr sh;
	GElf_Phdr ph;
	const uint8_t *p = cleak__elf_section(elf, gb->image, gb->image_len, ".go.buildinfo", &sh);
	size_t n, i, off;

	if (p && sh.sh_size >= 32 && memcmp(p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN) == 0) {
		*len = sh.sh_size;
		return p;
	}
	/* Without section headers: the first writable, non-executable
	 * segment, at 16-byte alignment. */
	if (elf_getphdrnum(elf, &n))
		return NULL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    (ph.p_flags & (PF_W | PF_X)) != PF_W || ph.p_offset + ph.p_filesz > gb->image_len)
			continue;
		for (off = 0; off + 32 <= ph.p_filesz && off < (1u << 20); off += 16) {
			p = gb->image + ph.p_offset + off;
			if (memcmp(p, BUILDINFO_MAGIC, BUILDINFO_MAGIC_LEN) == 0) {
				*len = ph.p_filesz - off;
				return p;
			}
		}
		break;
	}
	return NULL;
}

/*
 * Header: magic[14], ptrsize, flags; with flags bit 1 (Go 1.18+) the
 * version and module info follow inline at +32 as varint-prefixed
 * strings.  Older layouts hold pointers instead: reported as unknown.
 */
static int read_buildinfo(struct cleak__gobin *gb, Elf *elf)
{
	const uint8_t *p, *end;
	size_t len, n;
	uint64_t vlen, mlen;

	p = find_buildinfo(gb, elf, &len);
	if (!p)
		return -ENOENT;
	end = p + len;
	if (!(p[15] & 2)) {
		snprintf(gb->version, sizeof(gb->version), "go1.17 or older");
		return 0;
	}
	p += 32;
	n = uvarint(p, end, &vlen);
	if (!n || vlen >= sizeof(gb->version) || p + n + vlen > end)
		return -EINVAL;
	memcpy(gb->version, p + n, vlen);
	gb->version[vlen] = '\0';
	p += n + vlen;
	n = uvarint(p, end, &mlen);
	/* modinfo is wrapped in 16-byte sentinels; its lines are
	 * "path\t<main package>" and "mod\t<module>\t<version>\t…". */
	if (n && mlen > 32 && p + n + mlen <= end) {
		const char *mi = (const char *)p + n + 16;
		size_t milen = mlen - 32;
		const char *line = mi;

		while (line < mi + milen) {
			const char *eol = memchr(line, '\n', mi + milen - line);
			size_t ll = eol ? (size_t)(eol - line) : (size_t)(mi + milen - line);

			if (ll > 5 && strncmp(line, "path\t", 5) == 0 && !gb->main_path)
				gb->main_path = strndup(line + 5, ll - 5);
			if (ll > 4 && strncmp(line, "mod\t", 4) == 0 && !gb->module) {
				const char *tab = memchr(line + 4, '\t', ll - 4);

				gb->module = strndup(line + 4, tab ? (size_t)(tab - line - 4) : ll - 4);
			}
			if (!eol)
				break;
			line = eol + 1;
		}
	}
	return 0;
}

int cleak__go_minor(const char *version)
{
	char *end;
	long minor;

	if (strncmp(version, "go1.", 4) != 0)
		return -1;
	minor = strtol(version + 4, &end, 10);
	if (end == version + 4 || minor < 0 || minor > 1000)
		return -1;
	return (int)minor;
}

/* ---- .gopclntab (runtime/symtab.go pcHeader) ---- */

static const uint8_t *find_pclntab(const struct cleak__gobin *gb, Elf *elf, size_t *len)
{
	static const char *const names[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	GElf_Shdr sh;
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(names); i++) {
		const uint8_t *p = cleak__elf_section(elf, gb->image, gb->image_len, names[i], &sh);

		if (p) {
			*len = sh.sh_size;
			return p;
		}
	}
	return NULL;
}

static bool table(const uint8_t *pcln, size_t pcln_len, uint64_t off, uint64_t next,
		  const uint8_t **p, size_t *len)
{
	if (off > pcln_len || next > pcln_len || next < off)
		return false;
	*p = pcln + off;
	*len = next - off;
	return true;
}

static int parse_pclntab(struct cleak__gobin *gb, Elf *elf)
{
	const uint8_t *h;
	size_t len;
	uint64_t nfunc, fname, cu, file, pc, pcln;

	h = find_pclntab(gb, elf, &len);
	if (!h || len < 72)
		return cleak__fail(ENOENT, "%s has no readable .gopclntab", gb->version);
	if ((rd32(h) != PCLNTAB_MAGIC_120 && rd32(h) != PCLNTAB_MAGIC_118) ||
	    h[4] || h[5] || h[7] != 8)
		return cleak__fail(EINVAL, "its .gopclntab header is not one cleak knows "
				   "(magic %#x); the binary may be packed or obfuscated", rd32(h));
	if ((rd32(h) == PCLNTAB_MAGIC_120) != !!(gb->layout->flags & CLEAK__GO_PCLNTAB_120))
		return cleak__fail(EINVAL, "the function table (.gopclntab, magic %#x) of this "
				   "%s binary is not in that release's format; the binary may "
				   "have been altered; goroutines are not shown", rd32(h), gb->version);
	if (rd32(h) == PCLNTAB_MAGIC_120) {
		/* {funcID u8, _ [3]byte, nameOff, parentPc, startLine int32} */
		gb->func_size = 44;
		gb->inl.size = 16;
		gb->inl.funcid = 0;
		gb->inl.nameoff = 4;
		gb->inl.parentpc = 8;
	} else {
		/* {parent int16, funcID u8, _ byte, file, line, func_, parentPc int32} */
		gb->func_size = 40;
		gb->inl.size = 20;
		gb->inl.funcid = 2;
		gb->inl.nameoff = 12;
		gb->inl.parentpc = 16;
	}
	gb->minlc = h[6];
	nfunc = rd64(h + 8);
	fname = rd64(h + 32);
	cu = rd64(h + 40);
	file = rd64(h + 48);
	pc = rd64(h + 56);
	pcln = rd64(h + 64);
	/* The tables follow each other in this order (cmd/link pcln.go). */
	if (nfunc > (1u << 24) ||
	    !table(h, len, fname, cu, &gb->funcnametab, &gb->funcnametab_len) ||
	    !table(h, len, cu, file, &gb->cutab, &gb->cutab_len) ||
	    !table(h, len, file, pc, &gb->filetab, &gb->filetab_len) ||
	    !table(h, len, pc, pcln, &gb->pctab, &gb->pctab_len) ||
	    !table(h, len, pcln, len, &gb->functab, &gb->functab_len) ||
	    (nfunc + 1) * 8 > gb->functab_len)
		return cleak__fail(EINVAL, "its .gopclntab is truncated or corrupt");
	gb->pcln = h;
	gb->pcln_len = len;
	gb->nfunc = (uint32_t)nfunc;
	return 0;
}

/* functab[i] = {entryoff, funcoff}; entries are offsets from text. */
static uint32_t functab_entry(const struct cleak__gobin *gb, uint32_t i)
{
	return rd32(gb->functab + (size_t)i * 8);
}

static bool func_at(const struct cleak__gobin *gb, uint32_t i, struct cleak__gofunc *f)
{
	uint32_t off = rd32(gb->functab + (size_t)i * 8 + 4);
	int32_t nameoff;

	if ((size_t)off + gb->func_size > gb->functab_len)
		return false;
	f->raw = gb->functab + off;
	f->tables = f->raw + gb->func_size;
	f->entry = gb->text + rd32(f->raw);
	memcpy(&nameoff, f->raw + 4, sizeof(nameoff));
	f->name = cleak__gofunc_name_at(gb, nameoff);
	/* the record ends with funcID, flag, a pad byte and nfuncdata */
	f->funcid = f->raw[gb->func_size - 4];
	f->flag = f->raw[gb->func_size - 3];
	f->nfuncdata = f->raw[gb->func_size - 1];
	return true;
}

bool cleak__gofunc_find(const struct cleak__gobin *gb, uint64_t pc, struct cleak__gofunc *f)
{
	uint32_t lo = 0, hi, mid;
	uint64_t off;

	if (!gb->pcln || pc < gb->text || (gb->etext && pc >= gb->etext))
		return false;
	off = pc - gb->text;
	hi = gb->nfunc;		/* functab[nfunc] is the end of the last function */
	if (off >= functab_entry(gb, hi))
		return false;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (functab_entry(gb, mid) <= off)
			lo = mid;
		else
			hi = mid;
	}
	return functab_entry(gb, lo) <= off && func_at(gb, lo, f);
}

const char *cleak__gofunc_name_at(const struct cleak__gobin *gb, int32_t nameoff)
{
	if (nameoff < 0 || (size_t)nameoff >= gb->funcnametab_len ||
	    !memchr(gb->funcnametab + nameoff, '\0', gb->funcnametab_len - nameoff))
		return NULL;
	return (const char *)gb->funcnametab + nameoff;
}

uint32_t cleak__gofunc_field(const struct cleak__gofunc *f, size_t offset)
{
	return rd32(f->raw + offset);
}

/* runtime.step: one (value delta, pc delta) pair of a pc-value table. */
int32_t cleak__gofunc_pcvalue(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
			      uint32_t table_off, uint64_t pc)
{
	const uint8_t *p, *end = gb->pctab + gb->pctab_len;
	uint64_t at = f->entry, uv, pcd;
	int32_t val = -1;
	bool first = true;

	if (!table_off || table_off >= gb->pctab_len)
		return -1;
	p = gb->pctab + table_off;
	for (;;) {
		size_t n;

		if (p >= end || (*p == 0 && !first))
			return -1;
		n = uvarint(p, end, &uv);
		if (!n)
			return -1;
		p += n;
		val += (int32_t)(-(uint32_t)(uv & 1) ^ (uint32_t)(uv >> 1));
		n = uvarint(p, end, &pcd);
		if (!n)
			return -1;
		p += n;
		at += pcd * gb->minlc;
		first = false;
		if (pc < at)
			return val;
	}
}

bool cleak__gofunc_ends_unwind(const struct cleak__gofunc *f, bool sp_known)
{
	if (f->flag & CLEAK__FUNCFLAG_TOPFRAME)
		return true;
	return (f->flag & CLEAK__FUNCFLAG_SPWRITE) && !sp_known &&
	       !(f->name && strcmp(f->name, "runtime.cgocallback") == 0);
}

uint32_t cleak__gofunc_pcdata(const struct cleak__gofunc *f, uint32_t i)
{
	if (i >= cleak__gofunc_field(f, CLEAK__FUNC_NPCDATA))
		return 0;
	return rd32(f->tables + i * 4);
}

/* funcdata offsets are relative to moduledata.gofunc (runtime funcdata()). */
const uint8_t *cleak__gofunc_funcdata(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
				      uint32_t i, size_t len)
{
	uint32_t npcdata = cleak__gofunc_field(f, CLEAK__FUNC_NPCDATA), off;

	if (i >= f->nfuncdata || !gb->gofunc)
		return NULL;
	off = rd32(f->tables + npcdata * 4 + i * 4);
	if (off == UINT32_MAX)
		return NULL;
	return cleak__gobin_at(gb, gb->gofunc - gb->bias + off, len);
}

const char *cleak__gofunc_line(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
			       uint64_t pc, int *line)
{
	int32_t fileno = cleak__gofunc_pcvalue(gb, f, cleak__gofunc_field(f, CLEAK__FUNC_PCFILE), pc);
	uint64_t cu = cleak__gofunc_field(f, CLEAK__FUNC_CUOFFSET);
	uint32_t off;

	*line = cleak__gofunc_pcvalue(gb, f, cleak__gofunc_field(f, CLEAK__FUNC_PCLN), pc);
	if (*line < 0)
		*line = 0;
	if (fileno < 0 || (cu + (uint64_t)fileno + 1) * 4 > gb->cutab_len)
		return NULL;
	off = rd32(gb->cutab + (cu + (uint64_t)fileno) * 4);
	if (off == UINT32_MAX || off >= gb->filetab_len ||
	    !memchr(gb->filetab + off, '\0', gb->filetab_len - off))
		return NULL;
	return (const char *)gb->filetab + off;
}

static bool func_named(const struct cleak__gobin *gb, const char *name, struct cleak__gofunc *f)
{
	uint32_t i;

	for (i = 0; i < gb->nfunc; i++)
		if (func_at(gb, i, f) && f->name && strcmp(f->name, name) == 0)
			return true;
	return false;
}

/* ---- where the process has put things ---- */

/*
 * Load bias: where the mapping of file offset 0 starts, minus the
 * page-aligned address the file asks for it (non-PIE: 0).
 */
static int find_bias(struct cleak__gobin *gb, Elf *elf, const struct cleak_snapshot *snap)
{
	GElf_Phdr ph;
	size_t n, i;
	struct stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", snap->pid);
	if (stat(path, &st))
		return -errno;
	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		size_t m;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_offset != 0)
			continue;
		for (m = 0; m < snap->nmaps; m++) {
			if (snap->maps[m].inode == st.st_ino && snap->maps[m].offset == 0) {
				gb->bias = snap->maps[m].start - (ph.p_vaddr & ~(uint64_t)0xfff);
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* How much of moduledata holds every field the layout names. */
static size_t md_read_len(const struct cleak__golayout *L)
{
	uint32_t fields[] = { L->md_text, L->md_etext, L->md_types, L->md_etypes, L->md_gofunc };
	uint32_t end = 0;
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(fields); i++)
		if (fields[i] + 8 > end)
			end = fields[i] + 8;
	return end;
}

/*
 * runtime.firstmoduledata: a symbol; Go 1.26's .go.module section; or,
 * stripped and older, the word in .noptrdata that points at the pclntab
 * (moduledata starts with its pcHeader), read from memory because PIE
 * relocates it at load.
 */
static int find_moduledata(struct cleak__gobin *gb, Elf *elf, pid_t pid)
{
	uint64_t pcln_rt = (uint64_t)(gb->pcln - gb->image), want;
	uint64_t md = symbol(elf, "runtime.firstmoduledata", NULL);
	const struct cleak__golayout *L = gb->layout;
	uint8_t buf[MD_READ_MAX];
	size_t len = md_read_len(L);
	GElf_Shdr sh;
	GElf_Phdr ph;
	size_t n, i;

	/* the pclntab's runtime address: its file offset to a vaddr */
	want = 0;
	if (elf_getphdrnum(elf, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    pcln_rt >= ph.p_offset && pcln_rt < ph.p_offset + ph.p_filesz)
				want = ph.p_vaddr + (pcln_rt - ph.p_offset) + gb->bias;
		}
	}
	if (md)
		md += gb->bias;
	else if (cleak__elf_section(elf, gb->image, gb->image_len, ".go.module", &sh))
		md = sh.sh_addr + gb->bias;
	if (!md && want &&
	    cleak__elf_section(elf, gb->image, gb->image_len, ".noptrdata", &sh) &&
	    sh.sh_size < (64u << 20)) {
		uint64_t *words = malloc(sh.sh_size);
		size_t got;

		if (!words)
			return -ENOMEM;
		got = cleak__read_target(pid, sh.sh_addr + gb->bias, words, sh.sh_size);
		for (i = 0; i < got / 8 && !md; i++)
			if (words[i] == want)
				md = sh.sh_addr + gb->bias + i * 8;
		free(words);
	}
	if (!md || len > sizeof(buf) || cleak__read_target(pid, md, buf, len) != len)
		return cleak__fail(ENOENT, "cannot find the runtime's module data "
				   "(runtime.firstmoduledata)");
	if (want && rd64(buf) != want)
		return cleak__fail(EINVAL, "the runtime's module data does not point at "
				   "its .gopclntab");
	gb->moduledata = md;
	gb->text = rd64(buf + L->md_text);
	gb->etext = rd64(buf + L->md_etext);
	gb->types = rd64(buf + L->md_types);
	gb->etypes = rd64(buf + L->md_etypes);
	gb->gofunc = rd64(buf + L->md_gofunc);
	return 0;
}

/*
 * The RIP-relative data addresses that a function's code refers to:
 * REX.W mov/lea/cmp/xchg with a [rip+disp32] operand (ModRM mod 00,
 * r/m 101).  Scanning every byte offset, not decoding, can yield a false
 * hit; callers check what they find against the live process.
 */
static size_t rip_targets(const struct cleak__gobin *gb, const struct cleak__gofunc *f,
			  uint64_t *out, size_t max)
{
	uint64_t end = f->entry, len;
	const uint8_t *code;
	struct cleak__gofunc next;
	size_t n = 0, i;

	/* the function ends where the next one in functab starts */
	for (end = f->entry + 1; end < f->entry + 4096; end++)
		if (cleak__gofunc_find(gb, end, &next) && next.entry != f->entry)
			break;
	len = end - f->entry;
	code = cleak__gobin_at(gb, f->entry - gb->bias, len);
	if (!code)
		return 0;
	for (i = 0; i + 7 <= len && n < max; i++) {
		uint8_t rex = code[i], op = code[i + 1], modrm = code[i + 2];
		int32_t disp;

		if ((rex & 0xf8) != 0x48 ||
		    (op != 0x8b && op != 0x89 && op != 0x8d && op != 0x39 && op != 0x3b &&
		     op != 0x87) || (modrm & 0xc7) != 0x05)
			continue;
		memcpy(&disp, code + i + 3, 4);
		out[n++] = f->entry + i + 7 + (int64_t)disp;
	}
	return n;
}

static bool have(const uint64_t *v, size_t n, uint64_t x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/*
 * &runtime.allgs, a []*g.  Stripped: runtime.allgadd appends to it, so
 * its code loads the slice's three words (ptr, len, cap at +0, +8, +16,
 * checked in Go 1.19-1.26); the slice found must look like one.
 */
static int find_allgs(struct cleak__gobin *gb, Elf *elf, pid_t pid)
{
	uint64_t addr = symbol(elf, "runtime.allgs", NULL), t[256], hdr[3];
	struct cleak__gofunc f;
	size_t n, i;

	if (addr) {
		gb->allgs = addr + gb->bias;
		return 0;
	}
	if (!func_named(gb, "runtime.allgadd", &f))
		return cleak__fail(ENOENT, "cannot find runtime.allgadd in its function table");
	n = rip_targets(gb, &f, t, CLEAK__ARRAY_SIZE(t));
	for (i = 0; i < n; i++) {
		if (!have(t, n, t[i] + 8) || !have(t, n, t[i] + 16))
			continue;
		if (cleak__read_target(pid, t[i], hdr, sizeof(hdr)) != sizeof(hdr))
			continue;
		if (hdr[0] && hdr[1] && hdr[1] <= hdr[2] && hdr[2] < (1ull << 32)) {
			gb->allgs = t[i];
			return 0;
		}
	}
	return cleak__fail(ENOENT, "cannot find the runtime's goroutine list (runtime.allgs) "
			   "in this stripped binary");
}

int cleak__gobin_read_strings(const struct cleak__gobin *gb, pid_t pid, uint64_t addr, size_t n,
			      char ***out)
{
	uint64_t *hdrs = n && n <= 256 ? malloc(n * 16) : NULL;
	char **v = hdrs ? calloc(n, sizeof(*v)) : NULL;
	size_t i;

	*out = NULL;
	if (!v || cleak__read_target(pid, addr, hdrs, n * 16) != n * 16)
		goto fail;
	for (i = 0; i < n; i++) {
		uint64_t ptr = hdrs[2 * i], len = hdrs[2 * i + 1];
		const uint8_t *s = len ? cleak__gobin_at(gb, ptr - gb->bias, len) : (const uint8_t *)"";

		if (!s || len > 128 || !(v[i] = strndup((const char *)s, len)))
			goto fail;
	}
	free(hdrs);
	*out = v;
	return 0;
fail:
	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
	free(hdrs);
	return -EINVAL;
}

size_t cleak__go_nwaitreasons(const struct cleak__gobin *gb)
{
	return gb->waitreasons ? gb->nwaitreasons : gb->layout->nwaitreasons;
}

const char *cleak__go_wait_reason(const struct cleak__gobin *gb, uint8_t i)
{
	if (i >= cleak__go_nwaitreasons(gb))
		return NULL;
	return gb->waitreasons ? gb->waitreasons[i] : gb->layout->waitreasons[i];
}

/*
 * runtime.waitReasonStrings, [N]string in .data: the wait reasons as the
 * binary itself names them, when .symtab says where (otherwise the table
 * of the release, goruntime.c, or for a newer release gocheck.c's search).
 */
static void read_waitreasons(struct cleak__gobin *gb, Elf *elf, pid_t pid)
{
	uint64_t size = 0, addr = symbol(elf, "runtime.waitReasonStrings", &size);

	if (!addr || !size || size % 16)
		return;
	if (cleak__gobin_read_strings(gb, pid, addr + gb->bias, size / 16, &gb->waitreasons) == 0)
		gb->nwaitreasons = size / 16;
}

static int map_file(const char *path, const uint8_t **image, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return -errno;
	ok = cleak__map_fd(fd, image, len);
	close(fd);
	return ok ? 0 : -ENOEXEC;
}

static int open_image(struct cleak__gobin *gb, const char *path, Elf **elf)
{
	int err = map_file(path, &gb->image, &gb->image_len);

	if (err)
		return err;
	elf_version(EV_CURRENT);
	*elf = elf_memory((char *)gb->image, gb->image_len);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		*elf = NULL;
		return -ENOEXEC;
	}
	load_segments(gb, *elf);
	return 0;
}

int cleak__go_version_of(const char *path, char *version, size_t size)
{
	struct cleak__gobin gb = { 0 };
	Elf *elf = NULL;
	int err;

	version[0] = '\0';
	err = open_image(&gb, path, &elf);
	if (!err && read_buildinfo(&gb, elf) == 0)
		snprintf(version, size, "%s", gb.version);
	if (elf)
		elf_end(elf);
	free(gb.module);
	free(gb.main_path);
	if (gb.image)
		munmap((void *)gb.image, gb.image_len);
	return err;
}

void cleak__gobin_free(struct cleak__gobin *gb)
{
	size_t i;

	if (!gb)
		return;
	for (i = 0; i < gb->nwaitreasons; i++)
		free(gb->waitreasons[i]);
	free(gb->waitreasons);
	free(gb->module);
	free(gb->main_path);
	if (gb->image)
		munmap((void *)gb->image, gb->image_len);
	free(gb);
}

int cleak__gobin_read_image(struct cleak__gobin *gb, const char *path, Elf **elf)
{
	int err = open_image(gb, path, elf);

	return err ? err : read_buildinfo(gb, *elf);
}

int cleak__gobin_read_pclntab(struct cleak__gobin *gb, Elf *elf)
{
	return parse_pclntab(gb, elf);
}

int cleak__gobin_find_moduledata(struct cleak__gobin *gb, Elf *elf,
				 const struct cleak_snapshot *snap)
{
	if (find_bias(gb, elf, snap))
		return cleak__fail(ENOENT, "cannot find where %s is mapped",
				   snap->exe ? snap->exe : "the executable (/proc/PID/exe)");
	return find_moduledata(gb, elf, snap->pid);
}

int cleak__gobin_find_allgs(struct cleak__gobin *gb, Elf *elf, pid_t pid)
{
	int err = find_allgs(gb, elf, pid);

	if (!err)
		read_waitreasons(gb, elf, pid);
	return err;
}
