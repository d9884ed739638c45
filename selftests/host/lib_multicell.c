// SPDX-License-Identifier: BSD-2-Clause
/*
 * Host tests of frames across cells (uapi FRAMES ACROSS CELLS) in
 * libwirecap's reading path (lib/chunk.c, lib/capture.c, lib/xmit.c), on
 * the fake session of lib_fake.h with a geometry of its own: cells of 256
 * bytes (room 192 after the 64-byte frame offset), chunks of M = 8 cells
 * and a 1536-byte spill area, so chunk_bytes (3584) is not M * cell_size.
 * The test plays the kernel: it writes the cells' metadata (MORE, CONT,
 * ERROR) and publishes descriptors; wc_capture_move() moves them as the
 * capture thread does. This program's ioctl() takes XMIT.
 *
 *   index         wc_view_index() on its own: CONT cells at a view's start
 *                 (hash 0) and after a MORE cell are skipped, ERROR cells
 *                 are packets of len 0, a view of CONT cells only has none
 *   read          views read through wirecap_next_chunk: count is packets,
 *                 each packet's data at chunk * chunk_bytes + its first
 *                 cell, len the whole frame (bytes compared, the spill area
 *                 included), ts and hash its first cell's
 *   dispatch      wirecap_dispatch() calls back once per packet, and the
 *                 queue's pkts_delivered counts packets, not cells
 *   offload       a view offloaded to a buddy reads the same there; the
 *                 offload counters count packets
 *   stride        no frames across cells, chunks padded (chunk_bytes >
 *                 M * cell_size): cell addresses follow chunk_bytes; an
 *                 old kernel's chunk_bytes 0 means M * cell_size
 *   direct        without MULTI_CELL no index, a cell is a packet; with
 *                 it at an MTU that fits a cell, a longer frame the NIC
 *                 put in cells anyway (ERROR, CONT|ERROR) is one packet
 *   bogus         a frame that would run past its chunk's spill area fails
 *                 the queue (-EPROTO), nothing is handed out
 *   xmit          a frame across cells is refused (-EMSGSIZE, nothing
 *                 consumed); a one-cell packet after one is sent by its
 *                 cell, not its packet index
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tap.h"
#include "lib_fake.h"

#define M	FAKE_M
#define FOFF	FAKE_FOFF
#define CELL	256
#define SPILL	1536
#define CHUNK	(M * CELL + SPILL)

static const struct fake_geom geom = {
	.cell_size = CELL, .chunk_bytes = CHUNK, .spill_size = SPILL,
	.max_frame = 1518, .features = WIRECAP_F_MULTI_CELL,
};

/* --- the fake kernel's XMIT ------------------------------------------------ */

static struct wirecap_xmit_rec krec[16];
static unsigned int nkrec, nxmit;

int ioctl(int fd, unsigned long req, ...)
{
	const struct wirecap_xmit_cmd *xc;
	unsigned int i;
	va_list ap;

	va_start(ap, req);
	xc = va_arg(ap, const struct wirecap_xmit_cmd *);
	va_end(ap);
	if (req != WIRECAP_CMD_XMIT) {
		errno = ENOTTY;
		return -1;
	}
	nxmit++;
	for (i = 0; i < xc->count && nkrec < 16; i++)
		krec[nkrec++] = ((const struct wirecap_xmit_rec *)
				 (uintptr_t)xc->recs)[i];
	return xc->count;
}

/* --- the cells ------------------------------------------------------------- */

/* Cell c of chunk k of queue i: a frame of len starting there. */
static void frame(struct fake *f, unsigned int i, unsigned int k,
		  unsigned int c, uint16_t len, uint16_t flags)
{
	struct wirecap_cell_meta *m = &f->meta[i][k * M + c];
	uint8_t *data = f->pool[i] + (size_t)k * CHUNK + c * CELL + FOFF;
	unsigned int b;

	*m = (struct wirecap_cell_meta){
		.len = len, .flags = flags, .hash = 0x1000 + k * M + c,
		.ts_ns = 5000ull * (k * M + c),
	};
	/* every byte of the frame, across cells and into the spill area */
	for (b = 0; b < len; b++)
		data[b] = (uint8_t)(b * 7 + c + k);
}

/* Cell c of chunk k continues a frame that starts back cells before. */
static void cont(struct fake *f, unsigned int i, unsigned int k,
		 unsigned int c, uint32_t back)
{
	f->meta[i][k * M + c] = (struct wirecap_cell_meta){
		.flags = WIRECAP_CELL_CONT, .hash = back,
	};
}

/*
 * Chunk 3 of queue i, one view of all 8 cells:
 *   0, 1  CONT hash 0: the rest of chunk 2's last frame
 *   2     a frame of 100 bytes
 *   3-5   a frame of 600 bytes: MORE, CONT 1, CONT 2
 *   6     ERROR, len 0
 *   7     a frame of 1000 bytes: MORE, its last 808 bytes in the spill
 *         area (four cells' worth, cells 0-3 of chunk 4: CONT hash 0)
 * Chunk 4: view 0-3 (CONT hash 0 only), view 4-7:
 *   4     60 bytes; 5-6 a frame of 300 bytes (MORE, CONT 1); 7 70 bytes
 */
struct want {
	unsigned int chunk, cell;	/* the frame's first cell */
	uint16_t len;
};

static const struct want want3[] = {
	{ 3, 2, 100 }, { 3, 3, 600 }, { 3, 6, 0 }, { 3, 7, 1000 },
};
static const struct want want4b[] = {
	{ 4, 4, 60 }, { 4, 5, 300 }, { 4, 7, 70 },
};

static void cells(struct fake *f, unsigned int i)
{
	cont(f, i, 3, 0, 0);
	cont(f, i, 3, 1, 0);
	frame(f, i, 3, 2, 100, 0);
	frame(f, i, 3, 3, 600, WIRECAP_CELL_MORE | WIRECAP_CELL_HASH);
	cont(f, i, 3, 4, 1);
	cont(f, i, 3, 5, 2);
	frame(f, i, 3, 6, 0, WIRECAP_CELL_ERROR);
	frame(f, i, 3, 7, 1000, WIRECAP_CELL_MORE);
	cont(f, i, 4, 0, 0);
	cont(f, i, 4, 1, 0);
	cont(f, i, 4, 2, 0);
	cont(f, i, 4, 3, 0);
	frame(f, i, 4, 4, 60, 0);
	frame(f, i, 4, 5, 300, WIRECAP_CELL_MORE);
	cont(f, i, 4, 6, 1);
	frame(f, i, 4, 7, 70, 0);
}

static void setup(struct fake *f, unsigned int mode, unsigned int pct)
{
	fake_init_geom(f, 2, 1, mode, pct, 0, NULL, &geom);
	cells(f, 0);
}

/* Publish view (chunk, first, count) of queue i and move it. */
static int publish(struct fake *f, unsigned int i, uint32_t chunk,
		   uint16_t first, uint16_t count, uint32_t seq)
{
	struct wirecap_desc d = fake_desc(&f->q[i], chunk, first, count, seq);

	if (!fake_publish(f, &f->q[i], &d))
		return 0;
	wc_capture_move(&f->q[i]);
	return f->q[i].head == f->ctrl[i].desc_tail;
}

/* Is p packet w of queue i's pool, its bytes those frame() wrote? */
static int pkt_is(struct fake *f, unsigned int i, const struct wirecap_pkt *p,
		  const struct want *w)
{
	unsigned int cell = w->chunk * M + w->cell, b;
	const uint8_t *at = f->pool[i] + (size_t)w->chunk * CHUNK +
			    w->cell * CELL + FOFF;

	if (p->data != at || p->len != w->len ||
	    p->ts_ns != 5000ull * cell || p->hash != 0x1000 + cell ||
	    p->queue != f->q[i].info.ring_id) {
		tap_diag("chunk %u cell %u: data +%td (want +%td), len %u "
			 "(want %u), ts %llu, hash %#x", w->chunk, w->cell,
			 p->data - f->pool[i], at - f->pool[i], p->len,
			 w->len, (unsigned long long)p->ts_ns, p->hash);
		return 0;
	}
	if (p->data + p->len > f->pool[i] + (size_t)(w->chunk + 1) * CHUNK)
		return 0;
	for (b = 0; b < p->len; b++)
		if (p->data[b] != (uint8_t)(b * 7 + w->cell + w->chunk))
			return 0;
	return 1;
}

static int chunk_is(struct fake *f, unsigned int i, struct wirecap_chunk *c,
		    const struct want *w, unsigned int n)
{
	struct wirecap_pkt p;
	unsigned int k;

	CHECK(wirecap_chunk_count(c) == n);
	for (k = 0; k < n; k++) {
		CHECK(wirecap_chunk_pkt(c, k, &p) == 0);
		CHECK(pkt_is(f, i, &p, &w[k]));
	}
	CHECK(wirecap_chunk_pkt(c, n, &p) == -EINVAL);
	return 1;
}

/* --- tests ----------------------------------------------------------------- */

static int t_index(void)
{
	struct wirecap_desc d;
	struct fake f;
	size_t v;

	setup(&f, WIRECAP_MODE_BASIC, 0);
	CHECK(f.q[0].chunk_bytes == CHUNK && f.q[0].view_cell);
	d = fake_desc(&f.q[0], 3, 0, M, 1);
	CHECK(wc_view_index(&f.q[0], &d) == 4);
	v = 3 * M;
	CHECK(f.q[0].view_pkts[v] == 4);
	CHECK(f.q[0].view_cell[v] == 2 && f.q[0].view_cell[v + 1] == 3 &&
	      f.q[0].view_cell[v + 2] == 6 && f.q[0].view_cell[v + 3] == 7);
	/* a view that starts after a CONT run */
	d = fake_desc(&f.q[0], 3, 3, 5, 2);
	CHECK(wc_view_index(&f.q[0], &d) == 3);
	CHECK(f.q[0].view_pkts[v + 3] == 3 && f.q[0].view_cell[v + 3] == 0 &&
	      f.q[0].view_cell[v + 4] == 3 && f.q[0].view_cell[v + 5] == 4);
	/* only the rest of another chunk's frame */
	d = fake_desc(&f.q[0], 4, 0, 4, 3);
	CHECK(wc_view_index(&f.q[0], &d) == 0);
	CHECK(f.q[0].view_pkts[4 * M] == 0);
	fake_fini(&f);
	return 1;
}

static int t_read(void)
{
	struct wirecap_chunk c;
	struct fake f;

	setup(&f, WIRECAP_MODE_BASIC, 0);
	CHECK(publish(&f, 0, 3, 0, M, 1));
	CHECK(publish(&f, 0, 4, 0, 4, 2));
	CHECK(publish(&f, 0, 4, 4, 4, 3));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(c.desc.pkt_count == M);		/* the kernel's, untouched */
	CHECK(chunk_is(&f, 0, &c, want3, 4));
	wirecap_chunk_release(&c);
	CHECK(wirecap_chunk_count(&c) == 0);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(chunk_is(&f, 0, &c, NULL, 0));	/* CONT cells only */
	wirecap_chunk_release(&c);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(chunk_is(&f, 0, &c, want4b, 3));
	wirecap_chunk_release(&c);
	CHECK(f.q[0].as.delivered == 3 && f.q[0].as.pkts == 7);
	fake_fini(&f);
	return 1;
}

struct seen {
	struct fake *f;
	unsigned int n, bad;
};

static void on_pkt(void *user, const struct wirecap_pkt *p)
{
	static const struct want *all[] = {
		&want3[0], &want3[1], &want3[2], &want3[3],
		&want4b[0], &want4b[1], &want4b[2],
	};
	struct seen *s = user;

	if (s->n >= 7 || !pkt_is(s->f, 0, p, all[s->n]))
		s->bad++;
	s->n++;
}

static int t_dispatch(void)
{
	struct seen s = { 0 };
	struct fake f;

	setup(&f, WIRECAP_MODE_BASIC, 0);
	s.f = &f;
	CHECK(publish(&f, 0, 3, 0, M, 1));
	CHECK(publish(&f, 0, 4, 0, 4, 2));
	CHECK(publish(&f, 0, 4, 4, 4, 3));
	CHECK(wirecap_dispatch(&f.q[0], 5, on_pkt, &s, 0) == 5);
	CHECK(wirecap_dispatch(&f.q[0], -1, on_pkt, &s, 0) == 2);
	tap_diag("%u packets called back, %u wrong", s.n, s.bad);
	CHECK(s.n == 7 && !s.bad);
	CHECK(f.q[0].as.pkts == 7 && f.q[0].as.released == 3);
	fake_fini(&f);
	return 1;
}

static int t_offload(void)
{
	struct wirecap_chunk c;
	struct fake f;

	/* T = 1%: the second view leaves q0 for its buddy q1 */
	setup(&f, WIRECAP_MODE_ADVANCED, 1);
	CHECK(publish(&f, 0, 4, 0, 4, 1));
	CHECK(publish(&f, 0, 3, 0, M, 2));
	CHECK(f.q[0].ts.offl_out == 1 && f.q[0].ts.offl_out_pkts == 4);
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	CHECK(c.owner == &f.q[0] && c.queue == &f.q[1]);
	CHECK(chunk_is(&f, 0, &c, want3, 4));
	wirecap_chunk_release(&c);
	CHECK(f.q[1].as.offl_in == 1 && f.q[1].as.offl_in_pkts == 4 &&
	      f.q[1].as.pkts == 4);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(wirecap_chunk_count(&c) == 0);
	wirecap_chunk_release(&c);
	CHECK(f.q[0].as.pkts == 0);
	fake_fini(&f);
	return 1;
}

static int t_stride(void)
{
	/* padded chunks, no frames across cells */
	static const struct fake_geom padded = {
		.cell_size = 2048, .chunk_bytes = M * 2048 + 4096,
	};
	static const struct fake_geom old = { .cell_size = 2048 };
	static struct wirecap_queue lone;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	struct fake f;
	unsigned int i;

	fake_init_geom(&f, 2, 1, WIRECAP_MODE_BASIC, 0, 0, NULL, &padded);
	CHECK(!f.q[1].view_cell && f.q[1].chunk_bytes == M * 2048 + 4096);
	CHECK(publish(&f, 1, 5, 2, 6, 1));
	CHECK(wirecap_next_chunk(&f.q[1], &c, 0) == 1);
	CHECK(wirecap_chunk_count(&c) == 6);
	for (i = 0; i < 6; i++) {
		unsigned int cell = 5 * M + 2 + i;

		CHECK(wirecap_chunk_pkt(&c, i, &p) == 0);
		CHECK(p.data == f.pool[1] + 5 * (M * 2048 + 4096) +
				(2 + i) * 2048 + FOFF);
		CHECK(p.data[0] == (uint8_t)cell && p.data[1] == 1);
		CHECK(p.len == 60 + cell % 100);
	}
	wirecap_chunk_release(&c);
	fake_fini(&f);

	fake_init_geom(&f, 2, 1, WIRECAP_MODE_BASIC, 0, 0, NULL, &old);
	CHECK(f.q[0].chunk_bytes == M * 2048 && !f.q[0].view_cell);
	CHECK(push(&f.q[0], 15, 7, 1, 1));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(wirecap_chunk_pkt(&c, 0, &p) == 0);
	CHECK(p.data == f.pool[0] + (15 * M + 7) * 2048 + FOFF);
	wirecap_chunk_release(&c);
	fake_fini(&f);

	/* chunk_bytes smaller than its cells: no geometry */
	memset(&lone, 0, sizeof(lone));
	lone.info.cells_per_chunk = M;
	lone.info.cell_size = 2048;
	lone.info.frame_offset = FOFF;
	lone.info.chunk_bytes = M * 2048 - 1;
	CHECK(wc_queue_geometry(&lone) == -EPROTO);
	lone.info.chunk_bytes = 0;
	CHECK(wc_queue_geometry(&lone) == 0 && lone.chunk_bytes == M * 2048);
	lone.info.frame_offset = 2048;
	CHECK(wc_queue_geometry(&lone) == -EPROTO);
	return 1;
}

static int t_direct(void)
{
	/* a NIC that cannot span cells: no index to build */
	static const struct fake_geom plain = {
		.cell_size = 2048, .max_frame = 2048 - FOFF,
	};
	/*
	 * One that can, at an MTU that fits a cell: a longer frame it still
	 * put in cells is an ERROR first cell and CONT|ERROR cells, one
	 * packet (the kernel discarded it).
	 */
	static const struct fake_geom fits = {
		.cell_size = 2048, .max_frame = 1518,
		.features = WIRECAP_F_MULTI_CELL,
	};
	struct wirecap_chunk c;
	struct fake f;

	fake_init_geom(&f, 2, 1, WIRECAP_MODE_BASIC, 0, 0, NULL, &plain);
	CHECK(!f.q[0].view_cell && !f.q[0].view_pkts);
	CHECK(publish(&f, 0, 1, 0, M, 1));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(wirecap_chunk_count(&c) == M);
	wirecap_chunk_release(&c);
	fake_fini(&f);

	fake_init_geom(&f, 2, 1, WIRECAP_MODE_BASIC, 0, 0, NULL, &fits);
	CHECK(f.q[0].view_cell && f.q[0].view_pkts);
	f.meta[0][1 * M + 0] = (struct wirecap_cell_meta){
		.flags = WIRECAP_CELL_ERROR };
	f.meta[0][1 * M + 1] = (struct wirecap_cell_meta){
		.flags = WIRECAP_CELL_CONT | WIRECAP_CELL_ERROR, .hash = 1 };
	CHECK(publish(&f, 0, 1, 0, M, 1));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	CHECK(wirecap_chunk_count(&c) == M - 1);
	wirecap_chunk_release(&c);
	fake_fini(&f);
	return 1;
}

static int t_bogus(void)
{
	struct wirecap_chunk c;
	struct fake f;

	setup(&f, WIRECAP_MODE_BASIC, 0);
	/* cell 7 of chunk 6: 64 + 1537 bytes from there pass the spill */
	frame(&f, 0, 6, 7, CELL - FOFF + SPILL + 1, WIRECAP_CELL_MORE);
	CHECK(!publish(&f, 0, 6, 0, M, 1));
	CHECK(f.q[0].err == -EPROTO);
	CHECK(wc_lanes_count(&f.q[0].capq) == 0);
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == -EPROTO);
	fake_fini(&f);

	setup(&f, WIRECAP_MODE_BASIC, 0);
	/* to the spill area's last byte: fine */
	frame(&f, 0, 6, 7, CELL - FOFF + SPILL, WIRECAP_CELL_MORE);
	CHECK(publish(&f, 0, 6, 7, 1, 1));
	CHECK(!f.q[0].err);
	fake_fini(&f);
	return 1;
}

static int t_xmit(void)
{
	struct wirecap_xmit_pkt x[2];
	struct wirecap_chunk c;
	struct fake f;

	setup(&f, WIRECAP_MODE_BASIC, 0);
	f.q[0].fd = 100;
	nkrec = nxmit = 0;
	CHECK(publish(&f, 0, 3, 0, M, 1));
	CHECK(wirecap_next_chunk(&f.q[0], &c, 0) == 1);
	/* packet 1: 600 bytes across cells 3-5 */
	x[0] = (struct wirecap_xmit_pkt){ .chunk = &c, .index = 1,
					  .len = 100 };
	CHECK(wirecap_xmit(NULL, x, 1) == -EMSGSIZE);
	CHECK(c.owner && !nxmit);		/* nothing consumed */
	/* packet 0 (cell 2) and packet 3 (cell 7, across cells) */
	x[0].index = 0;
	x[1] = (struct wirecap_xmit_pkt){ .chunk = &c, .index = 3,
					  .len = 100 };
	CHECK(wirecap_xmit(NULL, x, 2) == -EMSGSIZE);
	CHECK(c.owner && !nxmit);
	/* packet 0 alone goes, named by its cell of the view */
	CHECK(wirecap_xmit(NULL, x, 1) == 1);
	CHECK(nxmit == 1 && nkrec == 1 && krec[0].cell == 2 &&
	      krec[0].len == 100 && krec[0].view.chunk_id == 3);
	CHECK(!c.owner);			/* consumed */
	fake_fini(&f);
	return 1;
}

int main(void)
{
	tap_plan(8);
	tap_run("the view index skips CONT cells, keeps ERROR cells",
		t_index);
	tap_run("frames across cells read as one packet each, in place",
		t_read);
	tap_run("dispatch calls back per packet; pkts count packets",
		t_dispatch);
	tap_run("an offloaded view reads the same; offload counts packets",
		t_offload);
	tap_run("cell addresses follow chunk_bytes; 0 is M * cell_size",
		t_stride);
	tap_run("no index without MULTI_CELL; with it, a discarded long frame is one packet",
		t_direct);
	tap_run("a frame past its chunk's spill area fails the queue",
		t_bogus);
	tap_run("XMIT refuses frames across cells, names cells not packets",
		t_xmit);
	return tap_exit();
}
