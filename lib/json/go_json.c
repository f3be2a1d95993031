// SPDX-License-Identifier: MIT
/*
 * go_json.c - the JSON form of a Go program's runtime ("go") and its
 * goroutines ("goroutines"), written and read back by snapshot.c.  Keys
 * are documented in cleak-stack(1) and only ever added to.
 */
#include "go/gobinary.h"
#include "go/gowait.h"
#include "json/wait_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MINUTE 60000000000LL

void cleak__write_chan(struct cleak__jw *w, const struct cleak_go_chan *c)
{
	cleak__jw_object_begin(w);
	cleak__jw_key(w, "address");
	cleak__jw_hex(w, c->address);
	cleak__jw_key(w, "elem_type");
	cleak__jw_string(w, c->elem_type);
	cleak__jw_key(w, "len");
	cleak__jw_uint(w, c->len);
	cleak__jw_key(w, "cap");
	cleak__jw_uint(w, c->cap);
	cleak__jw_key(w, "closed");
	cleak__jw_bool(w, c->closed);
	cleak__jw_key(w, "senders");
	cleak__jw_uint(w, c->senders);
	cleak__jw_key(w, "receivers");
	cleak__jw_uint(w, c->receivers);
	cleak__jw_key(w, "selecting");
	cleak__jw_uint(w, c->selecting);
	cleak__jw_object_end(w);
}

void cleak__write_goroutine_fields(struct cleak__jw *w, const struct cleak_goroutine *g)
{
	char header[256];
	size_t i;
	bool select = cleak__gowait_kind(g->wait_reason) == CLEAK__GOWAIT_SELECT;

	cleak_goroutine_header(g, header, sizeof(header));
	cleak__jw_key(w, "goid");
	cleak__jw_uint(w, g->goid);
	cleak__jw_key(w, "status");
	cleak__jw_string(w, g->status_name);
	cleak__jw_key(w, "wait_reason");
	cleak__jw_string(w, g->wait_reason);
	cleak__jw_key(w, "header");
	cleak__jw_string(w, header);
	cleak__jw_key(w, "wait_minutes");
	if (g->wait_ns >= 0)
		cleak__jw_int(w, g->wait_ns / NS_PER_MINUTE);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "wait_ns");
	if (g->wait_ns >= 0)
		cleak__jw_int(w, g->wait_ns);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "locked_to_thread");
	cleak__jw_bool(w, g->locked);
	cleak__jw_key(w, "tid");
	if (g->tid > 0)
		cleak__jw_int(w, g->tid);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "system");
	cleak__jw_bool(w, g->system);
	cleak__jw_key(w, "leaked");
	cleak__jw_bool(w, g->leaked);
	cleak__jw_key(w, "stack_unavailable");
	cleak__jw_bool(w, g->stack_unavailable);
	cleak__jw_key(w, "start_pc");
	cleak__jw_hex(w, g->startpc);
	cleak__jw_key(w, "created_by");
	if (g->created_by.function) {
		cleak__jw_object_begin(w);
		cleak__jw_key(w, "function");
		cleak__jw_string(w, g->created_by.function);
		cleak__jw_key(w, "file");
		cleak__jw_string(w, g->created_by.file);
		cleak__jw_key(w, "line");
		cleak__jw_int(w, g->created_by.line);
		cleak__jw_key(w, "offset");
		if (g->created_by.func_offset)
			cleak__jw_uint(w, g->created_by.func_offset);
		else
			cleak__jw_null(w);
		cleak__jw_key(w, "pc");
		cleak__jw_hex(w, g->created_by.pc);
		cleak__jw_key(w, "goid");
		if (g->parent_goid)
			cleak__jw_uint(w, g->parent_goid);
		else
			cleak__jw_null(w);
		cleak__jw_object_end(w);
	} else {
		cleak__jw_null(w);
	}
	cleak__jw_key(w, "channel");
	if (g->nchans && !select)
		cleak__write_chan(w, g->chans[0]);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "select_channels");
	cleak__jw_array_begin(w);
	for (i = 0; select && i < g->nchans; i++)
		cleak__write_chan(w, g->chans[i]);
	cleak__jw_array_end(w);
	cleak__jw_key(w, "error");
	cleak__jw_string(w, g->error);
	cleak__jw_key(w, "frames");
	cleak__jw_array_begin(w);
	for (i = 0; i < g->nframes; i++)
		cleak__write_frame(w, &g->frames[i]);
	cleak__jw_array_end(w);
	cleak__jw_key(w, "native_frames");
	cleak__jw_array_begin(w);
	for (i = 0; i < g->nnative; i++)
		cleak__write_frame(w, &g->native_frames[i]);
	cleak__jw_array_end(w);
}

static void write_goroutine(struct cleak__jw *w, const struct cleak_goroutine *g)
{
	cleak__jw_object_begin(w);
	cleak__write_goroutine_fields(w, g);
	cleak__jw_object_end(w);
}

/* go.layout: where the runtime's layout came from (cleak.h). */
static const char *const layout_names[] = {
	[CLEAK_GO_LAYOUT_BUILTIN] = "built-in",
	[CLEAK_GO_LAYOUT_DWARF] = "dwarf",
	[CLEAK_GO_LAYOUT_CHECKED] = "checked",
};

void cleak__write_go(struct cleak__jw *w, const struct cleak_snapshot *snap)
{
	const struct cleak_go *go = snap->go;
	char rules[16];
	size_t i;

	cleak__jw_key(w, "go");
	if (!go) {
		cleak__jw_null(w);
		cleak__jw_key(w, "goroutines");
		cleak__jw_array_begin(w);
		cleak__jw_array_end(w);
		return;
	}
	cleak__jw_object_begin(w);
	cleak__jw_key(w, "version");
	cleak__jw_string(w, go->version);
	cleak__jw_key(w, "module");
	cleak__jw_string(w, go->module);
	cleak__jw_key(w, "goroutines");
	cleak__jw_uint(w, go->ngoroutines - go->nsystem);
	cleak__jw_key(w, "system_goroutines");
	cleak__jw_uint(w, go->nsystem);
	cleak__jw_key(w, "skipped");
	cleak__jw_uint(w, go->nskipped);
	cleak__jw_key(w, "nonblocking");
	cleak__jw_bool(w, go->nonblocking);
	cleak__jw_key(w, "error");
	cleak__jw_string(w, go->error);
	cleak__jw_key(w, "layout");
	cleak__jw_string(w, layout_names[go->layout]);
	cleak__jw_key(w, "rules");
	if (go->rules_minor) {
		snprintf(rules, sizeof(rules), "go1.%d", go->rules_minor);
		cleak__jw_string(w, rules);
	} else {
		cleak__jw_null(w);
	}
	cleak__jw_object_end(w);
	cleak__jw_key(w, "goroutines");
	cleak__jw_array_begin(w);
	for (i = 0; i < go->ngoroutines; i++)
		write_goroutine(w, &go->goroutines[i]);
	cleak__jw_array_end(w);
}

/* ---- reading back ---- */

static int status_from_name(const char *s)
{
	uint32_t i;

	for (i = 0; s && i <= CLEAK__G_DEADEXTRA; i++)
		if (*cleak__gostatus_name(i) && strcmp(cleak__gostatus_name(i), s) == 0)
			return (int)i;
	return -1;
}

/* The channel at `address` in go->chans, added if new. */
static struct cleak_go_chan *intern_chan(struct cleak_snapshot *snap, json_object *jc,
					 size_t *cap)
{
	struct cleak_go *go = snap->go;
	const char *a = cleak__json_str(jc, "address");
	uint64_t addr = a ? strtoull(a, NULL, 16) : 0;
	struct cleak_go_chan *c;
	size_t i;

	for (i = 0; i < go->nchans; i++)
		if (go->chans[i].address == addr)
			return &go->chans[i];
	if (go->nchans == *cap)
		return NULL;	/* sized for every reference beforehand */
	c = &go->chans[go->nchans++];
	c->address = addr;
	c->elem_type = cleak__intern(cleak__snapshot_pool(snap), cleak__json_str(jc, "elem_type"));
	c->len = (uint64_t)cleak__json_int(jc, "len", 0);
	c->cap = (uint64_t)cleak__json_int(jc, "cap", 0);
	c->closed = cleak__json_bool(jc, "closed");
	c->senders = (unsigned)cleak__json_int(jc, "senders", 0);
	c->receivers = (unsigned)cleak__json_int(jc, "receivers", 0);
	c->selecting = (unsigned)cleak__json_int(jc, "selecting", 0);
	return c;
}

static size_t chan_refs(json_object *jg)
{
	json_object *v;
	size_t n = 0;

	if (json_object_object_get_ex(jg, "channel", &v) && json_object_is_type(v, json_type_object))
		n++;
	if (json_object_object_get_ex(jg, "select_channels", &v) &&
	    json_object_is_type(v, json_type_array))
		n += json_object_array_length(v);
	return n;
}

static int read_goroutine(struct cleak_snapshot *snap, json_object *jg, struct cleak_goroutine *g,
			  size_t index, size_t *chan_cap)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);
	json_object *v, *frames;
	const char *s;
	size_t i, n;
	int st;

	if (!json_object_is_type(jg, json_type_object))
		return cleak__fail(EINVAL, "goroutines[%zu] is not an object", index);
	g->goid = (uint64_t)cleak__json_int(jg, "goid", 0);
	st = status_from_name(cleak__json_str(jg, "status"));
	if (!g->goid || st < 0)
		return cleak__fail(EINVAL, "goroutines[%zu] has no valid \"goid\" and \"status\"",
				   index);
	g->status = (uint32_t)st;
	g->status_name = cleak__gostatus_name(g->status);
	g->wait_reason = cleak__intern(pool, cleak__json_str(jg, "wait_reason"));
	g->scan = (s = cleak__json_str(jg, "header")) && strstr(s, " (scan)");
	g->wait_ns = cleak__json_int(jg, "wait_ns", -1);
	g->locked = cleak__json_bool(jg, "locked_to_thread");
	g->tid = (pid_t)cleak__json_int(jg, "tid", 0);
	g->system = cleak__json_bool(jg, "system");
	g->leaked = cleak__json_bool(jg, "leaked");
	g->stack_unavailable = cleak__json_bool(jg, "stack_unavailable");
	s = cleak__json_str(jg, "start_pc");
	g->startpc = s ? strtoull(s, NULL, 16) : 0;
	if ((s = cleak__json_str(jg, "error")) && !(g->error = strdup(s)))
		return cleak__fail(ENOMEM, "out of memory");
	if (json_object_object_get_ex(jg, "created_by", &v) && json_object_is_type(v, json_type_object)) {
		g->created_by.function = cleak__intern(pool, cleak__json_str(v, "function"));
		g->created_by.file = cleak__intern(pool, cleak__json_str(v, "file"));
		g->created_by.line = (int)cleak__json_int(v, "line", 0);
		g->created_by.func_offset = (uint64_t)cleak__json_int(v, "offset", 0);
		s = cleak__json_str(v, "pc");
		g->created_by.pc = g->gopc = s ? strtoull(s, NULL, 16) : 0;
		g->parent_goid = (uint64_t)cleak__json_int(v, "goid", 0);
	}
	n = chan_refs(jg);
	if (n) {
		g->chans = calloc(n, sizeof(*g->chans));
		if (!g->chans)
			return cleak__fail(ENOMEM, "out of memory");
		if (json_object_object_get_ex(jg, "channel", &v) &&
		    json_object_is_type(v, json_type_object))
			g->chans[g->nchans++] = intern_chan(snap, v, chan_cap);
		if (json_object_object_get_ex(jg, "select_channels", &v) &&
		    json_object_is_type(v, json_type_array))
			for (i = 0; i < json_object_array_length(v); i++)
				g->chans[g->nchans++] = intern_chan(snap,
							json_object_array_get_idx(v, i), chan_cap);
	}
	if (!json_object_object_get_ex(jg, "frames", &frames) ||
	    !json_object_is_type(frames, json_type_array))
		return cleak__fail(EINVAL, "goroutines[%zu] has no \"frames\" array", index);
	n = json_object_array_length(frames);
	g->frames = calloc(n ? n : 1, sizeof(*g->frames));
	g->pcs = calloc(n ? n : 1, sizeof(*g->pcs));
	if (!g->frames || !g->pcs)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		int err = cleak__read_frame(snap, json_object_array_get_idx(frames, i),
					    &g->frames[i], "goroutines", index, i);

		if (err)
			return err;
		if (!(i > 0 && g->frames[i - 1].inlined))
			g->pcs[g->npcs++] = g->frames[i].pc;
	}
	g->nframes = n;
	if (!json_object_object_get_ex(jg, "native_frames", &frames) ||
	    !json_object_is_type(frames, json_type_array))
		return 0;
	n = json_object_array_length(frames);
	g->native_frames = calloc(n ? n : 1, sizeof(*g->native_frames));
	if (!g->native_frames)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		int err = cleak__read_frame(snap, json_object_array_get_idx(frames, i),
					    &g->native_frames[i], "goroutines", index, i);

		if (err)
			return err;
		g->nnative++;
	}
	return 0;
}

int cleak__read_go(struct cleak_snapshot *snap, json_object *root)
{
	json_object *jgo, *jgs;
	struct cleak_go *go;
	size_t i, n, refs = 0;
	const char *s;
	int err;

	if (!json_object_object_get_ex(root, "go", &jgo) || json_object_is_type(jgo, json_type_null))
		return 0;
	if (!json_object_is_type(jgo, json_type_object))
		return cleak__fail(EINVAL, "\"go\" is not an object");
	go = snap->go = calloc(1, sizeof(*go));
	if (!go)
		return cleak__fail(ENOMEM, "out of memory");
	if (((s = cleak__json_str(jgo, "version")) && !(go->version = strdup(s))) ||
	    ((s = cleak__json_str(jgo, "module")) && !(go->module = strdup(s))) ||
	    ((s = cleak__json_str(jgo, "error")) && !(go->error = strdup(s))))
		return cleak__fail(ENOMEM, "out of memory");
	go->nskipped = (size_t)cleak__json_int(jgo, "skipped", 0);
	s = cleak__json_str(jgo, "layout");
	for (i = 0; s && i < CLEAK__ARRAY_SIZE(layout_names); i++)
		if (strcmp(s, layout_names[i]) == 0)
			go->layout = (enum cleak_go_layout)i;
	if ((s = cleak__json_str(jgo, "rules")))
		sscanf(s, "go1.%d", &go->rules_minor);
	go->nonblocking = cleak__json_bool(jgo, "nonblocking");
	if (!json_object_object_get_ex(root, "goroutines", &jgs) ||
	    !json_object_is_type(jgs, json_type_array))
		return cleak__fail(EINVAL, "\"goroutines\" is not an array");
	n = json_object_array_length(jgs);
	for (i = 0; i < n; i++)
		refs += chan_refs(json_object_array_get_idx(jgs, i));
	go->goroutines = calloc(n ? n : 1, sizeof(*go->goroutines));
	go->chans = calloc(refs ? refs : 1, sizeof(*go->chans));
	if (!go->goroutines || !go->chans)
		return cleak__fail(ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		go->ngoroutines++;
		err = read_goroutine(snap, json_object_array_get_idx(jgs, i),
				     &go->goroutines[i], i, &refs);
		if (err)
			return err;
		go->nsystem += go->goroutines[i].system;
	}
	return 0;
}
