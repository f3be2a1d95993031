/* SPDX-License-Identifier: MIT */
/* wait_json.c: the JSON form of waits and deadlocks (used by snapshot.c). */
#ifndef CLEAK_WAIT_JSON_H
#define CLEAK_WAIT_JSON_H

#include "cleak.h"
#include "json_writer.h"

#include <json-c/json.h>

void cleak__write_wait(struct cleak__jw *w, const struct cleak_snapshot *snap,
		       const struct cleak_thread *t);
void cleak__write_deadlocks(struct cleak__jw *w, const struct cleak_snapshot *snap);
/* `jw` NULL (no "wait" key) leaves an unknown wait. */
int cleak__read_wait(struct cleak_snapshot *snap, json_object *jw, struct cleak_thread *t,
		     size_t index);
int cleak__read_deadlocks(struct cleak_snapshot *snap, json_object *jd);

#endif
