/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer: output grows with the data, not with a tree in
 * memory (a snapshot may hold hundreds of thousands of frames).
 */
#ifndef CLEAK_JSON_WRITER_H
#define CLEAK_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct cleak__jw {
	FILE *f;
	bool pretty;
	int depth;
	bool need_comma;
	bool after_key;
};

void cleak__jw_init(struct cleak__jw *w, FILE *f, bool pretty);
void cleak__jw_object_begin(struct cleak__jw *w);
void cleak__jw_object_end(struct cleak__jw *w);
void cleak__jw_array_begin(struct cleak__jw *w);
void cleak__jw_array_end(struct cleak__jw *w);
void cleak__jw_key(struct cleak__jw *w, const char *key);
void cleak__jw_string(struct cleak__jw *w, const char *s);	/* NULL: null */
void cleak__jw_int(struct cleak__jw *w, int64_t v);
void cleak__jw_uint(struct cleak__jw *w, uint64_t v);
void cleak__jw_double(struct cleak__jw *w, double v);
void cleak__jw_bool(struct cleak__jw *w, bool v);
void cleak__jw_null(struct cleak__jw *w);
void cleak__jw_hex(struct cleak__jw *w, uint64_t v);	/* "0x..." string */

#endif
