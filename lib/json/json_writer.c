// SPDX-License-Identifier: MIT
#include "json/json_writer.h"

#include <inttypes.h>

void cleak__jw_init(struct cleak__jw *w, FILE *f, bool pretty)
{
	w->f = f;
	w->pretty = pretty;
	w->depth = 0;
	w->need_comma = false;
	w->after_key = false;
}

static void newline(struct cleak__jw *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator before a value or key. */
static void before_value(struct cleak__jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma)
		fputc(',', w->f);
	if (w->depth)
		newline(w);
}

static void open_(struct cleak__jw *w, char c)
{
	before_value(w);
	fputc(c, w->f);
	w->depth++;
	w->need_comma = false;
}

static void close_(struct cleak__jw *w, char c)
{
	w->depth--;
	if (w->need_comma)
		newline(w);
	fputc(c, w->f);
	w->need_comma = true;
	if (w->depth == 0)
		fputc('\n', w->f);
}

void cleak__jw_object_begin(struct cleak__jw *w) { open_(w, '{'); }
void cleak__jw_object_end(struct cleak__jw *w) { close_(w, '}'); }
void cleak__jw_array_begin(struct cleak__jw *w) { open_(w, '['); }
void cleak__jw_array_end(struct cleak__jw *w) { close_(w, ']'); }

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void cleak__jw_key(struct cleak__jw *w, const char *key)
{
	before_value(w);
	put_string(w->f, key);
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_key = true;
	w->need_comma = true;
}

void cleak__jw_string(struct cleak__jw *w, const char *s)
{
	before_value(w);
	if (s)
		put_string(w->f, s);
	else
		fputs("null", w->f);
	w->need_comma = true;
}

void cleak__jw_int(struct cleak__jw *w, int64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRId64, v);
	w->need_comma = true;
}

void cleak__jw_uint(struct cleak__jw *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "%" PRIu64, v);
	w->need_comma = true;
}

/* Rates and durations: three decimals are plenty, and JSON has no NaN. */
void cleak__jw_double(struct cleak__jw *w, double v)
{
	before_value(w);
	if (v != v)
		fputs("null", w->f);
	else
		fprintf(w->f, "%.3f", v);
	w->need_comma = true;
}

void cleak__jw_bool(struct cleak__jw *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
	w->need_comma = true;
}

void cleak__jw_null(struct cleak__jw *w)
{
	before_value(w);
	fputs("null", w->f);
	w->need_comma = true;
}

void cleak__jw_hex(struct cleak__jw *w, uint64_t v)
{
	before_value(w);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
	w->need_comma = true;
}
