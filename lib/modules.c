// SPDX-License-Identifier: MIT
/*
 * Mapped files of the target.  Unwinding reads code and unwind tables
 * from these files rather than from the process, which by then runs again.
 */
#include "modules.h"
#include "ehframe.h"

#include <errno.h>
#include <fcntl.h>
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
		free(mod->synth);
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
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == mod->inode)
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
	struct stat st;
	void *p;

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
		if (fstat(mod->fd, &st) < 0 || st.st_size == 0)
			return;
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, mod->fd, 0);
		if (p == MAP_FAILED)
			return;
		mod->image = p;
		mod->image_len = (size_t)st.st_size;
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

bool cleak__modules_synth_table(struct cleak__modules *mods, struct cleak__module *mod)
{
	struct cleak__eh_entry *entries;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx, n, i;
	const char *name;

	if (mod->synth_tried)
		return mod->synth != NULL;
	mod->synth_tried = true;
	if (elf_getshdrstrndx(mod->elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(mod->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(mod->elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, ".eh_frame") == 0)
			break;
	}
	if (!scn || sh.sh_offset + sh.sh_size > mod->image_len)
		return false;
	mod->synth_segbase = sh.sh_addr + mod->bias;
	if (cleak__eh_frame_index(mod->image + sh.sh_offset, sh.sh_size, mod->synth_segbase,
				  &entries, &n))
		return false;
	mod->synth = malloc((n ? n : 1) * 2 * sizeof(*mod->synth));
	if (mod->synth) {
		for (i = 0; i < n; i++) {
			mod->synth[2 * i] = (int32_t)(entries[i].start - mod->synth_segbase);
			mod->synth[2 * i + 1] = (int32_t)(entries[i].fde - mod->synth_segbase);
		}
		mod->synth_count = n;
	}
	free(entries);
	return mod->synth != NULL;
}

static bool read_synth(struct cleak__modules *mods, uint64_t addr, void *buf, size_t len)
{
	uint64_t index = (addr - CLEAK__SYNTH_BASE) >> 32;
	uint64_t off = addr & 0xffffffffu;
	struct cleak__module *mod;

	if (index >= mods->nmods)
		return false;
	mod = &mods->mods[index];
	if (!mod->synth || off + len > mod->synth_count * 2 * sizeof(*mod->synth))
		return false;
	memcpy(buf, (const uint8_t *)mod->synth + off, len);
	return true;
}

bool cleak__modules_read(struct cleak__modules *mods, uint64_t addr, void *buf,
			 size_t len)
{
	const struct cleak_snapshot *snap = mods->snap;
	const struct cleak_mapping *m;
	struct cleak__module *mod;
	uint64_t off;

	if (addr >= CLEAK__SYNTH_BASE)
		return read_synth(mods, addr, buf, len);
	m = cleak__find_mapping(snap->maps, snap->nmaps, addr);
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
