// SPDX-License-Identifier: MIT
/*
 * goprobe.c - a quick look at a process for `cleak ps`: is it Go, which
 * release, and how many goroutines, read without stopping it (as gops
 * lists processes, without needing its agent).  The count is of that
 * moment; goroutines that start or end while it is read may be off by a
 * few, which a listing can live with.
 */
#include "gobinary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cleak_go_probe(pid_t pid, struct cleak_go_info *out)
{
	struct cleak_snapshot snap = { .pid = pid };
	struct cleak__gobin *gb = NULL;
	char path[64], *text;
	int err;

	memset(out, 0, sizeof(*out));
	out->goroutines = -1;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if (cleak__read_all(path, &text) < 0)
		return cleak__fail(errno, "cannot read %s: %s", path, strerror(errno));
	err = cleak__parse_maps(text, &snap.maps, &snap.nmaps);
	free(text);
	if (err)
		return cleak__fail(-err, "cannot parse %s", path);
	err = cleak__gobin_open(&snap, &gb);
	if (gb) {
		out->is_go = true;
		snprintf(out->version, sizeof(out->version), "%s", gb->version);
		if (!err)
			err = cleak__go_count(pid, gb, &out->goroutines);
	}
	cleak__gobin_free(gb);
	for (size_t i = 0; i < snap.nmaps; i++)
		free(snap.maps[i].path);
	free(snap.maps);
	return err;
}
