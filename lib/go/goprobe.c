// SPDX-License-Identifier: MIT
/*
 * goprobe.c - a quick look at a process for `cleak ps`: is it Go, which
 * release, and how many goroutines, read without stopping it (as gops
 * lists processes, without needing its agent).  The count is of that
 * moment; goroutines that start or end while it is read may be off by a
 * few, which a listing can live with.
 */
#include "target/target.h"
#include "go/gocapture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cleak_go_probe(pid_t pid, struct cleak_go_info *out)
{
	struct cleak_snapshot snap = { .pid = pid };
	struct cleak__gobin *gb = NULL;
	char exe[64];
	int err;

	memset(out, 0, sizeof(*out));
	out->goroutines = -1;
	/* Most processes are not Go: their buildinfo says so before their
	 * maps are read. */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (cleak__go_version_of(exe, out->version, sizeof(out->version)) || !out->version[0])
		return 0;
	out->is_go = true;
	err = cleak__read_maps(pid, &snap.maps, &snap.nmaps);
	if (err)
		return cleak__fail(-err, "cannot read /proc/%d/maps: %s", pid, strerror(-err));
	err = cleak__gobin_open(&snap, &gb);
	if (gb && !err)
		err = cleak__go_count(pid, gb, &out->goroutines);
	cleak__gobin_free(gb);
	cleak__free_maps(snap.maps, snap.nmaps);
	return err;
}
