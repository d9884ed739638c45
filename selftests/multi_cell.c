// SPDX-License-Identifier: GPL-2.0
/*
 * Frames across cells and the cell size chosen at ATTACH (issue 15 §2), on
 * the software NIC: every frame, from 60 bytes to the longest the MTU lets
 * through, is read back byte for byte in place, whatever the cell size,
 * including frames that run past their chunk's last cell into its spill
 * area; the geometry INFO reports is the one mapped; longer frames are
 * counted as oversize.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include "wctest.h"

#define MC_RING		256
#define MC_M		64
#define MC_R		16

FIXTURE(mc) {
	char nic[16];
	struct wct_queue q;
};

FIXTURE_SETUP(mc)
{
	ASSERT_EQ(0, wct_nic_new(1, MC_RING, self->nic));
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
}

FIXTURE_TEARDOWN(mc)
{
	wct_close(&self->q);
	wct_nic_del(self->nic);
}

static unsigned int page_size(void)
{
	return (unsigned int)sysconf(_SC_PAGESIZE);
}

/* What INFO must say for a cell size and MTU (the uapi's rules). */
static void expect_geometry(struct __test_metadata *_metadata,
			    const struct wirecap_info *in, unsigned int size,
			    unsigned int mtu)
{
	unsigned int room = size - in->frame_offset, frame = mtu + 14 + 8;
	unsigned int max = frame > room ? (frame > 65535 ? 65535 : frame) :
		room;
	unsigned int spill = max > room ?
		(max + page_size() - 1) / page_size() * page_size() : 0;

	EXPECT_EQ(size, in->cell_size);
	EXPECT_TRUE(in->cell_sizes & size);
	EXPECT_EQ(max, in->max_frame);
	EXPECT_EQ(spill, in->spill_size);
	EXPECT_EQ(in->cells_per_chunk * size + spill, in->chunk_bytes);
	EXPECT_EQ((unsigned long long)in->nr_chunks * in->chunk_bytes,
		  in->pool_size);
	EXPECT_TRUE(in->features & WIRECAP_F_MULTI_CELL);
}

TEST_F(mc, geometry)
{
	static const unsigned int sizes[] = { 128, 256, 512, 1024, 2048, 4096 };
	unsigned int bad[] = { 1, 64, 255, 3000, 2 * page_size(),
			       4 * page_size() };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > page_size())
			continue;
		ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R, sizes[i]));
		expect_geometry(_metadata, &self->q.info, sizes[i], 1500);
		/* the last byte of the last chunk's spill area is mapped */
		((volatile char *)self->q.pool)[self->q.info.pool_size - 1] = 1;
		wct_unmap(&self->q);
		ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	}
	/* a chunk smaller than a page cannot be mapped on its own */
	EXPECT_EQ(-EINVAL, wct_attach_cells(&self->q, 16, MC_R * 4, 128));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL,
			  wct_attach_cells(&self->q, MC_M, MC_R, bad[i]));
	/*
	 * The longest frame must fit the ring less a segment: N - M = 192
	 * cells of 256 bytes, 49152 bytes, MTU 49130 (+ 22), not 49131.
	 */
	ASSERT_EQ(0, wct_set_mtu(self->nic, 49131));
	EXPECT_EQ(-EINVAL, wct_attach_cells(&self->q, MC_M, MC_R, 256));
	ASSERT_EQ(0, wct_set_mtu(self->nic, 49130));
	ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R, 256));
	wct_unmap(&self->q);
	ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_DETACH));
	ASSERT_EQ(0, wct_set_mtu(self->nic, 1500));
	/* 0 is the default, 2048: no spill area at MTU 1500 */
	ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R, 0));
	expect_geometry(_metadata, &self->q.info, 2048, 1500);
	EXPECT_EQ(0, self->q.info.spill_size);
}

FIXTURE(frames) {
	char nic[16];
	struct wct_queue q;
	unsigned int nr;
	uint8_t **frame;
	uint32_t *len;
};

FIXTURE_VARIANT(frames) {
	unsigned int cell_size;
	unsigned int mtu;
	unsigned int m;
};

FIXTURE_VARIANT_ADD(frames, c128_mtu1500) { 128, 1500, MC_M };
FIXTURE_VARIANT_ADD(frames, c256_mtu1500) { 256, 1500, MC_M };
FIXTURE_VARIANT_ADD(frames, c256_mtu9000) { 256, 9000, MC_M };
/* chunks of 4 KiB: a 9 KiB frame runs through three of them */
FIXTURE_VARIANT_ADD(frames, c256_m16_mtu9000) { 256, 9000, 16 };
FIXTURE_VARIANT_ADD(frames, c1024_mtu9000) { 1024, 9000, MC_M };
FIXTURE_VARIANT_ADD(frames, c2048_mtu9000) { 2048, 9000, MC_M };
FIXTURE_VARIANT_ADD(frames, c4096_mtu65000) { 4096, 65000, MC_M };

FIXTURE_SETUP(frames)
{
	ASSERT_EQ(0, wct_nic_new(1, MC_RING, self->nic));
	ASSERT_EQ(0, wct_set_mtu(self->nic, variant->mtu));
	ASSERT_EQ(0, wct_open(&self->q, self->nic, 0));
}

FIXTURE_TEARDOWN(frames)
{
	unsigned int i;

	for (i = 0; i < self->nr; i++)
		free(self->frame[i]);
	free(self->frame);
	free(self->len);
	wct_close(&self->q);
	wct_nic_del(self->nic);
}

static uint64_t mc_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Read the views published so far frame by frame, check each against the
 * next expected one, recycle them. Returns frames read, or -1 (with the
 * failure reported).
 */
static int read_views(struct __test_metadata *_metadata,
		      FIXTURE_DATA(frames) *self, unsigned int *next,
		      unsigned int *spilled, uint32_t timeout_us)
{
	struct wct_queue *q = &self->q;
	unsigned int size = q->info.cell_size, m = q->info.cells_per_chunk;
	int n = wct_capture(q, 64, timeout_us), i, got = 0;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct wirecap_desc d = *wct_desc(q, i);
		unsigned int c = 0;

		while (c < d.pkt_count) {
			size_t base = (size_t)d.chunk_id * m;
			const struct wirecap_cell_meta *mt =
				&q->meta[base + d.first_cell + c];
			unsigned int span, j, k = *next;

			if (mt->flags & WIRECAP_CELL_CONT) {
				/*
				 * Only the copied rest of a frame: at the start
				 * of its chunk, after nothing but such cells.
				 */
				unsigned int x;

				for (x = 0; x <= d.first_cell + c; x++)
					if (!(q->meta[base + x].flags &
					      WIRECAP_CELL_CONT) ||
					    q->meta[base + x].hash)
						break;
				if (x <= d.first_cell + c) {
					TH_LOG("view %u+%u: cell %u continues nothing",
					       d.chunk_id, d.first_cell, c);
					return -1;
				}
				c++;
				continue;
			}
			if (k >= self->nr || mt->len != self->len[k] ||
			    memcmp(wct_frame(q, d.chunk_id, d.first_cell + c),
				   self->frame[k], self->len[k])) {
				TH_LOG("frame %u (%u bytes): read %u bytes that differ",
				       k, k < self->nr ? self->len[k] : 0,
				       mt->len);
				return -1;
			}
			span = (q->info.frame_offset + mt->len + size - 1) /
				size;
			if ((span > 1) != !!(mt->flags & WIRECAP_CELL_MORE) ||
			    !mt->ts_ns) {
				TH_LOG("frame %u: flags %#x over %u cells", k,
				       mt->flags, span);
				return -1;
			}
			/* its other cells in this chunk: CONT, counting back */
			for (j = 1; j < span && d.first_cell + c + j < m; j++) {
				const struct wirecap_cell_meta *ct =
					&mt[j];

				if (c + j >= d.pkt_count ||
				    !(ct->flags & WIRECAP_CELL_CONT) ||
				    ct->hash != j || ct->len) {
					TH_LOG("frame %u: cell %u of %u is not its own",
					       k, j, span);
					return -1;
				}
			}
			if (d.first_cell + c + span > m)
				(*spilled)++;
			c += j;
			(*next)++;
			got++;
		}
		if (wct_recycle(q, &d, 1) != 1)
			return -1;
	}
	wct_consume(q, n);
	return got;
}

TEST_F(frames, exact)
{
	unsigned int max, i, next = 0, spilled = 0, done = 0, cells = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ variant->cell_size;
	struct wirecap_stats st;
	int ret;

	ASSERT_EQ(0, wct_attach_cells(&self->q, variant->m,
				      MC_M * MC_R / variant->m,
				      variant->cell_size));
	expect_geometry(_metadata, &self->q.info, variant->cell_size,
			variant->mtu);
	max = self->q.info.max_frame;

	/* (64 KiB frames: fewer, the VM's memory is small) */
	self->nr = max > 16384 ? 400 : 3000;
	self->frame = calloc(self->nr, sizeof(*self->frame));
	self->len = calloc(self->nr, sizeof(*self->len));
	ASSERT_TRUE(self->frame && self->len);
	for (i = 0; i < self->nr; i++) {
		/* the edges around cell and frame sizes, then any length */
		static const unsigned int edge[] = { 60, 255, 256, 257, 1514 };
		unsigned int j, l;

		if (i % 4 == 0)
			l = edge[(i / 4) % 5];
		else if (i % 4 == 1)
			l = max - (unsigned int)(mc_rand(&seed) % 3);
		else
			l = 60 + (unsigned int)(mc_rand(&seed) % (max - 59));
		self->len[i] = l;
		self->frame[i] = malloc(l);
		ASSERT_TRUE(self->frame[i] != NULL);
		for (j = 0; j < l; j++)
			self->frame[i][j] = (uint8_t)mc_rand(&seed);
	}

	/* in batches the pool holds, each read back before the next */
	while (done < self->nr) {
		unsigned int first = done,
			pool = self->q.info.cells_per_chunk *
			(self->q.info.nr_chunks -
			 MC_RING / self->q.info.cells_per_chunk);

		cells = 0;
		while (done < self->nr) {
			unsigned int c = (self->len[done] +
					  variant->cell_size - 1) /
				variant->cell_size;

			if (cells + c > pool / 2)
				break;
			cells += c;
			done++;
		}
		ASSERT_EQ(0, wct_inject_frames(self->nic, 0,
			(const uint8_t *const *)&self->frame[first],
			&self->len[first], done - first));
		while (next < done) {
			ret = read_views(_metadata, self, &next, &spilled,
					 2000);
			ASSERT_GE(ret, 0);
		}
	}
	st = wct_stats(&self->q);
	EXPECT_EQ(self->nr, st.received);
	EXPECT_EQ(self->nr, st.delivered);
	EXPECT_EQ(0, st.capture_drops);
	EXPECT_EQ(0, st.oversize_drops);
	EXPECT_EQ(0, st.rx_errors);
	/* frames ran past their chunk's end, and came out whole */
	if (max > variant->cell_size)
		EXPECT_GT(spilled, 10);
	TH_LOG("%u frames, %u of them through a spill area", self->nr,
	       spilled);
}

TEST_F(frames, oversize)
{
	unsigned int max;
	struct wirecap_stats st;

	ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R,
				      variant->cell_size));
	max = self->q.info.max_frame;
	if (max >= 65535)
		SKIP(return, "no frame is longer than %u", max);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 5, max + 1, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, max, 0));
	st = wct_stats(&self->q);
	EXPECT_EQ(5, st.oversize_drops);
	EXPECT_EQ(3, st.received);
	EXPECT_EQ(0, st.rx_errors);
}

static void mc_ignore(void *ctx, const uint8_t *frame, uint32_t len)
{
}

/* XMIT sends a cell's frame: never a frame's later cell, nor half a frame. */
TEST_F(frames, xmit_whole_cells_only)
{
	unsigned int size = variant->cell_size, len = 3 * size - 10;
	struct wirecap_xmit_rec r[3] = {};
	struct wirecap_xmit_cmd xc = {
		.recs = (uintptr_t)r, .count = 3, .tx_fd = -1,
		.flags = WIRECAP_XMIT_NOWAIT,
	};
	struct wirecap_stats st;
	struct wirecap_desc d;

	ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R, size));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1, len, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1, 100, 1));
	ASSERT_EQ(1, wct_capture(&self->q, 1, 100000));
	d = *wct_desc(&self->q, 0);
	ASSERT_EQ(4, d.pkt_count);	/* 3 cells, then 1 */
	r[0] = (struct wirecap_xmit_rec){ .view = d, .cell = 0, .len = 60 };
	r[1] = (struct wirecap_xmit_rec){ .view = d, .cell = 1, .len = 60 };
	r[2] = (struct wirecap_xmit_rec){ .view = d, .cell = 3, .len = 100 };
	EXPECT_EQ(1, ioctl(self->q.fd, WIRECAP_CMD_XMIT, &xc));
	st = wct_stats(&self->q);
	EXPECT_EQ(2, st.xmit_refused);
	EXPECT_EQ(1, st.xmit_sent);
	EXPECT_EQ(1, wct_wire_read(self->nic, mc_ignore, NULL));
	wct_consume(&self->q, 1);
}

/* Read every view until none comes: packets, of them errors (len 0). */
static void count_views(struct wct_queue *q, unsigned int *pkts,
			unsigned int *errors, unsigned int *conts)
{
	int n, i;

	*pkts = *errors = *conts = 0;
	while ((n = wct_capture(q, 64, 100000)) > 0) {
		for (i = 0; i < n; i++) {
			struct wirecap_desc d = *wct_desc(q, i);
			const struct wirecap_cell_meta *mt =
				&q->meta[(size_t)d.chunk_id *
					 q->info.cells_per_chunk + d.first_cell];
			unsigned int c;

			for (c = 0; c < d.pkt_count; c++) {
				if (mt[c].flags & WIRECAP_CELL_CONT) {
					(*conts)++;
					continue;
				}
				(*pkts)++;
				*errors += !!(mt[c].flags &
					      WIRECAP_CELL_ERROR) && !mt[c].len;
			}
			wct_recycle(q, &d, 1);
		}
		wct_consume(q, n);
	}
}

/*
 * A NIC without a frame size limit fills cells with a frame longer than
 * max_frame: wirecap.ko discards it, one error packet of len 0 standing
 * for it, its other cells CONT, counted once as received, rx_error and
 * oversize drop.
 */
TEST_F(frames, oversize_in_cells)
{
	unsigned int max, pkts, errors, conts, span;
	struct wirecap_stats st;

	ASSERT_EQ(0, wct_attach_cells(&self->q, MC_M, MC_R,
				      variant->cell_size));
	max = self->q.info.max_frame;
	if (max >= 65535)
		SKIP(return, "no frame is longer than %u", max);
	ASSERT_EQ(0, wct_nic_fault(self->nic, "no_frame_limit", 1));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2, max + 1, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, 100, 2));
	count_views(&self->q, &pkts, &errors, &conts);
	span = (max + 1 + variant->cell_size - 1) / variant->cell_size;
	EXPECT_EQ(5, pkts);
	EXPECT_EQ(2, errors);
	EXPECT_EQ(2 * (span - 1), conts);
	st = wct_stats(&self->q);
	EXPECT_EQ(5, st.received);
	EXPECT_EQ(5, st.delivered);
	EXPECT_EQ(2, st.rx_errors);
	EXPECT_EQ(2, st.oversize_drops);
}

/*
 * Without WIRECAP_ATTACH_MULTI_CELL a pool is laid out as before frames
 * spanned cells (no spill area), and a frame longer than a cell is an
 * oversize drop: a program built before cannot misread one.
 */
TEST_F(frames, no_opt_in)
{
	struct wirecap_attach a = {
		.size = sizeof(a), .cells_per_chunk = MC_M,
		.nr_chunks = MC_R, .cell_size = variant->cell_size,
	};
	struct wirecap_info in = { .size = sizeof(in) };
	struct wirecap_stats st;

	ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_ATTACH, &a));
	ASSERT_EQ(0, ioctl(self->q.fd, WIRECAP_CMD_INFO, &in));
	EXPECT_EQ(0, in.spill_size);
	EXPECT_EQ(MC_M * variant->cell_size, in.chunk_bytes);
	EXPECT_EQ(variant->cell_size, in.max_frame);
	ASSERT_EQ(0, wct_inject(self->nic, 0, 2, variant->cell_size + 1, 0));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 3, variant->cell_size, 0));
	st = wct_stats(&self->q);
	EXPECT_EQ(2, st.oversize_drops);
	EXPECT_EQ(3, st.received);
}

/*
 * ... and when the NIC still fills cells with such a frame, each of them
 * is an ERROR cell, as ABI 1 always showed them (CONT too, for a reader
 * that knows it).
 */
TEST_F(frames, no_opt_in_cells)
{
	unsigned int i, errs = 0, conts = 0, n = 0;
	struct wirecap_stats st;
	struct wirecap_desc d;

	ASSERT_EQ(0, wct_attach_flags(&self->q, MC_M, MC_R,
				      variant->cell_size, 0));
	ASSERT_EQ(0, wct_nic_fault(self->nic, "no_frame_limit", 1));
	ASSERT_EQ(0, wct_inject(self->nic, 0, 1, 2 * variant->cell_size, 0));
	ASSERT_EQ(1, wct_capture(&self->q, 1, 100000));
	d = *wct_desc(&self->q, 0);
	EXPECT_EQ(2, d.pkt_count);
	for (i = 0; i < d.pkt_count; i++) {
		const struct wirecap_cell_meta *mt = &self->q.meta[
			(size_t)d.chunk_id * MC_M + d.first_cell + i];

		n++;
		errs += !!(mt->flags & WIRECAP_CELL_ERROR) && !mt->len;
		conts += !!(mt->flags & WIRECAP_CELL_CONT);
	}
	EXPECT_EQ(2, errs);
	EXPECT_EQ(1, conts);
	st = wct_stats(&self->q);
	EXPECT_EQ(1, st.oversize_drops);
	EXPECT_EQ(1, st.rx_errors);
}

TEST_HARNESS_MAIN
