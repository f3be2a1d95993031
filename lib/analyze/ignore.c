// SPDX-License-Identifier: MIT
/*
 * Ignore rules for diffs and checks, as goleak's IgnoreTopFunction,
 * IgnoreAnyFunction and IgnoreCreatedBy: a function name compared exactly,
 * or as a prefix when it ends in '*'.
 */
#include "analyze/analyze.h"
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ignore_rule {
	enum cleak_ignore_kind kind;
	char *func;
	size_t len;		/* compared bytes; the '*' of a prefix is not */
	bool prefix;
};

struct cleak_ignore {
	struct ignore_rule *rules;
	size_t nrules;
};

struct cleak_ignore *cleak_ignore_new(void)
{
	return calloc(1, sizeof(struct cleak_ignore));
}

void cleak_ignore_free(struct cleak_ignore *ig)
{
	size_t i;

	if (!ig)
		return;
	for (i = 0; i < ig->nrules; i++)
		free(ig->rules[i].func);
	free(ig->rules);
	free(ig);
}

int cleak_ignore_add(struct cleak_ignore *ig, enum cleak_ignore_kind kind, const char *func)
{
	struct ignore_rule *r;
	size_t len = strlen(func);

	if (!len || (len == 1 && func[0] == '*'))
		return cleak__fail(EINVAL, "an ignore rule needs a function name, "
				   "such as main.worker or net/http.*");
	r = realloc(ig->rules, (ig->nrules + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	ig->rules = r;
	r = &ig->rules[ig->nrules];
	r->kind = kind;
	r->func = strdup(func);
	if (!r->func)
		return -ENOMEM;
	r->prefix = func[len - 1] == '*';
	r->len = r->prefix ? len - 1 : len;
	ig->nrules++;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int cleak_ignore_read_file(struct cleak_ignore *ig, const char *path)
{
	static const struct { const char *word; enum cleak_ignore_kind kind; } words[] = {
		{ "top", CLEAK_IGNORE_TOP },
		{ "created-by", CLEAK_IGNORE_CREATED_BY },
		{ "any", CLEAK_IGNORE_ANY },
	};
	char line[4096], *s, *arg;
	unsigned lineno = 0;
	size_t i;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return cleak__fail(errno, "cannot read the ignore file %s: %s", path,
				   strerror(errno));
	while (!err && fgets(line, sizeof(line), f)) {
		lineno++;
		if ((s = strchr(line, '#')))
			*s = '\0';
		s = trim(line);
		if (!*s)
			continue;
		arg = s + strcspn(s, " \t");
		if (*arg)
			*arg++ = '\0';
		arg = trim(arg);
		for (i = 0; i < CLEAK__ARRAY_SIZE(words); i++)
			if (strcmp(s, words[i].word) == 0)
				break;
		if (i == CLEAK__ARRAY_SIZE(words) || !*arg || strpbrk(arg, " \t"))
			err = cleak__fail(EINVAL, "%s:%u: a rule is 'top FUNC', 'created-by "
					  "FUNC' or 'any FUNC', not '%s%s%s'", path, lineno, s,
					  *arg ? " " : "", arg);
		else
			err = cleak_ignore_add(ig, words[i].kind, arg);
	}
	if (!err && ferror(f))
		err = cleak__fail(EIO, "cannot read the ignore file %s", path);
	fclose(f);
	return err;
}

static bool func_matches(const struct ignore_rule *r, const char *func)
{
	if (!func)
		return false;
	return r->prefix ? strncmp(func, r->func, r->len) == 0 : strcmp(func, r->func) == 0;
}

static bool frames_match(const struct ignore_rule *r, const struct cleak_frame *frames,
			 size_t n)
{
	size_t i;

	if (r->kind == CLEAK_IGNORE_TOP)
		return n && func_matches(r, frames[0].function);
	for (i = 0; i < n; i++)
		if (func_matches(r, frames[i].function))
			return true;
	return false;
}

bool cleak__ignore_goroutine(const struct cleak_ignore *ig, const struct cleak_goroutine *g)
{
	size_t i;

	for (i = 0; ig && i < ig->nrules; i++) {
		const struct ignore_rule *r = &ig->rules[i];

		if (r->kind == CLEAK_IGNORE_CREATED_BY ? func_matches(r, g->created_by.function)
		    : frames_match(r, g->frames, g->nframes))
			return true;
	}
	return false;
}

bool cleak__ignore_thread(const struct cleak_ignore *ig, const struct cleak_thread *t)
{
	size_t i;

	for (i = 0; ig && i < ig->nrules; i++)
		if (ig->rules[i].kind != CLEAK_IGNORE_CREATED_BY &&
		    frames_match(&ig->rules[i], t->frames, t->nframes))
			return true;
	return false;
}
