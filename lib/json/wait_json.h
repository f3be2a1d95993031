/* SPDX-License-Identifier: MIT */
/* The JSON form of a snapshot's parts: waits and deadlocks (wait_json.c),
 * goroutines (go_json.c), frames and the readers of members they share
 * (fields_json.c), put together by snapshot_json.c. */
#ifndef CLEAK_WAIT_JSON_H
#define CLEAK_WAIT_JSON_H

#include "cleak.h"
#include "json/json_writer.h"

#include <json-c/json.h>

void cleak__write_wait(struct cleak__jw *w, const struct cleak_snapshot *snap,
		       const struct cleak_thread *t);
void cleak__write_deadlocks(struct cleak__jw *w, const struct cleak_snapshot *snap);
/* `jw` NULL (no "wait" key) leaves an unknown wait. */
int cleak__read_wait(struct cleak_snapshot *snap, json_object *jw, struct cleak_thread *t,
		     size_t index);
int cleak__read_deadlocks(struct cleak_snapshot *snap, json_object *jd);

/* fields_json.c: one frame, of a thread or a goroutine; `what`, `index`
 * and `i` place it in error messages. */
void cleak__write_frame(struct cleak__jw *w, const struct cleak_frame *f);
int cleak__read_frame(struct cleak_snapshot *snap, json_object *jf, struct cleak_frame *f,
		      const char *what, size_t index, size_t i);

/* The members of one thread's or goroutine's object (no braces), for
 * documents that add their own keys (diff_json.c). */
void cleak__write_thread_fields(struct cleak__jw *w, const struct cleak_snapshot *snap,
				const struct cleak_thread *t);
void cleak__write_goroutine_fields(struct cleak__jw *w, const struct cleak_goroutine *g);
void cleak__write_chan(struct cleak__jw *w, const struct cleak_go_chan *c);

/* go_json.c: "go" and "goroutines" */
void cleak__write_go(struct cleak__jw *w, const struct cleak_snapshot *snap);
int cleak__read_go(struct cleak_snapshot *snap, json_object *root);

/* fields_json.c: members of a JSON object; missing or null gives the default. */
const char *cleak__json_str(json_object *o, const char *key);
int64_t cleak__json_int(json_object *o, const char *key, int64_t dflt);
bool cleak__json_bool(json_object *o, const char *key);
/* A "0x..." string member; 0 when missing. */
uint64_t cleak__json_hex(json_object *o, const char *key);

#endif
