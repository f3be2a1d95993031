// SPDX-License-Identifier: MIT
/*
 * Mapped files of the target.  Unwinding reads code and unwind tables
 * from these files rather than from the process, which by then runs again.
 */
#include "target/target.h"
#include "native/modules.h"
#include "native/ehframe.h"

#include <errno.h>
#include <fcntl.h>
#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_file_mapping(const struct cleak_mapping *m)
{
	return m->path && m->path[0] == '/' && m->inode != 0;
}

int cleak__modules_new(const struct cleak_snapshot *snap, const char *sysroot,
		       struct cleak__modules **out)
{
	struct cleak__modules *mods;
	size_t i, j;

	mods = calloc(1, sizeof(*mods));
	if (!mods)
		return -ENOMEM;
	mods->snap = snap;
	/* /proc/<pid>/root sees the target's own mount namespace, so a
	 * process in a container resolves to its own files. */
	mods->root = sysroot ? strdup(sysroot) : cleak__strdupf("/proc/%d/root", snap->pid);
	mods->user_root = sysroot != NULL;
	mods->mods = calloc(snap->nmaps + 1, sizeof(*mods->mods));
	mods->map_mod = malloc((snap->nmaps + 1) * sizeof(*mods->map_mod));
	if (!mods->root || !mods->mods || !mods->map_mod) {
		cleak__modules_free(mods);
		return -ENOMEM;
	}
	for (i = 0; i < snap->nmaps; i++) {
		const struct cleak_mapping *m = &snap->maps[i];
		bool vdso = m->path && strcmp(m->path, "[vdso]") == 0;

		mods->map_mod[i] = -1;
		if (!is_file_mapping(m) && !vdso)
			continue;
		/* The same file mapped again (its segments) joins its module. */
		for (j = 0; j < mods->nmods; j++) {
			struct cleak__module *mod = &mods->mods[j];

			if (mod->inode == m->inode && strcmp(mod->path, m->path) == 0)
				break;
		}
		if (j == mods->nmods) {
			struct cleak__module *mod = &mods->mods[mods->nmods++];

			mod->path = m->path;
			mod->inode = m->inode;
			mod->first_map = i;
			mod->lo = m->start;
			mod->fd = -1;
		}
		mods->mods[j].hi = m->end;
		mods->map_mod[i] = (int)j;
	}
	*out = mods;
	return 0;
}

void cleak__modules_free(struct cleak__modules *mods)
{
	size_t i;

	if (!mods)
		return;
	for (i = 0; i < mods->nmods; i++) {
		struct cleak__module *mod = &mods->mods[i];

		if (mod->elf)
			elf_end(mod->elf);
		if (mod->mmapped)
			munmap((void *)mod->image, mod->image_len);
		if (mod->fd >= 0)
			close(mod->fd);
		free(mod->open_path);
		free(mod->error);
		free(mod->eh.entries);
		free(mod->dbg.entries);
		free(mod->dbg.frames);
		if (mod->dbg_elf)
			elf_end(mod->dbg_elf);
		if (mod->dbg_image)
			munmap((void *)mod->dbg_image, mod->dbg_image_len);
	}
	free(mods->mods);
	free(mods->map_mod);
	free(mods->root);
	free(mods);
}

/*
 * Open the file behind a module.  /proc/<pid>/map_files/<range> is the
 * very file that is mapped, even if it was deleted or replaced since, or
 * lives in another mount namespace; it needs CAP_SYS_ADMIN (proc(5)), so
 * fall back to the path under the target's root, checked by inode.
 */
static int open_module_file(struct cleak__modules *mods, struct cleak__module *mod)
{
	const struct cleak_mapping *m = &mods->snap->maps[mod->first_map];
	char path[128];
	struct stat st;
	int fd;

	mod->open_path = cleak__strdupf("%s%s", mods->root, mod->path);
	if (!mod->open_path)
		return -ENOMEM;
	fd = open(mod->open_path, O_RDONLY | O_CLOEXEC);
	/* Under /proc/<pid>/root the inode must match the mapping; a
	 * --sysroot is the user's copy of the files, with inodes of its own. */
	if (fd >= 0 && (mods->user_root || (fstat(fd, &st) == 0 && st.st_ino == mod->inode)))
		return fd;
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", mods->snap->pid,
		 (unsigned long)m->start, (unsigned long)m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* A saved snapshot read back: trust the plain path. */
	fd = open(mod->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == mod->inode)
		return fd;
	if (fd >= 0)
		close(fd);
	return -ENOENT;
}

/*
 * The load bias: where a PT_LOAD segment sits in the process minus its
 * link-time p_vaddr.  The first mapping of a module maps file offset
 * m->offset at m->start; the segment containing that offset tells the rest.
 */
static int compute_layout(struct cleak__modules *mods, struct cleak__module *mod)
{
	const struct cleak_mapping *m = &mods->snap->maps[mod->first_map];
	GElf_Ehdr ehdr;
	GElf_Phdr ph;
	size_t n, i;
	bool have_bias = false;

	if (!gelf_getehdr(mod->elf, &ehdr) || elf_getphdrnum(mod->elf, &n))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(mod->elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD && !have_bias && ph.p_offset >= m->offset &&
		    ph.p_offset - m->offset < 0x10000) {
			mod->bias = m->start + (ph.p_offset - m->offset) - ph.p_vaddr;
			have_bias = true;
		}
	}
	if (!have_bias)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (gelf_getphdr(mod->elf, (int)i, &ph) && ph.p_type == PT_GNU_EH_FRAME)
			mod->eh_hdr = ph.p_vaddr + mod->bias;
	return 0;
}

static void module_open(struct cleak__modules *mods, struct cleak__module *mod)
{
	const struct cleak_snapshot *snap = mods->snap;

	mod->tried = true;
	if (strcmp(mod->path, "[vdso]") == 0) {
		if (!snap->vdso)
			return;
		mod->image = snap->vdso;
		mod->image_len = snap->vdso_len;
	} else {
		mod->fd = open_module_file(mods, mod);
		if (mod->fd < 0) {
			mod->error = cleak__strdupf("cannot open %s (nor via /proc/%d/map_files)",
						    mod->open_path ? mod->open_path : mod->path,
						    snap->pid);
			return;
		}
		if (!cleak__map_fd(mod->fd, &mod->image, &mod->image_len))
			return;
		mod->mmapped = true;
	}
	elf_version(EV_CURRENT);
	mod->elf = elf_memory((char *)mod->image, mod->image_len);
	if (!mod->elf || elf_kind(mod->elf) != ELF_K_ELF) {
		mod->error = cleak__strdupf("%s is not an ELF file (corrupt?)", mod->path);
		return;
	}
	if (compute_layout(mods, mod)) {
		mod->error = cleak__strdupf("%s: program headers do not match its mapping",
					    mod->path);
		return;
	}
	mod->usable = true;
}

static int mod_index_at(const struct cleak__modules *mods, uint64_t addr)
{
	const struct cleak_snapshot *snap = mods->snap;
	const struct cleak_mapping *m = cleak__find_mapping(snap->maps, snap->nmaps, addr);

	if (!m)
		return -1;
	return mods->map_mod[m - snap->maps];
}

const struct cleak__module *cleak__modules_peek(const struct cleak__modules *mods,
						uint64_t addr)
{
	int i = mod_index_at(mods, addr);

	return i < 0 ? NULL : &mods->mods[i];
}

struct cleak__module *cleak__modules_at(struct cleak__modules *mods, uint64_t addr)
{
	int i = mod_index_at(mods, addr);
	struct cleak__module *mod;

	if (i < 0)
		return NULL;
	mod = &mods->mods[i];
	if (!mod->tried)
		module_open(mods, mod);
	return mod->usable ? mod : NULL;
}

/* The section `name` of `elf`, as bytes of `image`. */
/* Turn an index into the table's 32-bit pairs; frees the index. */
static const struct cleak__cfi_table *adopt_index(struct cleak__cfi_table *t,
						  struct cleak__eh_entry *e, size_t n)
{
	size_t i;

	t->entries = malloc((n ? n : 1) * 2 * sizeof(*t->entries));
	for (i = 0; t->entries && i < n; i++) {
		t->entries[2 * i] = (int32_t)(e[i].start - t->segbase);
		t->entries[2 * i + 1] = (int32_t)(e[i].fde - t->segbase);
	}
	t->count = t->entries ? n : 0;
	free(e);
	return t->entries ? t : NULL;
}

const struct cleak__cfi_table *cleak__modules_eh_table(struct cleak__modules *mods,
						       struct cleak__module *mod)
{
	struct cleak__cfi_table *t = &mod->eh;
	struct cleak__eh_entry *entries;
	const uint8_t *data;
	GElf_Shdr sh;
	size_t n;

	if (t->tried)
		return t->entries ? t : NULL;
	t->tried = true;
	data = cleak__elf_section(mod->elf, mod->image, mod->image_len, ".eh_frame", &sh);
	if (!data)
		return NULL;
	t->segbase = sh.sh_addr + mod->bias;
	t->table_addr = CLEAK__SYNTH_ADDR(2 * (size_t)(mod - mods->mods));
	if (cleak__eh_frame_index(data, sh.sh_size, t->segbase, &entries, &n))
		return NULL;
	return adopt_index(t, entries, n);
}

/* The separate debug file by build-id (/usr/lib/debug/.build-id/xx/rest.debug),
 * under the target's root first. */
static void open_debug_file(struct cleak__modules *mods, struct cleak__module *mod)
{
	const uint8_t *id;
	ssize_t len = dwelf_elf_gnu_build_id(mod->elf, (const void **)&id);
	const char *roots[2] = { mods->root, "" };
	char hex[128], *path;
	ssize_t i;
	int r, fd;

	if (len <= 1 || len > 60)
		return;
	for (i = 1; i < len; i++)
		snprintf(hex + 2 * (i - 1), 3, "%02x", id[i]);
	for (r = 0; r < 2; r++) {
		path = cleak__strdupf("%s/usr/lib/debug/.build-id/%02x/%s.debug", roots[r], id[0],
				      hex);
		fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		free(path);
		if (fd < 0)
			continue;
		if (cleak__map_fd(fd, &mod->dbg_image, &mod->dbg_image_len))
			mod->dbg_elf = elf_memory((char *)mod->dbg_image, mod->dbg_image_len);
		close(fd);
		return;
	}
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * An address range of `size` bytes that nothing in the target occupies,
 * within 1 GiB of `near` (the table holds 32-bit offsets), so that reads
 * of it can never be mistaken for the target's memory.
 */
static uint64_t find_gap(const struct cleak__modules *mods, uint64_t near, uint64_t size)
{
	const struct cleak_snapshot *snap = mods->snap;
	const uint64_t reach = 1ULL << 30, page = 4096;
	uint64_t best = 0, best_dist = UINT64_MAX;
	size_t i, j;

	size = (size + 2 * page) & ~(page - 1);
	for (i = 0; i <= snap->nmaps; i++) {
		/* the gap that ends at maps[i] (or the address space's end) */
		uint64_t lo = i ? snap->maps[i - 1].end + page : 0x10000;
		uint64_t hi = i < snap->nmaps ? snap->maps[i].start : 0x7ffffffff000ULL;
		uint64_t cand[2], dist;
		int k;

		if (hi <= lo || hi - lo < size)
			continue;
		cand[0] = lo;
		cand[1] = hi - size;
		for (k = 0; k < 2; k++) {
			bool taken = false;

			dist = cand[k] > near ? cand[k] - near : near - cand[k];
			if (dist >= reach || dist >= best_dist)
				continue;
			for (j = 0; j < mods->nmods; j++)
				taken |= mods->mods[j].dbg.frames &&
					 overlaps(cand[k], size, mods->mods[j].dbg.frames_addr,
						  mods->mods[j].dbg.frames_len);
			if (!taken) {
				best = cand[k] + page;
				best_dist = dist;
			}
		}
	}
	return best;
}

const struct cleak__cfi_table *cleak__modules_debug_table(struct cleak__modules *mods,
							  struct cleak__module *mod)
{
	struct cleak__cfi_table *t = &mod->dbg;
	struct cleak__eh_entry *entries;
	const uint8_t *data;
	GElf_Shdr sh;
	size_t n;

	if (t->tried)
		return t->entries ? t : NULL;
	t->tried = true;
	data = cleak__elf_section(mod->elf, mod->image, mod->image_len, ".debug_frame", &sh);
	if (!data) {
		open_debug_file(mods, mod);
		data = cleak__elf_section(mod->dbg_elf, mod->dbg_image, mod->dbg_image_len,
				    ".debug_frame", &sh);
	}
	if (!data)
		return NULL;
	t->segbase = mod->lo;
	t->frames_addr = find_gap(mods, mod->lo, sh.sh_size + 16);
	if (!t->frames_addr)
		return NULL;
	t->table_addr = CLEAK__SYNTH_ADDR(2 * (size_t)(mod - mods->mods) + 1);
	if (cleak__debug_frame_convert(data, sh.sh_size, mod->bias, t->frames_addr, &t->frames,
				       &t->frames_len, &entries, &n))
		return NULL;
	return adopt_index(t, entries, n);
}

/* Reads of the search tables and of rewritten .debug_frame records. */
static bool read_synth(struct cleak__modules *mods, uint64_t addr, void *buf, size_t len)
{
	const struct cleak__cfi_table *t;
	uint64_t index, off;
	size_t i;

	if (addr >= CLEAK__SYNTH_BASE) {
		index = (addr - CLEAK__SYNTH_BASE) >> 32;
		off = addr & 0xffffffffu;
		if (index / 2 >= mods->nmods)
			return false;
		t = index % 2 ? &mods->mods[index / 2].dbg : &mods->mods[index / 2].eh;
		if (!t->entries || off + len > t->count * 2 * sizeof(*t->entries))
			return false;
		memcpy(buf, (const uint8_t *)t->entries + off, len);
		return true;
	}
	for (i = 0; i < mods->nmods; i++) {
		t = &mods->mods[i].dbg;
		if (t->frames && addr >= t->frames_addr &&
		    addr + len <= t->frames_addr + t->frames_len) {
			memcpy(buf, t->frames + (addr - t->frames_addr), len);
			return true;
		}
	}
	return false;
}

bool cleak__modules_read(struct cleak__modules *mods, uint64_t addr, void *buf,
			 size_t len)
{
	const struct cleak_snapshot *snap = mods->snap;
	const struct cleak_mapping *m;
	struct cleak__module *mod;
	uint64_t off;

	m = cleak__find_mapping(snap->maps, snap->nmaps, addr);
	if (!m)
		return read_synth(mods, addr, buf, len);
	if (!m || addr + len > m->end)
		return false;
	mod = cleak__modules_at(mods, addr);
	if (!mod)
		return false;
	/* The vdso copy starts at its mapping; files at offset 0. */
	off = mod->fd < 0 ? addr - snap->vdso_start : addr - m->start + m->offset;
	if (off + len > mod->image_len)
		return false;
	memcpy(buf, mod->image + off, len);
	return true;
}

bool cleak__modules_is_code(const struct cleak__modules *mods, uint64_t addr)
{
	const struct cleak_snapshot *snap = mods->snap;
	const struct cleak_mapping *m = cleak__find_mapping(snap->maps, snap->nmaps, addr);

	return m && m->perms[2] == 'x';
}

/* The modules and the sysroot they were opened under, attached to the
 * snapshot: every unwind and symbolize pass over it shares them. */
struct attached_modules {
	struct cleak__modules *mods;
	char *sysroot;
};

static void release_attached(void *obj)
{
	struct attached_modules *am = obj;

	cleak__modules_free(am->mods);
	free(am->sysroot);
	free(am);
}

static bool same_root(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

struct cleak__modules *cleak__snapshot_modules(struct cleak_snapshot *snap,
					       const char *sysroot)
{
	struct attached_modules *am = cleak__snapshot_attached(snap, CLEAK__ATTACH_MODULES);

	if (am && same_root(am->sysroot, sysroot))
		return am->mods;
	am = calloc(1, sizeof(*am));
	if (!am || (sysroot && !(am->sysroot = strdup(sysroot))) ||
	    cleak__modules_new(snap, sysroot, &am->mods)) {
		if (am)
			free(am->sysroot);
		free(am);
		return NULL;
	}
	return cleak__snapshot_attach(snap, CLEAK__ATTACH_MODULES, am, release_attached) ?
	       NULL : am->mods;
}
