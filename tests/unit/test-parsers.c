// SPDX-License-Identifier: MIT
/* /proc parsers, the .eh_frame index and the JSON form, without processes. */
#include "target/target.h"
#include "native/ehframe.h"
#include "unit.h"

#include <stdlib.h>

static void stat_with_parens_in_comm(void)
{
	struct cleak__stat st;
	/* comm may hold ") " itself; fields are counted after the last ')'. */
	const char *line = "4242 (we) ird) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 "
			   "3 0 123456 0 0";

	CHECK(cleak__parse_stat(line, &st) == 0);
	CHECK_STR(st.comm, "we) ird");
	CHECK(st.state == 'S');
	CHECK(st.ppid == 1);
	CHECK(st.utime == 7 && st.stime == 3);
	CHECK(st.start_time == 123456);
	CHECK(cleak__parse_stat("garbage", &st) < 0);
}

static void syscall_lines(void)
{
	struct cleak__syscall sc;

	CHECK(cleak__parse_syscall("202 0x55d0c0de4060 0x80 0x2 0x0 0x0 0x0 0x7ffd9a3c1e28 "
				   "0x7f3a2c2910a9\n", &sc) == 0);
	CHECK(sc.nr == 202 && sc.args[0] == 0x55d0c0de4060 && sc.args[1] == 0x80);
	CHECK(sc.sp == 0x7ffd9a3c1e28 && sc.pc == 0x7f3a2c2910a9);
	CHECK(cleak__parse_syscall("-1 0x7ffd9a3c1e28 0x401000\n", &sc) == 0);
	CHECK(sc.nr == -1 && sc.sp == 0x7ffd9a3c1e28 && sc.pc == 0x401000);
	CHECK(cleak__parse_syscall("running\n", &sc) == 0 && sc.nr == -2);
	CHECK(cleak__parse_syscall("202 0x1\n", &sc) < 0);
}

static void maps_lines(void)
{
	const char *text =
		"55d0c0de0000-55d0c0de1000 r--p 00000000 fe:00 1234 /usr/bin/app\n"
		"55d0c0de1000-55d0c0de5000 r-xp 00001000 fe:00 1234 /usr/bin/app\n"
		"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
		"7f0000100000-7f0000200000 r-xp 00000000 fe:00 99 /tmp/gone.so (deleted)\n"
		"7ffd9a3a0000-7ffd9a3c2000 rw-p 00000000 00:00 0 [stack]\n";
	struct cleak_mapping *maps;
	const struct cleak_mapping *m;
	size_t n, i;

	CHECK(cleak__parse_maps(text, &maps, &n) == 0);
	CHECK(n == 5);
	CHECK_STR(maps[1].path, "/usr/bin/app");
	CHECK(maps[1].offset == 0x1000 && maps[1].perms[2] == 'x' && maps[1].inode == 1234);
	CHECK(maps[2].path == NULL);
	CHECK_STR(maps[3].path, "/tmp/gone.so");
	CHECK(maps[3].deleted);
	m = cleak__find_mapping(maps, n, 0x7ffd9a3c1e28);
	CHECK(m && m == &maps[4]);
	CHECK(cleak__find_mapping(maps, n, 0x10) == NULL);
	CHECK(cleak__find_mapping(maps, n, 0x55d0c0de5000) == NULL);
	for (i = 0; i < n; i++)
		free(maps[i].path);
	free(maps);
}

/* A CIE with augmentation "zR" (FDE pointers pcrel|sdata4) and two FDEs,
 * written out of address order: the index must sort them. */
static void eh_frame_index(void)
{
	uint8_t buf[128] = { 0 };
	size_t off = 0, fde1, fde2;
	uint64_t base = 0x400000;
	struct cleak__eh_entry *e;
	size_t n;
	int32_t rel;
	uint32_t len;

#define PUT(v, size) do { uint64_t _v = (v); memcpy(buf + off, &_v, size); off += size; } while (0)
	PUT(16, 4);			/* CIE length */
	PUT(0, 4);			/* CIE id */
	PUT(1, 1);			/* version */
	memcpy(buf + off, "zR", 3); off += 3;
	PUT(1, 1);			/* code alignment */
	PUT(0x78, 1);			/* data alignment -8 */
	PUT(16, 1);			/* return address register */
	PUT(1, 1);			/* augmentation length */
	PUT(0x1b, 1);			/* pcrel | sdata4 */
	PUT(0, 1);			/* padding to 20 bytes */
	off = 20;
	fde1 = off;
	len = 16;
	PUT(len, 4);
	PUT(off, 4);			/* CIE pointer: back to offset 0 */
	rel = (int32_t)(0x401200 - (base + off));
	PUT((uint32_t)rel, 4);
	PUT(0x40, 4);			/* range */
	PUT(0, 4);			/* no augmentation data, padding */
	fde2 = off;
	PUT(len, 4);
	PUT(off, 4);
	rel = (int32_t)(0x401000 - (base + off));
	PUT((uint32_t)rel, 4);
	PUT(0x80, 4);
	PUT(0, 4);
	PUT(0, 4);			/* terminator */
#undef PUT
	CHECK(cleak__eh_frame_index(buf, off, base, &e, &n) == 0);
	CHECK(n == 2);
	CHECK(e[0].start == 0x401000 && e[0].fde == base + fde2);
	CHECK(e[1].start == 0x401200 && e[1].fde == base + fde1);
	free(e);
	buf[0] = 0xf0;	/* a length that runs past the end */
	CHECK(cleak__eh_frame_index(buf, off, base, &e, &n) < 0);
}

static void json_round_trip(void)
{
	struct cleak_snapshot *snap = calloc(1, sizeof(*snap)), *back = NULL;
	struct cleak_frame frames[2] = {
		{ .pc = 0x7f00001234, .function = "pthread_cond_wait", .module = "/lib/libc.so.6" },
		{ .pc = 0x401000, .function = "worker \"quoted\"\n", .file = "w.c", .line = 42,
		  .inlined = true },
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(snap);
	snap->pid = 77;
	strcpy(snap->comm, "svc");
	snap->capture.pause_us = 812;
	snap->nthreads = 1;
	snap->threads = calloc(1, sizeof(*snap->threads));
	snap->threads[0].tid = 78;
	strcpy(snap->threads[0].name, "worker-3");
	snap->threads[0].state = 'S';
	snap->threads[0].syscall_nr = 202;
	snap->threads[0].frames = malloc(sizeof(frames));
	memcpy(snap->threads[0].frames, frames, sizeof(frames));
	snap->threads[0].nframes = 2;
	f = open_memstream(&text, &len);
	CHECK(cleak_snapshot_write_json(snap, f, true) == 0);
	fclose(f);
	f = fmemopen(text, len, "r");
	CHECK(cleak_snapshot_read_json(f, &back) == 0);
	fclose(f);
	CHECK(back->pid == 77 && back->nthreads == 1);
	CHECK(back->capture.pause_us == 812);
	CHECK(back->threads[0].tid == 78 && back->threads[0].state == 'S');
	CHECK(back->threads[0].syscall_nr == 202);
	CHECK_STR(back->threads[0].name, "worker-3");
	CHECK(back->threads[0].nframes == 2);
	CHECK_STR(back->threads[0].frames[0].function, "pthread_cond_wait");
	CHECK_STR(back->threads[0].frames[1].function, "worker \"quoted\"\n");
	CHECK(back->threads[0].frames[1].line == 42 && back->threads[0].frames[1].inlined);
	CHECK(back->threads[0].frames[0].file == NULL);
	cleak_snapshot_free(back);
	free(text);
	free(snap->threads[0].frames);
	snap->threads[0].frames = NULL;
	cleak_snapshot_free(snap);
}

static void json_rejects_garbage(void)
{
	const char *inputs[] = { "", "{", "[1,2]", "{\"pid\": 5}",
				 "{\"pid\": 5, \"threads\": [ {\"name\": \"x\"} ]}",
				 "{\"pid\": 5, \"threads\": [ {\"tid\": 6, \"frames\": [ {} ]} ]}" };
	struct cleak_snapshot *snap;
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		FILE *f = fmemopen((void *)inputs[i], strlen(inputs[i]) + 1, "r");

		snap = (void *)1;
		CHECK(cleak_snapshot_read_json(f, &snap) < 0);
		CHECK(snap == NULL);
		CHECK(strncmp(cleak_errmsg(), "not a cleak snapshot", 20) == 0 ||
		      strstr(cleak_errmsg(), "threads[0]") != NULL);
		fclose(f);
	}
}

static void groups_by_state_and_stack(void)
{
	struct cleak_snapshot snap = { 0 };
	struct cleak_thread threads[4] = { 0 };
	struct cleak_frame a = { .pc = 1, .function = "wait", .module_offset = 10 };
	struct cleak_frame b = { .pc = 2, .function = "read", .module_offset = 20 };
	struct cleak_group *g;
	size_t n;

	threads[0] = (struct cleak_thread){ .tid = 10, .state = 'S', .frames = &a, .nframes = 1 };
	threads[1] = (struct cleak_thread){ .tid = 11, .state = 'S', .frames = &b, .nframes = 1 };
	threads[2] = (struct cleak_thread){ .tid = 12, .state = 'S', .frames = &a, .nframes = 1 };
	threads[3] = (struct cleak_thread){ .tid = 13, .state = 'R', .frames = &a, .nframes = 1 };
	snap.threads = threads;
	snap.nthreads = 4;
	CHECK(cleak_snapshot_group(&snap, &g, &n) == 0);
	CHECK(n == 3);
	CHECK(g[0].nmembers == 2);
	CHECK(threads[g[0].members[0]].tid == 10 && threads[g[0].members[1]].tid == 12);
	CHECK(g[1].nmembers == 1 && threads[g[1].members[0]].tid == 11);
	CHECK(g[2].nmembers == 1 && threads[g[2].members[0]].tid == 13);
	cleak_groups_free(g, n);
}

static void syscall_names(void)
{
	CHECK_STR(cleak_syscall_name(202), "futex");
	CHECK_STR(cleak_syscall_name(0), "read");
	CHECK(cleak_syscall_name(-1) == NULL);
	CHECK(cleak_syscall_name(100000) == NULL);
}

int main(void)
{
	RUN(stat_with_parens_in_comm);
	RUN(syscall_lines);
	RUN(maps_lines);
	RUN(eh_frame_index);
	RUN(json_round_trip);
	RUN(json_rejects_garbage);
	RUN(groups_by_state_and_stack);
	RUN(syscall_names);
	return unit_failed;
}
