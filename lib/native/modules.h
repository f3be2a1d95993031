/* SPDX-License-Identifier: MIT */
/*
 * The files mapped into a snapshot's process, opened lazily (only modules
 * that some frame lands in are ever opened) and each opened once.
 */
#ifndef CLEAK_MODULES_H
#define CLEAK_MODULES_H

#include "elffile.h"
#include "internal.h"

#include <gelf.h>
#include <libelf.h>


/* A search table in .eh_frame_hdr's format that libunwind can read. */
struct cleak__cfi_table {
	bool tried;
	int32_t *entries;	/* (start, FDE) pairs relative to segbase */
	size_t count;
	uint64_t segbase;
	uint64_t table_addr;	/* where libunwind reads the entries */
	uint8_t *frames;	/* .debug_frame rewritten as .eh_frame */
	size_t frames_len;
	uint64_t frames_addr;	/* where it is served: a gap in the target */
};

struct cleak__module {
	const char *path;	/* as in /proc/<pid>/maps */
	char *open_path;	/* the path we resolved it to (sysroot applied) */
	uint64_t inode;
	size_t first_map;	/* index of its lowest mapping in snap->maps */
	uint64_t lo, hi;	/* address range of its mappings */
	bool tried, usable;
	char *error;		/* why it could not be opened */
	int fd;			/* -1 for the [vdso] copy */
	const uint8_t *image;	/* whole file (mmap) or the vdso copy */
	size_t image_len;
	bool mmapped;
	Elf *elf;
	uint64_t bias;		/* load address minus link-time address */
	uint64_t eh_hdr;	/* target address of .eh_frame_hdr, 0 if none */
	/* Search tables cleak builds where the file has none: from .eh_frame
	 * when there is no .eh_frame_hdr, and from .debug_frame (here or in
	 * the separate debug file) for code that has only that. */
	struct cleak__cfi_table eh, dbg;
	/* The separate debug file, when .debug_frame came from it. */
	const uint8_t *dbg_image;
	size_t dbg_image_len;
	Elf *dbg_elf;
};

/* Search tables are served at addresses no user mapping can have. */
#define CLEAK__SYNTH_BASE 0xffff000000000000ULL
#define CLEAK__SYNTH_ADDR(index) (CLEAK__SYNTH_BASE + ((uint64_t)(index) << 32))

struct cleak__modules {
	const struct cleak_snapshot *snap;
	char *root;		/* prefix for module paths */
	bool user_root;		/* root came from --sysroot */
	struct cleak__module *mods;
	size_t nmods;
	int *map_mod;		/* per snap->maps entry: module index or -1 */
};

int cleak__modules_new(const struct cleak_snapshot *snap, const char *sysroot,
		       struct cleak__modules **out);
void cleak__modules_free(struct cleak__modules *mods);

/* The module mapped at `addr`, opened on first use; NULL if none or unusable. */
struct cleak__module *cleak__modules_at(struct cleak__modules *mods, uint64_t addr);
/* The module at `addr` without opening it (for names). */
const struct cleak__module *cleak__modules_peek(const struct cleak__modules *mods,
						uint64_t addr);
/* Copy target memory backed by a mapped file or the vdso copy. */
bool cleak__modules_read(struct cleak__modules *mods, uint64_t addr, void *buf,
			 size_t len);
/* The search table built from .eh_frame (for a module without
 * .eh_frame_hdr) or from .debug_frame; NULL if there is none. */
const struct cleak__cfi_table *cleak__modules_eh_table(struct cleak__modules *mods,
						       struct cleak__module *mod);
const struct cleak__cfi_table *cleak__modules_debug_table(struct cleak__modules *mods,
							  struct cleak__module *mod);
/* The snapshot's mapped files, opened once for all passes (attached to
 * it); NULL on ENOMEM.  When snap->maps changes, the capture detaches
 * them (cleak__snapshot_detach). */
struct cleak__modules *cleak__snapshot_modules(struct cleak_snapshot *snap,
					       const char *sysroot);
/* Is `addr` inside an executable mapping? */
bool cleak__modules_is_code(const struct cleak__modules *mods, uint64_t addr);

#endif
