/* SPDX-License-Identifier: MIT */
/* A minimal unit-test harness: one "ok NAME" / "FAIL NAME: why" line per case. */
#ifndef CLEAK_UNIT_H
#define CLEAK_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;
static const char *unit_case;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			printf("FAIL %s: %s:%d: %s\n", unit_case, __FILE__, __LINE__, \
			       #cond);                                           \
			unit_failed = 1;                                         \
			return;                                                  \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b) CHECK((a) && (b) && strcmp((a), (b)) == 0)

#define RUN(fn)                                                                  \
	do {                                                                     \
		int before = unit_failed;                                        \
		unit_failed = 0;                                                 \
		unit_case = #fn;                                                 \
		fn();                                                            \
		if (!unit_failed)                                                \
			printf("ok %s\n", #fn);                                  \
		unit_failed |= before;                                           \
	} while (0)

#endif
