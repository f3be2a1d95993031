// SPDX-License-Identifier: MIT
/*
 * The channels parked goroutines wait on, read from outside: g.waiting is
 * a goroutine's first sudog and sudog.c its channel, a select links one
 * sudog per case through waitlink (chan.go, select.go), and each distinct
 * runtime.hchan is read once.  Element types are named after the process
 * runs again (cleak__go_capture_finish).
 */
#include "go/gocapture.h"
#include "go/gowait.h"
#include "target/target.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SELECT_CASES 64

static enum cleak__gowait_kind wait_kind(const struct cleak_goroutine *gr)
{
	return cleak__gowait_kind(gr->wait_reason);
}

static bool on_channel(const struct cleak_goroutine *gr)
{
	return gr->status == CLEAK__G_WAITING && cleak__gowait_on_channel(gr->wait_reason);
}

static int add_gchan(struct cleak__gchans *gc, size_t g, uint64_t c)
{
	if (gc->n == gc->cap) {
		size_t cap = gc->cap ? gc->cap * 2 : 256;
		struct cleak__gchan *v = realloc(gc->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		gc->v = v;
		gc->cap = cap;
	}
	gc->v[gc->n++] = (struct cleak__gchan){ g, c };
	gc->per_g[g]++;
	return 0;
}

/* The channels of the goroutines with need[i] (all when need is NULL). */
int cleak__go_read_sudogs(struct cleak__go_read *r, size_t n, const bool *need, struct cleak__gchans *gc)
{
	struct cleak_go *go = r->snap->go;
	const struct cleak__golayout *L = r->L;
	size_t i, round;
	uint64_t *next = calloc(n + 1, sizeof(*next));
	uint8_t *buf = NULL;
	struct cleak__piece *p = calloc(n + 1, sizeof(*p));
	size_t *who = calloc(n + 1, sizeof(*who)), waiting = 0;
	int err = -ENOMEM;

	gc->per_g = calloc(n + 1, sizeof(*gc->per_g));
	if (!next || !p || !who || !gc->per_g)
		goto out;
	for (i = 0; i < n; i++)
		if ((!need || need[i]) && on_channel(&go->goroutines[i]) &&
		    (next[i] = r->gs[i].waiting))
			waiting++;
	buf = malloc((waiting + 1) * L->sudog_size);
	if (!buf)
		goto out;
	err = 0;
	for (round = 0; round < MAX_SELECT_CASES && !err; round++) {
		size_t np = 0;

		for (i = 0; i < n; i++) {
			if (!next[i])
				continue;
			p[np].addr = next[i];
			p[np].buf = buf + np * L->sudog_size;
			p[np].len = L->sudog_size;
			who[np++] = i;
		}
		if (!np)
			break;
		cleak__read_pieces(r->snap->pid, p, np);
		for (i = 0; i < np && !err; i++) {
			size_t g = who[i];
			const uint8_t *s = buf + i * L->sudog_size;

			next[g] = 0;
			if (!p[i].ok)
				continue;
			/* every sudog names the goroutine it belongs to, and
			 * its channel (a select's every case too) */
			if (cleak__u64_at(s, CLEAK__SUDOG_G) != r->gs[g].addr || !cleak__u64_at(s, L->sudog_c))
				r->bad_sudog[g] = true;
			if (cleak__u64_at(s, L->sudog_c))
				err = add_gchan(gc, g, cleak__u64_at(s, L->sudog_c));
			/* a send or receive has one sudog; only a select links more */
			if (wait_kind(&go->goroutines[g]) == CLEAK__GOWAIT_SELECT)
				next[g] = cleak__u64_at(s, L->sudog_waitlink);
		}
	}
out:
	free(next);
	free(buf);
	free(p);
	free(who);
	return err;
}

/* Read each distinct channel once (runtime.hchan, chan.go) and point
 * the goroutines at them. */
int cleak__go_read_channels(struct cleak__go_read *r, const struct cleak__gchans *gc, const bool *moved)
{
	struct cleak_go *go = r->snap->go;
	const struct cleak__golayout *L = r->L;
	size_t i, j, n = 0, hlen = CLEAK__MAX(L->hchan_elemtype + 8, CLEAK__HCHAN_CLOSED + 4);
	uint64_t *addrs;
	uint8_t *raw;
	struct cleak__piece *p;

	if (!gc->n)
		return 0;
	addrs = malloc(gc->n * sizeof(*addrs));
	if (!addrs)
		return -ENOMEM;
	for (i = 0; i < gc->n; i++)
		if (!moved[gc->v[i].g])
			addrs[n++] = gc->v[i].c;
	qsort(addrs, n, sizeof(*addrs), cleak__cmp_u64);
	for (i = j = 0; i < n; i++)
		if (!j || addrs[j - 1] != addrs[i])
			addrs[j++] = addrs[i];
	n = j;
	go->chans = calloc(n + 1, sizeof(*go->chans));
	r->gc->chan_types = calloc(n + 1, sizeof(*r->gc->chan_types));
	r->gc->chan_elemsizes = calloc(n + 1, sizeof(*r->gc->chan_elemsizes));
	raw = malloc((n + 1) * hlen);
	p = calloc(n + 1, sizeof(*p));
	if (!go->chans || !r->gc->chan_types || !r->gc->chan_elemsizes || !raw || !p) {
		free(addrs);
		free(raw);
		free(p);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		p[i].addr = addrs[i];
		p[i].buf = raw + i * hlen;
		p[i].len = hlen;
	}
	cleak__read_pieces(r->snap->pid, p, n);
	for (i = 0; i < n; i++) {
		struct cleak_go_chan *c = &go->chans[i];
		const uint8_t *h = raw + i * hlen;
		uint32_t closed;

		c->address = addrs[i];
		if (!p[i].ok)
			continue;
		c->len = cleak__u64_at(h, CLEAK__HCHAN_QCOUNT);
		c->cap = cleak__u64_at(h, CLEAK__HCHAN_DATAQSIZ);
		memcpy(&closed, h + CLEAK__HCHAN_CLOSED, sizeof(closed));
		memcpy(&r->gc->chan_elemsizes[i], h + CLEAK__HCHAN_ELEMSIZE, 2);
		c->closed = closed != 0;
		/* the type, named once the target runs again */
		r->gc->chan_types[i] = cleak__u64_at(h, L->hchan_elemtype);
		/* every channel has an element type, chan struct{} too */
		r->bad_chans += !r->gc->chan_types[i];
	}
	go->nchans = n;
	for (i = 0; i < gc->n; i++) {
		struct cleak_goroutine *gr = &go->goroutines[gc->v[i].g];
		struct cleak_go_chan *c;

		if (moved[gc->v[i].g])
			continue;
		if (!gr->chans && !(gr->chans = calloc(gc->per_g[gc->v[i].g], sizeof(*gr->chans))))
			continue;
		c = bsearch(&gc->v[i].c, go->chans, n, sizeof(*go->chans), cleak__cmp_u64);
		if (!c)
			continue;
		gr->chans[gr->nchans++] = c;
		if (wait_kind(gr) == CLEAK__GOWAIT_CHAN_SEND)
			c->senders++;
		else if (wait_kind(gr) == CLEAK__GOWAIT_CHAN_RECEIVE)
			c->receivers++;
		else
			c->selecting++;
	}
	free(addrs);
	free(raw);
	free(p);
	return 0;
}

/* The channels of the goroutines whose prefetched copy was kept: their
 * sudogs are theirs until they wake. */
int cleak__go_reuse_channels(const struct cleak__goprefetch *pre, const size_t *now_at,
			  struct cleak__gchans *gc)
{
	const struct cleak__gchans *old = pre->gc;
	size_t k;
	int err = 0;

	for (k = 0; old && k < old->n && !err; k++)
		if (now_at[old->v[k].g] != SIZE_MAX)
			err = add_gchan(gc, now_at[old->v[k].g], old->v[k].c);
	return err;
}

/*
 * A type's name: abi.Type.Str, a nameOff at +40, into the module's types
 * section, where a name is a flags byte, a varint length and the bytes.
 * abi.Type.TFlag at +20 with TFlagExtraStar (2) says the stored name has
 * a '*' that is not the type's (internal/abi/type.go).  *ok is false when
 * the type is not one: unreadable, or of another size than the channel's
 * elements (hchan.elemsize), which a wrong layout gives.
 */
static char *type_name(struct cleak_snapshot *snap, const struct cleak__gobin *gb, uint64_t type,
		       uint16_t elemsize, bool *ok)
{
	uint8_t t[48], hdr[4 + 128];
	int32_t off;
	uint64_t len = 0, size;
	size_t n, shift = 0, i;
	char name[sizeof(hdr)];

	*ok = false;
	if (!type || cleak__read_target(snap->pid, type, t, sizeof(t)) != sizeof(t))
		return NULL;
	memcpy(&size, t, sizeof(size));
	*ok = size == elemsize;
	/* reflect builds types on the heap (ChanOf, StructOf): their names
	 * are not in the module's types, and are not read */
	if (type < gb->types || type >= gb->etypes)
		return NULL;
	memcpy(&off, t + 40, sizeof(off));
	if (off < 0 || gb->types + (uint64_t)off >= gb->etypes)
		return NULL;
	n = cleak__read_target(snap->pid, gb->types + off, hdr, sizeof(hdr));
	for (i = 1; i < n && i < 4; i++) {
		len |= (uint64_t)(hdr[i] & 0x7f) << shift;
		shift += 7;
		if (!(hdr[i] & 0x80))
			break;
	}
	i++;
	if (n < 2 || i + len > n)
		return NULL;
	memcpy(name, hdr + i, len);
	name[len] = '\0';
	if ((t[20] & 2) && name[0] == '*')
		memmove(name, name + 1, len);
	return cleak__intern(cleak__snapshot_pool(snap), name);
}

void cleak__go_capture_finish(struct cleak_snapshot *snap, struct cleak__gobin *gb)
{
	struct cleak__gocap *gc = cleak__snapshot_attached(snap, CLEAK__ATTACH_GOCAP);
	struct cleak_go *go = snap->go;
	bool ok, all_ok = true;
	size_t i;

	if (!gc)
		return;
	for (i = 0; go && gc->chan_types && i < go->nchans; i++) {
		go->chans[i].elem_type = type_name(snap, gb, gc->chan_types[i],
						   gc->chan_elemsizes[i], &ok);
		/* a channel whose hchan could not be read has no type to check */
		all_ok &= ok || !gc->chan_types[i];
	}
	/* a frozen capture's checks, now that the process runs again */
	if (go && gc->pending.gs && !go->error && cleak__go_check_pending(snap, gb, &gc->pending, NULL))
		go->error = strdup(cleak_errmsg());
	free(gc->pending.gs);
	free(gc->pending.bad_sudog);
	gc->pending.gs = NULL;
	gc->pending.bad_sudog = NULL;
	if (!all_ok && gb->layout_source != CLEAK_GO_LAYOUT_BUILTIN && go && !go->error) {
		cleak__go_check_refusal(gb, "a channel's element type is not a type of its "
					"elements' size");
		go->error = strdup(cleak_errmsg());
		cleak__go_drop_goroutines(go);
	}
	/* Runtime goroutines are known from their start function, without
	 * unwinding: counts (cleak watch) need no more than this. */
	for (i = 0; go && i < go->ngoroutines; i++) {
		struct cleak_goroutine *gr = &go->goroutines[i];

		gr->system = cleak__go_system(gb, gr->startpc, gr->wait_reason);
		go->nsystem += gr->system;
	}
	free(gc->chan_types);
	free(gc->chan_elemsizes);
	gc->chan_types = NULL;
	gc->chan_elemsizes = NULL;
}
