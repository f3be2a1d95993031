/* SPDX-License-Identifier: MIT */
/*
 * analyze.h - what the analysis files share (lib/analyze/).
 * Internal; not part of the public API.
 */
#ifndef CLEAK_ANALYZE_H
#define CLEAK_ANALYZE_H

#include "internal.h"

/* ignore.c: whether a rule of `ig` (NULL: none) matches. */
bool cleak__ignore_goroutine(const struct cleak_ignore *ig, const struct cleak_goroutine *g);
bool cleak__ignore_thread(const struct cleak_ignore *ig, const struct cleak_thread *t);

/* suspects.c: judge every group of a built diff, then sort them
 * (suspects first, by rank) and renumber diff->stuck[].group. */
int cleak__diff_rank(struct cleak_diff *d, const struct cleak_diff_opts *opts);
/* Neither running nor runnable: waiting on something. */
bool cleak__goroutine_blocked(const struct cleak_goroutine *g);
bool cleak__thread_blocked(const struct cleak_thread *t);

#endif
