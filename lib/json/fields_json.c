// SPDX-License-Identifier: MIT
/*
 * What the JSON forms of a snapshot's records share: the readers of an
 * object's members (a missing or null member gives the default), and the
 * frame record, of a thread or a goroutine, written and read side by side.
 */
#include "json/wait_json.h"
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cleak__write_frame(struct cleak__jw *w, const struct cleak_frame *f)
{
	cleak__jw_object_begin(w);
	cleak__jw_key(w, "pc");
	cleak__jw_hex(w, f->pc);
	cleak__jw_key(w, "function");
	cleak__jw_string(w, f->function);
	cleak__jw_key(w, "module");
	cleak__jw_string(w, f->module);
	cleak__jw_key(w, "module_offset");
	cleak__jw_hex(w, f->module_offset);
	cleak__jw_key(w, "file");
	cleak__jw_string(w, f->file);
	cleak__jw_key(w, "line");
	if (f->line)
		cleak__jw_int(w, f->line);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "column");
	if (f->column)
		cleak__jw_int(w, f->column);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "inlined");
	cleak__jw_bool(w, f->inlined);
	cleak__jw_key(w, "offset");
	if (f->func_offset)
		cleak__jw_uint(w, f->func_offset);
	else
		cleak__jw_null(w);
	cleak__jw_key(w, "inferred");
	cleak__jw_bool(w, f->inferred);
	cleak__jw_object_end(w);
}

const char *cleak__json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int64_t cleak__json_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return dflt;
	return json_object_get_int64(v);
}

uint64_t cleak__json_hex(json_object *o, const char *key)
{
	const char *s = cleak__json_str(o, key);

	return s ? strtoull(s, NULL, 16) : 0;
}

bool cleak__json_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

int cleak__read_frame(struct cleak_snapshot *snap, json_object *jf, struct cleak_frame *f,
		      const char *what, size_t index, size_t i)
{
	struct cleak__strpool *pool = cleak__snapshot_pool(snap);

	if (!json_object_is_type(jf, json_type_object))
		return cleak__fail(EINVAL, "%s[%zu].frames[%zu] is not an object", what, index, i);
	if (!cleak__json_str(jf, "pc"))
		return cleak__fail(EINVAL, "%s[%zu].frames[%zu] has no \"pc\"", what, index, i);
	f->pc = cleak__json_hex(jf, "pc");
	f->function = cleak__intern(pool, cleak__json_str(jf, "function"));
	f->module = cleak__intern(pool, cleak__json_str(jf, "module"));
	f->module_offset = cleak__json_hex(jf, "module_offset");
	f->file = cleak__intern(pool, cleak__json_str(jf, "file"));
	f->line = (int)cleak__json_int(jf, "line", 0);
	f->column = (int)cleak__json_int(jf, "column", 0);
	f->inlined = cleak__json_bool(jf, "inlined");
	f->func_offset = (uint64_t)cleak__json_int(jf, "offset", 0);
	f->inferred = cleak__json_bool(jf, "inferred");
	return 0;
}

