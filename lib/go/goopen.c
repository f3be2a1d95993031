// SPDX-License-Identifier: MIT
/*
 * Opening a Go program: its executable's tables read (gobinary.c), the
 * runtime layout chosen for its release and its data checked against it
 * (gocheck.c), in that order, without stopping the process.  The result
 * is attached to the snapshot for every later stage.
 */
#include "go/gobinary.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cleak__gobin_open(const struct cleak_snapshot *snap, struct cleak__gobin **out)
{
	struct cleak__gobin *gb;
	char path[64];
	Elf *elf = NULL;
	int err;

	*out = NULL;
	gb = calloc(1, sizeof(*gb));
	if (!gb)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/exe", snap->pid);
	if (cleak__gobin_read_image(gb, path, &elf)) {
		/* not an ELF we can read, or not Go: nothing to say */
		if (elf)
			elf_end(elf);
		cleak__gobin_free(gb);
		return 0;
	}
	*out = gb;
	gb->minor = cleak__go_minor(gb->version);
	err = cleak__go_choose_layout(gb, elf);
	if (!err)
		err = cleak__gobin_read_pclntab(gb, elf);
	if (!err)
		err = cleak__gobin_find_moduledata(gb, elf, snap);
	if (!err)
		err = cleak__go_check_moduledata(gb);
	if (!err)
		err = cleak__gobin_find_allgs(gb, elf, snap->pid);
	if (!err && gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN)
		err = cleak__go_find_waitreasons(gb, snap->pid);
	elf_end(elf);
	return err;
}

static void release_gobin(void *gb)
{
	cleak__gobin_free(gb);
}

struct cleak__gobin *cleak__snapshot_gobin(const struct cleak_snapshot *snap)
{
	return cleak__snapshot_attached(snap, CLEAK__ATTACH_GOBIN);
}

int cleak__snapshot_set_gobin(struct cleak_snapshot *snap, struct cleak__gobin *gb)
{
	return cleak__snapshot_attach(snap, CLEAK__ATTACH_GOBIN, gb, release_gobin);
}
