// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "framebag.h"

#define BAG_FIRST_SIZE	1024

uint64_t wc_frame_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a offset basis */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;		/* FNV prime */
	}
	return h;
}

int wc_bag_init(struct wc_bag *b)
{
	b->size = BAG_FIRST_SIZE;
	b->used = 0;
	b->slot = calloc(b->size, sizeof(*b->slot));
	return b->slot ? 0 : -ENOMEM;
}

/* The slot holding these bytes, or the free slot where they would go. */
static struct wc_bag_entry *probe(const struct wc_bag *b, uint64_t h,
				  const uint8_t *p, uint32_t len)
{
	size_t mask = b->size - 1, i = h & mask;
	struct wc_bag_entry *e;

	for (;; i = (i + 1) & mask) {
		e = &b->slot[i];
		if (!e->bytes)
			return e;
		if (e->hash == h && e->len == len && !memcmp(e->bytes, p, len))
			return e;
	}
}

static int grow(struct wc_bag *b)
{
	struct wc_bag nb = { .size = b->size * 2, .used = b->used };
	size_t i, j, mask = nb.size - 1;

	nb.slot = calloc(nb.size, sizeof(*nb.slot));
	if (!nb.slot)
		return -ENOMEM;
	for (i = 0; i < b->size; i++) {
		if (!b->slot[i].bytes)
			continue;
		/* all entries differ: the first free slot is theirs */
		for (j = b->slot[i].hash & mask; nb.slot[j].bytes;
		     j = (j + 1) & mask)
			;
		nb.slot[j] = b->slot[i];
	}
	free(b->slot);
	*b = nb;
	return 0;
}

int wc_bag_add(struct wc_bag *b, const uint8_t *p, uint32_t len,
	       struct wc_bag_entry **out)
{
	uint64_t h = wc_frame_hash(p, len);
	struct wc_bag_entry *e;
	uint8_t *copy;

	e = probe(b, h, p, len);
	if (e->bytes) {
		*out = e;
		return 0;
	}
	/* keep the load under 3/4: probes stay short, a free slot exists */
	if ((b->used + 1) * 4 > b->size * 3) {
		if (grow(b))
			return -ENOMEM;
		e = probe(b, h, p, len);
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, p, len);
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->bytes = copy;
	e->len = len;
	b->used++;
	*out = e;
	return 0;
}

struct wc_bag_entry *wc_bag_find(const struct wc_bag *b, const uint8_t *p,
				 uint32_t len)
{
	struct wc_bag_entry *e = probe(b, wc_frame_hash(p, len), p, len);

	return e->bytes ? e : NULL;
}

void wc_bag_free(struct wc_bag *b)
{
	size_t i;

	for (i = 0; i < b->size && b->slot; i++)
		free(b->slot[i].bytes);
	free(b->slot);
	b->slot = NULL;
	b->size = b->used = 0;
}
