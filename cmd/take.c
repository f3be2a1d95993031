// SPDX-License-Identifier: MIT
/*
 * One snapshot through every stage, as stack, diff and check take it:
 * capture (the only moment the target is touched), unwind, a second look
 * at the threads whose callers need registers, symbolize, classify, and
 * the deadlock cycles, looked at twice.
 */
#include "cli.h"

void take_opts_init(struct take_opts *o)
{
	*o = (struct take_opts){
		.capture = { .sz = sizeof(o->capture) },
		.unwind = { .sz = sizeof(o->unwind) },
		.sym = { .sz = sizeof(o->sym), .inlines = true, .lines = true, .demangle = true },
	};
}

int cli_take_snapshot(pid_t pid, const struct take_opts *o, struct cleak_snapshot **out)
{
	struct cleak_snapshot *snap = NULL;
	int err;

	*out = NULL;
	err = cleak_snapshot_capture(pid, &o->capture, &snap);
	if (err)
		return err;
	err = cleak_snapshot_unwind(snap, &o->unwind);
	if (!err && cleak_snapshot_recapture(snap, &o->capture) > 0)
		err = cleak_snapshot_unwind(snap, &o->unwind);
	if (!err)
		err = cleak_snapshot_symbolize(snap, &o->sym);
	if (!err)
		err = cleak_snapshot_classify(snap);
	if (!err)
		err = cleak_snapshot_find_deadlocks(snap, true);
	if (err) {
		cleak_snapshot_free(snap);
		return err;
	}
	*out = snap;
	return 0;
}
