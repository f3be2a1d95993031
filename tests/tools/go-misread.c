// SPDX-License-Identifier: MIT
/*
 * go-misread - read a live Go program's goroutines with a deliberately
 * wrong runtime layout, as a release newer than cleak's tables would be
 * read, and print what cleak's checks (lib/gocheck.c) made of it.
 * tests/e2e/test_go.py uses it to prove that a wrong offset is refused or
 * reads what the right one reads, and is never shown as something else.
 *
 * Usage: go-misread PID [FIELD DELTA]
 *   FIELD is a member of struct cleak__golayout (g_goid, sudog_c, ...),
 *   DELTA bytes added to it; without them the program's own layout is
 *   used (still checked as an unverified one).
 * Output: "refused: MESSAGE", or "read" then one line per goroutine:
 *   goid status wait-reason startpc gopc tid channel elem-type
 * Exit: 0 refused or read, 2 usage or the program could not be read.
 */
#include "go/gocapture.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(name) { #name, offsetof(struct cleak__golayout, name) }

static const struct {
	const char *name;
	size_t off;
} fields[] = {
	FIELD(g_m), FIELD(g_sched), FIELD(g_syscallsp), FIELD(g_syscallpc),
	FIELD(g_atomicstatus), FIELD(g_goid), FIELD(g_waitsince), FIELD(g_waitreason),
	FIELD(g_lockedm), FIELD(g_parentgoid), FIELD(g_gopc), FIELD(g_startpc),
	FIELD(g_waiting), FIELD(m_procid), FIELD(sudog_c), FIELD(sudog_waitlink),
	FIELD(hchan_elemtype),
};

static int shift(struct cleak__golayout *L, const char *name, long delta)
{
	size_t i;

	for (i = 0; i < CLEAK__ARRAY_SIZE(fields); i++) {
		if (strcmp(fields[i].name, name) == 0) {
			uint32_t *v = (uint32_t *)((char *)L + fields[i].off);

			*v = (uint32_t)((long)*v + delta);
			return 0;
		}
	}
	return -1;
}

static void print_goroutines(const struct cleak_go *go)
{
	size_t i;

	puts("read");
	for (i = 0; i < go->ngoroutines; i++) {
		const struct cleak_goroutine *g = &go->goroutines[i];
		const struct cleak_go_chan *c = g->nchans ? g->chans[0] : NULL;

		printf("%" PRIu64 " %s %s %#" PRIx64 " %#" PRIx64 " %d %#" PRIx64 " %s\n", g->goid,
		       g->status_name, g->wait_reason ? g->wait_reason : "-", g->startpc, g->gopc,
		       g->tid, c ? c->address : 0, c && c->elem_type ? c->elem_type : "-");
	}
}

int main(int argc, char **argv)
{
	struct cleak_capture_opts opts = { .sz = sizeof(opts), .nonblocking = true };
	struct cleak_snapshot *snap = NULL;
	struct cleak__gobin *gb = NULL;
	pid_t pid;
	int err;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: go-misread PID [FIELD DELTA]\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	/* the threads, for the checks that name them; its goroutines are
	 * dropped and read again below */
	err = cleak_snapshot_capture(pid, &opts, &snap);
	if (err || !snap->go) {
		fprintf(stderr, "go-misread: %s\n", err ? cleak_errmsg() : "not a Go program");
		return 2;
	}
	cleak__go_free(snap->go);
	snap->go = calloc(1, sizeof(*snap->go));
	if (!snap->go || cleak__gobin_open(snap, &gb) || !gb) {
		fprintf(stderr, "go-misread: %s\n", cleak_errmsg());
		return 2;
	}
	gb->own = *gb->layout;
	gb->layout = &gb->own;
	gb->layout_source = CLEAK_GO_LAYOUT_CHECKED;
	if (argc == 4 && shift(&gb->own, argv[2], strtol(argv[3], NULL, 0))) {
		fprintf(stderr, "go-misread: no layout field %s\n", argv[2]);
		return 2;
	}
	err = cleak__golayout_check(gb, gb->layout);
	if (!err)
		err = cleak__go_capture(snap, gb, CLEAK__GO_NONBLOCKING, CLEAK_DEFAULT_STACK_BYTES);
	if (!err)
		cleak__go_capture_finish(snap, gb);
	if (err == -EPROTO || (!err && snap->go->error))
		printf("refused: %s\n", snap->go->error ? snap->go->error : cleak_errmsg());
	else if (err)
		printf("refused: %s (%s)\n", cleak_errmsg(), strerror(-err));
	else
		print_goroutines(snap->go);
	cleak__gobin_free(gb);
	cleak_snapshot_free(snap);
	return 0;
}
