// SPDX-License-Identifier: MIT
/*
 * A snapshot's JSON form, written and read back.  The keys are the stable
 * interface documented in cleak-stack(1): keys are only ever added.
 */
#include "go/gobinary.h"
#include "internal.h"
#include "json/json_writer.h"
#include "json/wait_json.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char *how_name(enum cleak_capture_how how)
{
	switch (how) {
	case CLEAK_CAPTURE_SYSCALL: return "syscall";
	case CLEAK_CAPTURE_STOPPED: return "stopped";
	default: return "none";
	}
}

void cleak__write_thread_fields(struct cleak__jw *w, const struct cleak_snapshot *snap,
				const struct cleak_thread *t)
{
	char state[2] = { t->state ? t->state : '?', 0 };
	size_t i;

	cleak__jw_key(w, "tid");
	cleak__jw_int(w, t->tid);
	cleak__jw_key(w, "name");
	cleak__jw_string(w, t->name);
	cleak__jw_key(w, "state");
	cleak__jw_string(w, state);
	cleak__jw_key(w, "start_time");
	cleak__jw_uint(w, t->start_time);
	cleak__jw_key(w, "utime");
	cleak__jw_uint(w, t->utime);
	cleak__jw_key(w, "stime");
	cleak__jw_uint(w, t->stime);
	cleak__jw_key(w, "syscall");
	if (t->syscall_nr >= 0) {
		cleak__jw_object_begin(w);
		cleak__jw_key(w, "nr");
		cleak__jw_int(w, t->syscall_nr);
		cleak__jw_key(w, "name");
		cleak__jw_string(w, cleak_syscall_name(t->syscall_nr));
		cleak__jw_key(w, "args");
		cleak__jw_array_begin(w);
		for (i = 0; i < 6; i++)
			cleak__jw_hex(w, t->syscall_args[i]);
		cleak__jw_array_end(w);
		cleak__jw_object_end(w);
	} else {
		cleak__jw_null(w);
	}
	cleak__jw_key(w, "running");
	cleak__jw_bool(w, t->syscall_nr == -2);
	cleak__jw_key(w, "wchan");
	cleak__jw_string(w, t->wchan[0] ? t->wchan : NULL);
	cleak__jw_key(w, "wait");
	cleak__write_wait(w, snap, t);
	cleak__jw_key(w, "capture");
	cleak__jw_string(w, how_name(t->how));
	cleak__jw_key(w, "pause_us");
	cleak__jw_uint(w, t->pause_us);
	cleak__jw_key(w, "was_stopped");
	cleak__jw_bool(w, t->was_stopped);
	cleak__jw_key(w, "stack_bytes");
	cleak__jw_uint(w, t->stack_len);
	cleak__jw_key(w, "truncated");
	cleak__jw_bool(w, t->unwind_truncated);
	cleak__jw_key(w, "error");
	cleak__jw_string(w, t->error);
	cleak__jw_key(w, "frames");
	cleak__jw_array_begin(w);
	for (i = 0; i < t->nframes; i++)
		cleak__write_frame(w, &t->frames[i]);
	cleak__jw_array_end(w);
}

static void write_thread(struct cleak__jw *w, const struct cleak_snapshot *snap,
			 const struct cleak_thread *t)
{
	cleak__jw_object_begin(w);
	cleak__write_thread_fields(w, snap, t);
	cleak__jw_object_end(w);
}

int cleak_snapshot_write_json(const struct cleak_snapshot *snap, FILE *f, bool pretty)
{
	const struct cleak_capture_info *c = &snap->capture;
	struct cleak__jw w;
	size_t i;

	cleak__jw_init(&w, f, pretty);
	cleak__jw_object_begin(&w);
	cleak__jw_key(&w, "cleak_version");
	cleak__jw_string(&w, CLEAK_VERSION);
	cleak__jw_key(&w, "pid");
	cleak__jw_int(&w, snap->pid);
	cleak__jw_key(&w, "comm");
	cleak__jw_string(&w, snap->comm);
	cleak__jw_key(&w, "exe");
	cleak__jw_string(&w, snap->exe);
	cleak__jw_key(&w, "exe_deleted");
	cleak__jw_bool(&w, snap->exe_deleted);
	cleak__jw_key(&w, "time_unix_ms");
	cleak__jw_int(&w, c->time_unix_ms);
	cleak__jw_key(&w, "capture");
	cleak__jw_object_begin(&w);
	cleak__jw_key(&w, "mode");
	cleak__jw_string(&w, c->nonblocking ? "nonblocking" : c->freeze ? "freeze" : "per-thread");
	cleak__jw_key(&w, "selected");
	cleak__jw_bool(&w, c->selected);
	cleak__jw_key(&w, "pause_us");
	cleak__jw_uint(&w, c->pause_us);
	cleak__jw_key(&w, "max_thread_pause_us");
	cleak__jw_uint(&w, c->max_thread_pause_us);
	cleak__jw_key(&w, "wall_us");
	cleak__jw_uint(&w, c->wall_us);
	cleak__jw_key(&w, "threads_stopped");
	cleak__jw_uint(&w, c->threads_stopped);
	cleak__jw_key(&w, "threads_unstopped");
	cleak__jw_uint(&w, c->threads_unstopped);
	cleak__jw_key(&w, "threads_vanished");
	cleak__jw_uint(&w, c->threads_vanished);
	cleak__jw_key(&w, "stack_bytes");
	cleak__jw_uint(&w, c->stack_bytes);
	cleak__jw_object_end(&w);
	cleak__jw_key(&w, "threads");
	cleak__jw_array_begin(&w);
	for (i = 0; i < snap->nthreads; i++)
		write_thread(&w, snap, &snap->threads[i]);
	cleak__jw_array_end(&w);
	cleak__jw_key(&w, "deadlocks");
	cleak__write_deadlocks(&w, snap);
	cleak__write_go(&w, snap);
	cleak__jw_object_end(&w);
	fflush(f);
	return ferror(f) ? cleak__fail(EIO, "cannot write JSON output") : 0;
}

/* ---- reading back ---- */

/* Members of a JSON object; a missing or null member gives the default. */
static enum cleak_capture_how how_from_name(const char *s)
{
	if (s && strcmp(s, "syscall") == 0)
		return CLEAK_CAPTURE_SYSCALL;
	if (s && strcmp(s, "stopped") == 0)
		return CLEAK_CAPTURE_STOPPED;
	return CLEAK_CAPTURE_NONE;
}

static int read_thread(struct cleak_snapshot *snap, json_object *jt, struct cleak_thread *t,
		       size_t index)
{
	json_object *frames, *sc, *args, *wait;
	const char *s;
	size_t i, n;
	int err;

	if (!json_object_is_type(jt, json_type_object))
		return cleak__fail(EINVAL, "threads[%zu] is not an object", index);
	t->tid = (pid_t)cleak__json_int(jt, "tid", -1);
	if (t->tid <= 0)
		return cleak__fail(EINVAL, "threads[%zu] has no valid \"tid\"", index);
	s = cleak__json_str(jt, "name");
	snprintf(t->name, sizeof(t->name), "%s", s ? s : "");
	s = cleak__json_str(jt, "state");
	t->state = s && *s ? s[0] : '?';
	t->start_time = (uint64_t)cleak__json_int(jt, "start_time", 0);
	t->utime = (uint64_t)cleak__json_int(jt, "utime", 0);
	t->stime = (uint64_t)cleak__json_int(jt, "stime", 0);
	t->syscall_nr = cleak__json_bool(jt, "running") ? -2 : -1;
	if (json_object_object_get_ex(jt, "syscall", &sc) &&
	    json_object_is_type(sc, json_type_object)) {
		t->syscall_nr = cleak__json_int(sc, "nr", -1);
		if (json_object_object_get_ex(sc, "args", &args) &&
		    json_object_is_type(args, json_type_array))
			for (i = 0; i < 6 && i < json_object_array_length(args); i++) {
				s = json_object_get_string(json_object_array_get_idx(args, i));
				t->syscall_args[i] = s ? strtoull(s, NULL, 16) : 0;
			}
	}
	s = cleak__json_str(jt, "wchan");
	snprintf(t->wchan, sizeof(t->wchan), "%s", s ? s : "");
	t->how = how_from_name(cleak__json_str(jt, "capture"));
	t->pause_us = (uint32_t)cleak__json_int(jt, "pause_us", 0);
	t->was_stopped = cleak__json_bool(jt, "was_stopped");
	t->unwind_truncated = cleak__json_bool(jt, "truncated");
	s = cleak__json_str(jt, "error");
	if (s && !(t->error = strdup(s)))
		return cleak__fail(ENOMEM, "out of memory");
	if (!json_object_object_get_ex(jt, "wait", &wait) ||
	    json_object_is_type(wait, json_type_null))
		wait = NULL;
	err = cleak__read_wait(snap, wait, t, index);
	if (err)
		return err;
	if (!json_object_object_get_ex(jt, "frames", &frames))
		return 0;
	if (!json_object_is_type(frames, json_type_array))
		return cleak__fail(EINVAL, "threads[%zu].frames is not an array", index);
	n = json_object_array_length(frames);
	t->frames = calloc(n ? n : 1, sizeof(*t->frames));
	t->pcs = calloc(n ? n : 1, sizeof(*t->pcs));
	if (!t->frames || !t->pcs)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct cleak_frame *f = &t->frames[t->nframes];

		err = cleak__read_frame(snap, json_object_array_get_idx(frames, i), f,
					"threads", index, i);
		if (err)
			return err;
		/* pcs: one per physical frame, for grouping */
		if (!(t->nframes > 0 && t->frames[t->nframes - 1].inlined))
			t->pcs[t->npcs++] = f->pc;
		t->nframes++;
	}
	return 0;
}

int cleak_snapshot_read_json(FILE *f, struct cleak_snapshot **out)
{
	struct json_tokener *tok = json_tokener_new();
	struct cleak_snapshot *snap = NULL;
	json_object *root = NULL, *threads, *cap, *deadlocks;
	enum json_tokener_error jerr = json_tokener_continue;
	char buf[65536];
	size_t n, i;
	int err = 0;
	const char *s;

	*out = NULL;
	if (!tok)
		return cleak__fail(ENOMEM, "out of memory");
	while (!root && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		root = json_tokener_parse_ex(tok, buf, (int)n);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_continue && jerr != json_tokener_success)
			break;
	}
	if (!root) {
		err = cleak__fail(EINVAL, "not a cleak snapshot: %s",
				  jerr == json_tokener_continue ? "unexpected end of input"
								: json_tokener_error_desc(jerr));
		goto out;
	}
	if (!json_object_is_type(root, json_type_object) || cleak__json_int(root, "pid", -1) <= 0 ||
	    !json_object_object_get_ex(root, "threads", &threads) ||
	    !json_object_is_type(threads, json_type_array)) {
		err = cleak__fail(EINVAL, "not a cleak snapshot: expected an object with "
				  "\"pid\" and a \"threads\" array (from `cleak stack --json`)");
		goto out;
	}
	snap = calloc(1, sizeof(*snap));
	if (!snap) {
		err = cleak__fail(ENOMEM, "out of memory");
		goto out;
	}
	snap->pid = (pid_t)cleak__json_int(root, "pid", 0);
	s = cleak__json_str(root, "comm");
	snprintf(snap->comm, sizeof(snap->comm), "%s", s ? s : "");
	s = cleak__json_str(root, "exe");
	snap->exe = s ? strdup(s) : NULL;
	snap->exe_deleted = cleak__json_bool(root, "exe_deleted");
	snap->capture.time_unix_ms = cleak__json_int(root, "time_unix_ms", 0);
	if (json_object_object_get_ex(root, "capture", &cap)) {
		s = cleak__json_str(cap, "mode");
		snap->capture.freeze = s && strcmp(s, "freeze") == 0;
		snap->capture.nonblocking = s && strcmp(s, "nonblocking") == 0;
		snap->capture.selected = cleak__json_bool(cap, "selected");
		snap->capture.pause_us = (uint64_t)cleak__json_int(cap, "pause_us", 0);
		snap->capture.max_thread_pause_us = (uint64_t)cleak__json_int(cap, "max_thread_pause_us", 0);
		snap->capture.wall_us = (uint64_t)cleak__json_int(cap, "wall_us", 0);
		snap->capture.threads_stopped = (unsigned)cleak__json_int(cap, "threads_stopped", 0);
		snap->capture.threads_unstopped = (unsigned)cleak__json_int(cap, "threads_unstopped", 0);
		snap->capture.threads_vanished = (unsigned)cleak__json_int(cap, "threads_vanished", 0);
		snap->capture.stack_bytes = (size_t)cleak__json_int(cap, "stack_bytes", 0);
	}
	n = json_object_array_length(threads);
	snap->threads = calloc(n ? n : 1, sizeof(*snap->threads));
	if (!snap->threads) {
		err = cleak__fail(ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		snap->nthreads++;
		err = read_thread(snap, json_object_array_get_idx(threads, i),
				  &snap->threads[i], i);
		if (err)
			goto out;
	}
	if (!json_object_object_get_ex(root, "deadlocks", &deadlocks) ||
	    json_object_is_type(deadlocks, json_type_null))
		deadlocks = NULL;
	err = cleak__read_deadlocks(snap, deadlocks);
	if (!err)
		err = cleak__read_go(snap, root);
out:
	json_tokener_free(tok);
	json_object_put(root);
	if (err)
		cleak_snapshot_free(snap);
	else
		*out = snap;
	return err;
}
