// SPDX-License-Identifier: MIT
/*
 * Addresses to names with libdw/libelf, after the target runs again.
 *
 * Each module is reported to one Dwfl once; each distinct address is
 * looked up once and its frames (the function, and the calls inlined into
 * it) are reused for every thread that shares it.  Return addresses are
 * looked up at pc - 1: the call instruction, not the one after it, which
 * may belong to another line or even another function (elfutils stack.c
 * does the same).
 */
#include "go/gobinary.h"
#include "native/modules.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <libiberty/demangle.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pc_entry {
	uint64_t key;		/* lookup address * 2 + 1; 0 marks a free slot */
	size_t first, count;	/* range in sym.frames */
};

struct sym {
	struct cleak_snapshot *snap;
	struct cleak__strpool *pool;
	struct cleak__modules *mods;
	Dwfl *dwfl;
	const struct cleak_symbolize_opts *opts;
	struct pc_entry *table;
	size_t nslots, used;
	struct cleak_frame *frames;
	size_t nframes, cap;
	/* libdw keeps pointers to these for the Dwfl's lifetime. */
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
};

static char *demangle(struct sym *s, const char *name)
{
	char *d, *r, buf[512];
	const char *at = name ? strchr(name, '@') : NULL;

	/* "clock_nanosleep@GLIBC_2.2.5": the symbol version is not part of
	 * the function's name. */
	if (at && (size_t)(at - name) < sizeof(buf)) {
		memcpy(buf, name, (size_t)(at - name));
		buf[at - name] = '\0';
		name = buf;
	}
	if (!name || !s->opts->demangle)
		return cleak__intern(s->pool, name);
	/* DMGL_AUTO covers the Itanium C++ ABI and Rust (legacy and v0). */
	d = cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
	if (!d)
		return cleak__intern(s->pool, name);
	r = cleak__intern(s->pool, d);
	free(d);
	return r;
}

/* DW_AT_linkage_name (qualified, for C++/Rust) or DW_AT_name, following
 * DW_AT_abstract_origin and DW_AT_specification. */
static char *die_name(struct sym *s, Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr)) {
		name = dwarf_formstring(&attr);
		if (name)
			return demangle(s, name);
	}
	if (dwarf_attr_integrate(die, DW_AT_name, &attr)) {
		name = dwarf_formstring(&attr);
		if (name)
			return cleak__intern(s->pool, name);
	}
	return NULL;
}

static struct cleak_frame *push_frame(struct sym *s, uint64_t pc, const char *module,
				      uint64_t module_offset)
{
	struct cleak_frame *f;

	if (s->nframes == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct cleak_frame *n = realloc(s->frames, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->frames = n;
		s->cap = cap;
	}
	f = &s->frames[s->nframes++];
	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->module = (char *)module;
	f->module_offset = module_offset;
	return f;
}

/* The call site of an inlined subroutine, in its CU's file table. */
static void call_site(struct sym *s, Dwarf_Die *cudie, Dwarf_Die *inl,
		      struct cleak_frame *caller)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx, v;
	Dwarf_Files *files;
	size_t nfiles;
	const char *name;

	if (dwarf_attr(inl, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &idx) == 0 &&
	    dwarf_getsrcfiles(cudie, &files, &nfiles) == 0 && idx < nfiles) {
		name = dwarf_filesrc(files, idx, NULL, NULL);
		caller->file = cleak__intern(s->pool, name);
	}
	if (dwarf_attr(inl, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &v) == 0)
		caller->line = (int)v;
	if (dwarf_attr(inl, DW_AT_call_column, &attr) && dwarf_formudata(&attr, &v) == 0)
		caller->column = (int)v;
}

/*
 * Frames for one address: the innermost inlined call first, then each
 * caller it was inlined into, then the real function (as eu-stack -i and
 * gdb show them).  Returns how many frames were pushed.
 */
static size_t symbolize_pc(struct sym *s, uint64_t pc, bool is_return)
{
	uint64_t addr = is_return ? pc - 1 : pc;
	const struct cleak__module *cm = cleak__modules_peek(s->mods, pc);
	const char *module = cm ? cleak__intern(s->pool, cm->path) : NULL;
	Dwfl_Module *mod = s->dwfl ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	size_t start = s->nframes;
	struct cleak_frame *f;
	Dwarf_Addr mod_base = 0, bias = 0;
	Dwarf_Die *cudie = NULL, *scopes = NULL;
	const char *symname = NULL;
	GElf_Off symoff;
	GElf_Sym sym;
	int nscopes = 0, i;

	if (mod)
		dwfl_module_info(mod, NULL, &mod_base, NULL, NULL, NULL, NULL, NULL);
	f = push_frame(s, pc, module, cm && cm->usable ? pc - cm->bias : 0);
	if (!f)
		return 0;
	if (!mod)
		return 1;
	symname = dwfl_module_addrinfo(mod, addr, &symoff, &sym, NULL, NULL, NULL);
	f->function = demangle(s, symname);
	if (s->opts->lines || s->opts->inlines)
		cudie = dwfl_module_addrdie(mod, addr, &bias);
	if (s->opts->lines) {
		Dwfl_Line *line = dwfl_module_getsrc(mod, addr);
		int lineno = 0, col = 0;
		const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, &col, NULL, NULL)
					: NULL;

		if (file) {
			f->file = cleak__intern(s->pool, file);
			f->line = lineno;
			f->column = col;
		}
	}
	if (!cudie || !s->opts->inlines)
		return 1;
	/* dwarf_getscopes finds the innermost inlined instance at addr;
	 * dwarf_getscopes_die then gives the chain that physically holds
	 * it (the callers it was inlined into), as eu-stack -i walks it. */
	nscopes = dwarf_getscopes(cudie, addr - bias, &scopes);
	for (i = 0; i < nscopes; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine)
			break;
	if (i < nscopes) {
		Dwarf_Die inner = scopes[i], *chain = NULL;
		int nchain = dwarf_getscopes_die(&inner, &chain), k;
		Dwarf_Die *last = &chain[0];

		for (k = 1; k < nchain; k++) {
			int tag = dwarf_tag(&chain[k]);
			struct cleak_frame *caller;

			if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
				continue;
			f = &s->frames[s->nframes - 1];
			f->inlined = true;
			f->function = die_name(s, last);
			caller = push_frame(s, pc, module, f->module_offset);
			if (!caller)
				break;
			if (s->opts->lines)
				call_site(s, cudie, last, caller);
			/* The physical function: its ELF symbol names it best. */
			caller->function = tag == DW_TAG_subprogram && symname
					   ? demangle(s, symname) : die_name(s, &chain[k]);
			if (tag == DW_TAG_subprogram)
				break;
			last = &chain[k];
		}
		free(chain);
	}
	free(scopes);
	return s->nframes - start;
}

static struct pc_entry *lookup(struct sym *s, uint64_t key)
{
	size_t i;

	for (i = (key * 0x9E3779B97F4A7C15ULL) >> 40 & (s->nslots - 1); s->table[i].key;
	     i = (i + 1) & (s->nslots - 1))
		if (s->table[i].key == key)
			return &s->table[i];
	return &s->table[i];
}

/* The [vdso] has no file: hand libdw the copy taken at capture. */
static int find_vdso_elf(Dwfl_Module *mod, void **userdata, const char *modname,
			 Dwarf_Addr base, char **file_name, Elf **elfp)
{
	const struct cleak_snapshot *snap = *userdata;

	(void)mod;
	(void)base;
	*file_name = NULL;
	*elfp = NULL;
	if (snap && strcmp(modname, "[vdso]") == 0 && snap->vdso)
		*elfp = elf_memory((char *)snap->vdso, snap->vdso_len);
	return -1;	/* no file descriptor */
}

static void report_vdso(struct sym *s, const struct cleak__module *mod)
{
	Dwfl_Module *m = dwfl_report_module(s->dwfl, "[vdso]", mod->lo, mod->hi);
	void **userdata;

	if (m && dwfl_module_info(m, &userdata, NULL, NULL, NULL, NULL, NULL, NULL))
		*userdata = s->snap;
}

/*
 * Frames are cached by the address looked up (pc - 1 for return
 * addresses), doubled plus one so that no key is 0, the free-slot mark.
 */
static uint64_t pc_key(const struct cleak_thread *th, size_t p)
{
	return (p > 0 ? th->pcs[p] - 1 : th->pcs[p]) * 2 + 1;
}

static int report_modules(struct sym *s)
{
	size_t i, t, p;

	/* Separate debug files: by build-id and .gnu_debuglink, in the
	 * target's root first, then ours (dwfl_standard_find_debuginfo). */
	s->debuginfo_path = cleak__strdupf("%s%s:.debug:%s/usr/lib/debug:/usr/lib/debug",
				       s->opts->debuginfo_path ? s->opts->debuginfo_path : "",
				       s->opts->debuginfo_path ? ":" : "", s->mods->root);
	if (!s->debuginfo_path)
		return -ENOMEM;
	s->callbacks.find_elf = find_vdso_elf;
	s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
	s->callbacks.debuginfo_path = &s->debuginfo_path;
	s->dwfl = dwfl_begin(&s->callbacks);
	if (!s->dwfl)
		return -ENOMEM;
	dwfl_report_begin(s->dwfl);
	/* Open only modules some frame lands in. */
	for (t = 0; t < s->snap->nthreads; t++) {
		const struct cleak_thread *th = &s->snap->threads[t];

		for (p = 0; p < th->npcs; p++)
			cleak__modules_at(s->mods, th->pcs[p]);
	}
	for (i = 0; i < s->mods->nmods; i++) {
		struct cleak__module *mod = &s->mods->mods[i];
		int fd;

		if (!mod->usable)
			continue;
		if (mod->fd < 0) {
			report_vdso(s, mod);
			continue;
		}
		fd = dup(mod->fd);
		if (fd < 0)
			continue;
		/* add_p_vaddr: the module's addresses are p_vaddr + bias. */
		if (!dwfl_report_elf(s->dwfl, mod->path, mod->open_path, fd, mod->bias, true))
			close(fd);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	return 0;
}

int cleak_snapshot_symbolize(struct cleak_snapshot *snap,
			     const struct cleak_symbolize_opts *opts)
{
	struct cleak_symbolize_opts defaults = {
		.sz = sizeof(defaults), .inlines = true, .lines = true, .demangle = true,
	};
	struct sym s = { .snap = snap };
	size_t t, p, total = 0;
	int err;

	s.opts = opts && opts->sz >= sizeof(*opts) ? opts : &defaults;
	s.pool = cleak__snapshot_pool(snap);
	if (!s.pool)
		return cleak__fail(ENOMEM, "out of memory");
	s.mods = cleak__snapshot_modules(snap, s.opts->sysroot);
	if (!s.mods)
		return cleak__fail(ENOMEM, "out of memory");
	err = report_modules(&s);
	if (err)
		goto out;
	for (t = 0; t < snap->nthreads; t++)
		total += snap->threads[t].npcs;
	s.nslots = 64;
	while (s.nslots < total * 2 + 2)
		s.nslots *= 2;
	s.table = calloc(s.nslots, sizeof(*s.table));
	if (!s.table) {
		err = -ENOMEM;
		goto out;
	}
	/* First pass: each distinct address once. */
	for (t = 0; t < snap->nthreads; t++) {
		const struct cleak_thread *th = &snap->threads[t];

		for (p = 0; p < th->npcs; p++) {
			uint64_t key = pc_key(th, p);
			struct pc_entry *e = lookup(&s, key);

			if (e->key)
				continue;
			e->key = key;
			e->first = s.nframes;
			e->count = symbolize_pc(&s, th->pcs[p], p > 0);
		}
	}
	/* Second pass: each thread's frames from the shared results. */
	for (t = 0; t < snap->nthreads; t++) {
		struct cleak_thread *th = &snap->threads[t];
		size_t n = 0;

		free(th->frames);
		th->frames = NULL;
		th->nframes = 0;
		for (p = 0; p < th->npcs; p++)
			n += lookup(&s, pc_key(th, p))->count;
		if (!n)
			continue;
		th->frames = malloc(n * sizeof(*th->frames));
		if (!th->frames) {
			err = -ENOMEM;
			goto out;
		}
		for (p = 0; p < th->npcs; p++) {
			const struct pc_entry *e = lookup(&s, pc_key(th, p));
			size_t k;

			for (k = 0; k < e->count; k++) {
				th->frames[th->nframes] = s.frames[e->first + k];
				/* Keep each frame's own address. */
				th->frames[th->nframes].pc = th->pcs[p];
				th->frames[th->nframes].inferred =
					th->inferred_from && p >= th->inferred_from;
				th->nframes++;
			}
		}
	}
	/* Goroutines: names, lines and inlining from the binary's pclntab. */
	if (snap->go && cleak__snapshot_gobin(snap))
		err = cleak__go_symbolize(snap, cleak__snapshot_gobin(snap));
out:
	free(s.table);
	free(s.frames);
	if (s.dwfl)
		dwfl_end(s.dwfl);
	free(s.debuginfo_path);
	return err ? cleak__fail(-err, "symbolization failed: %s", strerror(-err)) : 0;
}
