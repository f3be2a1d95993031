// SPDX-License-Identifier: MIT
/*
 * Interned strings owned by a snapshot.  Thousands of threads share a few
 * dozen function, file and module names; frames point into this pool and
 * the snapshot frees it whole.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 65536

struct block {
	struct block *next;
	size_t used, cap;
	char data[];
};

struct cleak__strpool {
	struct block *blocks;
	const char **slots;	/* open addressing; power-of-two size */
	size_t nslots, count;
};

struct cleak__strpool *cleak__strpool_new(void)
{
	struct cleak__strpool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return NULL;
	pool->nslots = 1024;
	pool->slots = calloc(pool->nslots, sizeof(*pool->slots));
	if (!pool->slots) {
		free(pool);
		return NULL;
	}
	return pool;
}

void cleak__strpool_free(struct cleak__strpool *pool)
{
	struct block *b, *next;

	if (!pool)
		return;
	for (b = pool->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(pool->slots);
	free(pool);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static char *pool_alloc(struct cleak__strpool *pool, size_t len)
{
	struct block *b = pool->blocks;
	char *p;

	if (!b || b->cap - b->used < len) {
		size_t cap = len > BLOCK_SIZE ? len : BLOCK_SIZE;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = pool->blocks;
		pool->blocks = b;
	}
	p = b->data + b->used;
	b->used += len;
	return p;
}

static int grow(struct cleak__strpool *pool)
{
	size_t n = pool->nslots * 2, i, j;
	const char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < pool->nslots; i++) {
		if (!pool->slots[i])
			continue;
		for (j = hash_str(pool->slots[i]) & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = pool->slots[i];
	}
	free(pool->slots);
	pool->slots = slots;
	pool->nslots = n;
	return 0;
}

/* The pool's copy of `s` (NULL for NULL or on ENOMEM). */
char *cleak__intern(struct cleak__strpool *pool, const char *s)
{
	size_t i, len;
	char *copy;

	if (!s)
		return NULL;
	if (pool->count * 2 >= pool->nslots && grow(pool))
		return NULL;
	for (i = hash_str(s) & (pool->nslots - 1); pool->slots[i];
	     i = (i + 1) & (pool->nslots - 1))
		if (strcmp(pool->slots[i], s) == 0)
			return (char *)pool->slots[i];
	len = strlen(s) + 1;
	copy = pool_alloc(pool, len);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	pool->slots[i] = copy;
	pool->count++;
	return copy;
}
