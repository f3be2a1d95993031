// SPDX-License-Identifier: MIT
/*
 * Reading the target's memory, without a stop: process_vm_readv(2), one
 * range or many at once.  The only code that reads the process's memory.
 */
#include "target/target.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

size_t cleak__read_target(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n > 0 ? (size_t)n : 0;
}

/*
 * Copy many pieces in few calls.  process_vm_readv(2) stops at the first
 * piece it cannot read and returns what it copied so far (never a split
 * piece): mark that one failed and go on after it.
 */
void cleak__read_iov(pid_t pid, struct cleak__piece *p, size_t n)
{
	struct iovec local[IOV_MAX], remote[IOV_MAX];
	size_t done = 0;

	while (done < n) {
		size_t k, cnt = n - done < IOV_MAX ? n - done : IOV_MAX;
		ssize_t got;

		for (k = 0; k < cnt; k++) {
			local[k].iov_base = p[done + k].buf;
			local[k].iov_len = p[done + k].len;
			remote[k].iov_base = (void *)(uintptr_t)p[done + k].addr;
			remote[k].iov_len = p[done + k].len;
			p[done + k].ok = false;
		}
		got = process_vm_readv(pid, local, cnt, remote, cnt, 0);
		if (got < 0)
			got = 0;
		for (k = 0; k < cnt && (size_t)got >= p[done + k].len; k++) {
			got -= p[done + k].len;
			p[done + k].ok = true;
		}
		/* piece k failed (or the call did): skip it */
		done += k < cnt ? k + 1 : cnt;
	}
}

static int cmp_piece_addr(const void *a, const void *b)
{
	const struct cleak__piece *x = *(const struct cleak__piece *const *)a, *y = *(const struct cleak__piece *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}


/*
 * Each piece of a remote read costs the kernel a page walk and a pin
 * (about a microsecond), whatever its size; 100,000 goroutines mean
 * 100,000 pieces per kind.  The runtime allocates gs and sudogs next to
 * each other, so sorting the pieces by address and reading neighbours
 * as one run cuts the count by orders of magnitude.
 */
void cleak__read_pieces(pid_t pid, struct cleak__piece *p, size_t n)
{
	struct cleak__piece **order = malloc((n + 1) * sizeof(*order));
	struct cleak__piece *runs = malloc((n + 1) * sizeof(*runs));
	size_t *first = malloc((n + 1) * sizeof(*first));
	size_t i, j, k, nruns = 0, total = 0, off = 0;
	uint8_t *buf;

	if (!order || !runs || !first)
		goto fallback;
	for (i = 0; i < n; i++)
		order[i] = &p[i];
	qsort(order, n, sizeof(*order), cmp_piece_addr);
	for (i = 0; i < n; i = j) {
		uint64_t start = order[i]->addr, end = start + order[i]->len;

		for (j = i + 1; j < n && order[j]->addr >= start &&
		     order[j]->addr <= end + CLEAK__MERGE_GAP &&
		     order[j]->addr + order[j]->len - start <= CLEAK__MERGE_MAX; j++)
			if (order[j]->addr + order[j]->len > end)
				end = order[j]->addr + order[j]->len;
		runs[nruns].addr = start;
		runs[nruns].len = end - start;
		/* a run of one piece is read in place, not copied twice */
		runs[nruns].buf = j == i + 1 ? order[i]->buf : NULL;
		first[nruns++] = i;
		if (j != i + 1)
			total += end - start;
	}
	first[nruns] = n;
	buf = malloc(total ? total : 1);
	if (!buf)
		goto fallback;
	for (i = 0; i < nruns; i++) {
		if (runs[i].buf)
			continue;
		runs[i].buf = buf + off;
		off += runs[i].len;
	}
	cleak__read_iov(pid, runs, nruns);
	for (i = 0; i < nruns; i++) {
		bool alone = first[i + 1] == first[i] + 1;

		for (k = first[i]; k < first[i + 1]; k++) {
			struct cleak__piece *q = order[k];

			q->ok = runs[i].ok;
			if (q->ok && !alone)
				memcpy(q->buf, (uint8_t *)runs[i].buf + (q->addr - runs[i].addr), q->len);
		}
		/* a run may fail for one bad piece in it: read its pieces alone */
		for (k = first[i]; !runs[i].ok && !alone && k < first[i + 1]; k++)
			cleak__read_iov(pid, order[k], 1);
	}
	free(buf);
	free(order);
	free(runs);
	free(first);
	return;
fallback:
	free(order);
	free(runs);
	free(first);
	cleak__read_iov(pid, p, n);
}
