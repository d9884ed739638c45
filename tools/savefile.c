// SPDX-License-Identifier: BSD-2-Clause
/*
 * The savefile writer of `wirecap capture`: see tools/savefile.h.
 *
 * Buffers. A pool of nbufs buffers of buf_size bytes. At most one is
 * being filled (cur); a full one, or the last one of a file, is sealed:
 * queued as one write at its offset in its file. A buffer is free again
 * once its write completed, whole (short writes are resubmitted for the
 * rest). The header blocks of a file and its closing blocks (pcapng
 * statistics) have buffers of their own in the file, so a file is never
 * left without its header for want of a pool buffer.
 *
 * Files. Regular files are written at explicit offsets, every write of
 * a file in flight at once; standard output (a pipe, perhaps) one write
 * at a time, in order. A file that has ended is closed when its last
 * write completed; until then it stays on the list of files in flight.
 * A -W ring that comes back to a name still in flight (a ring of one
 * file, or a disk far behind) does not wait for it: a regular file is
 * unlinked and a new one created in its place (the old writes complete
 * into the old file, gone, as O_TRUNC would have lost it); anything else
 * (a pipe by its name) is reopened once closed, frames given up until
 * then, with no current file.
 *
 * Rotation, as tcpdump(8): -G rotates when a frame comes and the clock
 * is -G seconds past the start of the -G period (a -C rotation does not
 * start one), names through strftime(3) of the -w name at the start of
 * the -G period; -C rotates when the frame would take the file past the size
 * (tcpdump: when the file is already past it), the files named FILE,
 * FILE1, FILE2, ... or, with -W n, a ring FILE0 .. FILE(n-1), the number
 * zero-padded to the width of n-1; with -G and -C the number restarts at
 * each -G rotation; with -G and -W but no -C, the n-th file is the last.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <liburing.h>

#include "savefile.h"

#define PCAP_MAGIC_NS		0xa1b23c4d
#define LINKTYPE_EN10MB		1

#define PCAPNG_SHB		0x0a0d0d0a
#define PCAPNG_IDB		0x00000001
#define PCAPNG_ISB		0x00000005
#define PCAPNG_EPB		0x00000006
#define PCAPNG_BOM		0x1a2b3c4d

#define OPT_END			0
#define SHB_USERAPPL		4
#define IF_NAME			2
#define IF_TSRESOL		9
#define EPB_HASH		3
#define EPB_QUEUE		6
#define HASH_TOEPLITZ		5
#define ISB_STARTTIME		2
#define ISB_ENDTIME		3
#define ISB_IFRECV		4
#define ISB_IFDROP		5
#define ISB_FILTERACCEPT	6
#define ISB_USRDELIV		8

#define ISB_LEN		(20 + 6 * 12 + 4 + 4)	/* 6 counters, end, trailer */
#define EPB_FIXED	(28 + 4)		/* header, trailing length */
#define EPB_OPT_HASH	(4 + 8)			/* 5 bytes, padded */
#define EPB_OPT_QUEUE	(4 + 4)
#define EPB_OPT_END	4
#define PCAP_REC_HDR	16

#define FLUSH_NS	1000000000ull	/* a buffer older is written */

struct sf_file;

/* One write: a pool buffer, or a file's header or closing blocks. */
struct sf_op {
	struct sf_file *file;
	uint8_t *mem;
	uint32_t len, done;
	uint64_t off;
	bool is_buf;		/* a pool buffer (free it when done) */
	uint32_t *frames;	/* pool buffer: frames in it, per interface */
	bool busy;		/* pool buffer: sealed, not yet written */
	struct sf_op *next;	/* in the file's queue of unsubmitted ops */
};

struct sf_file {
	int fd;
	char *name;
	bool seekable;		/* false: one write at a time, in order */
	bool regular;		/* a regular file */
	dev_t dev;		/* which one (regular), to touch it by name */
	ino_t ino;		/* only while the name is still it */
	bool replaced;		/* its name unlinked for a new file */
	bool ended;		/* nothing more will be added */
	uint64_t size;		/* bytes placed so far (header included) */
	uint64_t bytes;		/* bytes written so far */
	uint32_t hdr_len;
	unsigned int inflight;	/* ops submitted, not completed */
	struct sf_op *q_head, *q_tail;	/* ops to submit */
	struct sf_op hdr, tail;
	struct sf_file *next;	/* in the list of files in flight */
};

struct savefile {
	struct sf_opts o;
	struct io_uring ring;
	bool ring_ok;
	struct sf_op *bufs;
	uint8_t *mem;
	struct sf_op *cur;	/* the buffer being filled; NULL: none */
	uint64_t cur_since;	/* CLOCK_MONOTONIC ns: cur taken */
	struct sf_file *file;	/* being written; NULL after the last */
	struct sf_file *files;	/* ended, writes still in flight */
	char *bad_name;		/* the file that could not be opened */
	unsigned int c_count;	/* -C: number of the current file */
	unsigned int g_count;	/* -G: rotations so far */
	unsigned int w_chars;	/* -W: digits of the file number */
	bool reopen;		/* the next file's name still in flight */
	unsigned int re_cnt, re_width;	/* its number and width */
	time_t now;
	time_t g_start;		/* -G: the start of the period (names) */
	uint64_t start_ns;	/* CLOCK_REALTIME at sf_open */
	uint32_t hdr_size, tail_size;
	int err;		/* the first error */
	bool done;		/* -G -W: the last file has ended */
	uint64_t *queued;	/* frames placed in files, per interface */
	uint64_t *written;	/* of them, their write completed */
	uint64_t *given_up;
	uint32_t *frames;	/* the pool buffers' sf_op.frames */
	uint64_t bytes;
	unsigned int nfiles;
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void set_err(struct savefile *sf, int err)
{
	if (!sf->err)
		sf->err = err;
}

/* --- block encoding -------------------------------------------------- */

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* An option: code, length, the value, padding to 4. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *v,
			uint16_t len)
{
	p = put16(p, code);
	p = put16(p, len);
	memcpy(p, v, len);
	memset(p + len, 0, (4 - len % 4) % 4);
	return p + len + (4 - len % 4) % 4;
}

/* pcapng timestamps: high and low 32 bits of nanoseconds (if_tsresol 9) */
static uint8_t *put_ts(uint8_t *p, uint64_t ns)
{
	p = put32(p, (uint32_t)(ns >> 32));
	return put32(p, (uint32_t)ns);
}

static uint8_t *opt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
	uint32_t w[2];

	memcpy(w, &v, 8);
	return put_opt(p, code, w, 8);
}

static uint8_t *opt_ts(uint8_t *p, uint16_t code, uint64_t ns)
{
	uint8_t v[8];

	put_ts(v, ns);
	return put_opt(p, code, v, 8);
}

/* Close a block begun at b: its length at b + 4 and at the end. */
static uint8_t *end_block(uint8_t *b, uint8_t *p)
{
	uint32_t len = (uint32_t)(p - b) + 4;

	put32(b + 4, len);
	return put32(p, len);
}

static const char *if_name(const struct savefile *sf, unsigned int i,
			   char buf[32])
{
	if (sf->o.if_names && sf->o.if_names[i])
		return sf->o.if_names[i];
	snprintf(buf, 32, "wirecap:%u", i);
	return buf;
}

/* The header of a file into buf (NULL: only its length). */
static uint32_t build_header(const struct savefile *sf, uint8_t *buf)
{
	static const char appl[] = "wirecap capture";
	uint8_t scratch[512], *b, *p;
	uint64_t section_len = ~0ull;
	uint32_t len = 0;
	unsigned int i;
	char nb[32];

	if (!sf->o.pcapng) {
		if (buf) {
			p = put32(buf, PCAP_MAGIC_NS);
			p = put16(p, 2);
			p = put16(p, 4);
			p = put32(p, 0);
			p = put32(p, 0);
			p = put32(p, sf->o.snaplen);
			put32(p, LINKTYPE_EN10MB);
		}
		return 24;
	}
	b = buf ? buf : scratch;
	p = put32(b, PCAPNG_SHB);
	p += 4;
	p = put32(p, PCAPNG_BOM);
	p = put16(p, 1);
	p = put16(p, 0);
	memcpy(p, &section_len, 8);
	p += 8;
	p = put_opt(p, SHB_USERAPPL, appl, sizeof(appl) - 1);
	p = put_opt(p, OPT_END, NULL, 0);
	p = end_block(b, p);
	len += p - b;
	for (i = 0; i < sf->o.nifs; i++) {
		const char *name = if_name(sf, i, nb);
		size_t n = strnlen(name, 256);
		uint8_t res = 9;

		b = buf ? buf + len : scratch;
		p = put32(b, PCAPNG_IDB);
		p += 4;
		p = put16(p, LINKTYPE_EN10MB);
		p = put16(p, 0);
		p = put32(p, sf->o.snaplen);
		p = put_opt(p, IF_NAME, name, (uint16_t)n);
		p = put_opt(p, IF_TSRESOL, &res, 1);
		p = put_opt(p, OPT_END, NULL, 0);
		p = end_block(b, p);
		len += p - b;
	}
	return len;
}

/* The closing blocks of a file: a statistics block per interface. */
static uint32_t build_tail(struct savefile *sf, uint8_t *buf)
{
	uint64_t now = realtime_ns();
	uint8_t *b, *p = buf;
	unsigned int i;

	if (!sf->o.pcapng)
		return 0;
	for (i = 0; i < sf->o.nifs; i++) {
		struct sf_ifstats st = { 0 };

		if (sf->o.stats)
			sf->o.stats(sf->o.stats_ctx, i, &st);
		b = p;
		p = put32(b, PCAPNG_ISB);
		p += 4;
		p = put32(p, i);
		p = put_ts(p, now);
		p = opt_ts(p, ISB_STARTTIME, sf->start_ns);
		p = opt_ts(p, ISB_ENDTIME, now);
		p = opt_u64(p, ISB_IFRECV, st.received);
		p = opt_u64(p, ISB_IFDROP, st.dropped);
		p = opt_u64(p, ISB_FILTERACCEPT, st.accepted);
		p = opt_u64(p, ISB_USRDELIV, sf->queued[i]);
		p = put_opt(p, OPT_END, NULL, 0);
		p = end_block(b, p);
	}
	return (uint32_t)(p - buf);
}

static uint32_t record_len(const struct savefile *sf, uint32_t cap,
			   bool has_hash)
{
	if (!sf->o.pcapng)
		return PCAP_REC_HDR + cap;
	return EPB_FIXED + (cap + 3) / 4 * 4 + (has_hash ? EPB_OPT_HASH : 0) +
	       EPB_OPT_QUEUE + EPB_OPT_END;
}

static void build_record(const struct savefile *sf, uint8_t *b,
			 unsigned int iface, const uint8_t *data, uint32_t cap,
			 uint32_t len, uint64_t ts_ns, uint32_t queue,
			 uint32_t hash, bool has_hash)
{
	uint8_t *p;

	if (!sf->o.pcapng) {
		p = put32(b, (uint32_t)(ts_ns / 1000000000ull));
		p = put32(p, (uint32_t)(ts_ns % 1000000000ull));
		p = put32(p, cap);
		p = put32(p, len);
		memcpy(p, data, cap);
		return;
	}
	p = put32(b, PCAPNG_EPB);
	p += 4;
	p = put32(p, iface);
	p = put_ts(p, ts_ns);
	p = put32(p, cap);
	p = put32(p, len);
	memcpy(p, data, cap);
	memset(p + cap, 0, (4 - cap % 4) % 4);
	p += (cap + 3) / 4 * 4;
	if (has_hash) {
		uint8_t h[5] = { HASH_TOEPLITZ };

		memcpy(h + 1, &hash, 4);	/* the section's byte order */
		p = put_opt(p, EPB_HASH, h, 5);
	}
	p = put_opt(p, EPB_QUEUE, &queue, 4);
	p = put_opt(p, OPT_END, NULL, 0);
	end_block(b, p);
}

/* --- io_uring -------------------------------------------------------- */

/* Submit what the file's queue holds, as far as the file allows. */
static void file_kick(struct savefile *sf, struct sf_file *f)
{
	struct io_uring_sqe *sqe;
	struct sf_op *op;

	while ((op = f->q_head) && (f->seekable || !f->inflight)) {
		sqe = io_uring_get_sqe(&sf->ring);
		if (!sqe) {
			io_uring_submit(&sf->ring);
			sqe = io_uring_get_sqe(&sf->ring);
			if (!sqe)
				return;		/* the next poll tries again */
		}
		io_uring_prep_write(sqe, f->fd, op->mem + op->done,
				    op->len - op->done,
				    f->seekable ? op->off + op->done : -1ull);
		io_uring_sqe_set_data(sqe, op);
		f->q_head = op->next;
		if (!f->q_head)
			f->q_tail = NULL;
		f->inflight++;
	}
	io_uring_submit(&sf->ring);
}

static void queue_op(struct savefile *sf, struct sf_file *f,
		     struct sf_op *op, bool front)
{
	op->file = f;
	op->next = NULL;
	if (front) {
		op->next = f->q_head;
		f->q_head = op;
		if (!f->q_tail)
			f->q_tail = op;
	} else {
		if (f->q_tail)
			f->q_tail->next = op;
		else
			f->q_head = op;
		f->q_tail = op;
	}
	file_kick(sf, f);
}

static void file_free(struct sf_file *f)
{
	free(f->hdr.mem);
	free(f->tail.mem);
	free(f->name);
	free(f);
}

/*
 * Is f's name still f itself, a regular file (not a link to it, not
 * another file put there since)? Only then may it be removed by name.
 */
static bool name_is_file(const struct sf_file *f)
{
	struct stat st;

	return f->regular && !lstat(f->name, &st) && S_ISREG(st.st_mode) &&
	       st.st_dev == f->dev && st.st_ino == f->ino;
}

/* Close the ended files whose writes all completed. */
static void reap_files(struct savefile *sf)
{
	struct sf_file **pp = &sf->files, *f;

	while ((f = *pp)) {
		if (f->inflight || f->q_head) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		if (f->fd != STDOUT_FILENO && close(f->fd))
			set_err(sf, -errno);
		/* opened before a write failed (a full disk), and empty */
		if (sf->err && !f->replaced && !f->bytes && name_is_file(f))
			unlink(f->name);
		file_free(f);
	}
}

static void complete(struct savefile *sf, struct io_uring_cqe *cqe)
{
	struct sf_op *op = io_uring_cqe_get_data(cqe);
	struct sf_file *f = op->file;
	int res = cqe->res;

	f->inflight--;
	if (res > 0)
		f->bytes += res;
	if (res > 0 && op->done + res < op->len) {
		op->done += res;		/* short: the rest again */
		sf->bytes += res;
		queue_op(sf, f, op, true);
		return;
	}
	if (res > 0)
		sf->bytes += res;
	else
		set_err(sf, res ? res : -EIO);
	if (op->is_buf) {
		unsigned int i;

		/* its frames are written only once all of it is */
		for (i = 0; res > 0 && i < sf->o.nifs; i++)
			sf->written[i] += op->frames[i];
		op->busy = false;
	}
	file_kick(sf, f);
}

void sf_poll(struct savefile *sf)
{
	struct io_uring_cqe *cqe;
	struct sf_file *f;

	while (io_uring_peek_cqe(&sf->ring, &cqe) == 0) {
		complete(sf, cqe);
		io_uring_cqe_seen(&sf->ring, cqe);
	}
	for (f = sf->files; f; f = f->next)
		if (f->q_head)
			file_kick(sf, f);
	if (sf->file && sf->file->q_head)
		file_kick(sf, sf->file);
	reap_files(sf);
}

/* Wait for one completion (or until nothing is in flight). */
static void wait_one(struct savefile *sf)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_wait_cqe(&sf->ring, &cqe);
	if (ret == -EINTR)
		return;
	if (ret) {
		set_err(sf, ret);
		return;
	}
	complete(sf, cqe);
	io_uring_cqe_seen(&sf->ring, cqe);
}

/* --- files ----------------------------------------------------------- */

static void seal_cur(struct savefile *sf)
{
	struct sf_op *b = sf->cur;

	if (!b)
		return;
	sf->cur = NULL;
	if (!b->len) {
		b->busy = false;
		return;
	}
	queue_op(sf, b->file, b, false);
}

/* No more in f: its buffer and closing blocks go out; closed when done. */
static void end_file(struct savefile *sf)
{
	struct sf_file *f = sf->file;

	if (!f)
		return;
	seal_cur(sf);
	if (sf->tail_size) {
		f->tail.len = build_tail(sf, f->tail.mem);
		f->tail.off = f->size;
		f->size += f->tail.len;
		queue_op(sf, f, &f->tail, false);
	}
	f->ended = true;
	f->next = sf->files;
	sf->files = f;
	sf->file = NULL;
	reap_files(sf);
}

static int make_name(struct savefile *sf, unsigned int cnt,
		     unsigned int width, char **out)
{
	char base[PATH_MAX];
	struct tm tm;
	int n;

	if (sf->o.rotate_secs) {
		if (!localtime_r(&sf->g_start, &tm) ||
		    !strftime(base, sizeof(base), sf->o.path, &tm))
			return -ENAMETOOLONG;
	} else if (snprintf(base, sizeof(base), "%s", sf->o.path) >=
		   (int)sizeof(base)) {
		return -ENAMETOOLONG;	/* not another name, cut short */
	}
	if (cnt == 0 && width == 0)
		n = asprintf(out, "%s", base);
	else
		n = asprintf(out, "%s%0*u", base, (int)width, cnt);
	return n < 0 ? -ENOMEM : 0;
}

/*
 * A -W ring back to name while it is in flight: 0 when it may be created
 * (the regular file in flight, unlinked), -EBUSY when not yet (a pipe by
 * name, a symbolic link, a file someone else put there: reopened only
 * once closed, as O_TRUNC through the name), or -errno.
 */
static int name_in_flight(struct savefile *sf, const char *name)
{
	bool found = false, ours = true;
	struct sf_file *f;

	for (f = sf->files; f; f = f->next) {
		if (f->replaced || strcmp(f->name, name))
			continue;
		found = true;
		ours &= name_is_file(f);
	}
	if (!found)
		return 0;
	if (!ours)
		return -EBUSY;
	if (unlink(name) && errno != ENOENT)
		return -errno;
	for (f = sf->files; f; f = f->next)
		if (!strcmp(f->name, name))
			f->replaced = true;
	return 0;
}

static int open_file(struct savefile *sf, unsigned int cnt,
		     unsigned int width)
{
	struct sf_file *f;
	struct stat st;
	int ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->hdr.mem = malloc(sf->hdr_size);
	f->tail.mem = malloc(sf->tail_size ? sf->tail_size : 1);
	if (!f->hdr.mem || !f->tail.mem) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (!strcmp(sf->o.path, "-")) {
		f->name = strdup("-");
		ret = f->name ? 0 : -ENOMEM;
	} else {
		ret = make_name(sf, cnt, width, &f->name);
	}
	if (ret)
		goto err_free;
	if (!strcmp(f->name, "-")) {
		f->fd = STDOUT_FILENO;
	} else {
		ret = name_in_flight(sf, f->name);
		if (ret)
			goto err_free;
		f->fd = open(f->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0644);
		if (f->fd < 0) {
			ret = -errno;
			/* for the message: which of the rotated files */
			free(sf->bad_name);
			sf->bad_name = f->name;
			f->name = NULL;
			goto err_free;
		}
		f->seekable = lseek(f->fd, 0, SEEK_CUR) == 0;
		f->regular = !fstat(f->fd, &st) && S_ISREG(st.st_mode);
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	f->hdr_len = f->hdr.len = build_header(sf, f->hdr.mem);
	f->hdr.off = 0;
	f->size = f->hdr_len;
	sf->file = f;
	sf->nfiles++;
	queue_op(sf, f, &f->hdr, false);
	return 0;

err_free:
	file_free(f);
	return ret;
}

/*
 * The next file of a rotation. 0 also when its name is still in flight:
 * then there is no current file until a later frame finds it closed.
 */
static int open_next(struct savefile *sf, unsigned int cnt,
		     unsigned int width)
{
	int ret = open_file(sf, cnt, width);

	sf->reopen = ret == -EBUSY;
	if (sf->reopen) {
		sf->re_cnt = cnt;
		sf->re_width = width;
		return 0;
	}
	return ret;
}

/*
 * Before a frame of need bytes: rotate if due. 0 (sf->file NULL: the
 * frame has no file yet), SF_DONE, or -errno.
 */
static int rotate_if_due(struct savefile *sf, uint32_t need)
{
	struct sf_file *f = sf->file;
	int ret;

	if (!f && sf->reopen) {
		ret = open_next(sf, sf->re_cnt, sf->re_width);
		if (ret || !sf->file)
			return ret;
		f = sf->file;
	}
	if (!f || f->fd == STDOUT_FILENO)
		return f ? 0 : -EIO;
	if (sf->o.rotate_secs && sf->now - sf->g_start >=
	    (time_t)sf->o.rotate_secs) {
		end_file(sf);
		sf->g_count++;
		if (!sf->o.file_size && sf->o.max_files &&
		    sf->g_count >= sf->o.max_files) {
			sf->done = true;
			return SF_DONE;
		}
		sf->g_start = sf->now;
		sf->c_count = 0;
		ret = open_next(sf, 0, sf->o.file_size ? sf->w_chars : 0);
		if (ret || !sf->file)
			return ret;
		f = sf->file;
	}
	if (sf->o.file_size && f->size > f->hdr_len &&
	    f->size + need + sf->tail_size > sf->o.file_size) {
		end_file(sf);
		if (sf->o.max_files)
			sf->c_count = (sf->c_count + 1) % sf->o.max_files;
		else
			sf->c_count++;
		return open_next(sf, sf->c_count, sf->w_chars);
	}
	return 0;
}

/* A free pool buffer for the current file, or NULL. */
static struct sf_op *take_buf(struct savefile *sf)
{
	unsigned int i;

	for (i = 0; i < sf->o.nbufs; i++) {
		struct sf_op *b = &sf->bufs[i];

		if (!b->busy) {
			b->busy = true;
			b->len = 0;
			b->done = 0;
			b->file = sf->file;
			b->off = sf->file->size;
			memset(b->frames, 0, sf->o.nifs * sizeof(*b->frames));
			sf->cur_since = monotonic_ns();
			return b;
		}
	}
	return NULL;
}

int sf_put(struct savefile *sf, unsigned int iface, const uint8_t *data,
	   uint32_t len, uint64_t ts_ns, uint32_t queue, uint32_t hash,
	   bool has_hash)
{
	uint32_t cap = len < sf->o.snaplen ? len : sf->o.snaplen;
	uint32_t need = record_len(sf, cap, has_hash);
	int ret;

	if (iface >= sf->o.nifs || need > sf->o.buf_size)
		return -EINVAL;
	if (sf->done)
		return SF_DONE;
	sf_poll(sf);
	if (sf->err)
		return sf->err;
	ret = rotate_if_due(sf, need);
	if (ret < 0)
		set_err(sf, ret);
	if (ret)
		return ret;
	if (!sf->file) {
		/* the ring's next file is still being written */
		sf->given_up[iface]++;
		return 1;
	}
	if (sf->cur && sf->cur->len + need > sf->o.buf_size)
		seal_cur(sf);
	if (!sf->cur)
		sf->cur = take_buf(sf);
	if (!sf->cur) {
		sf->given_up[iface]++;
		return 1;
	}
	build_record(sf, sf->cur->mem + sf->cur->len, iface, data, cap, len,
		     ts_ns, queue, hash, has_hash);
	sf->cur->len += need;
	sf->cur->frames[iface]++;
	sf->file->size += need;
	sf->queued[iface]++;
	return 0;
}

void sf_set_time(struct savefile *sf, time_t now)
{
	sf->now = now;
	/* a quiet capture still reaches the disk, within a second or so */
	if (sf->cur && sf->cur->len &&
	    monotonic_ns() - sf->cur_since >= FLUSH_NS)
		seal_cur(sf);
}

void sf_counts(const struct savefile *sf, int iface, struct sf_counts *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sf->o.nifs; i++) {
		if (iface >= 0 && (unsigned int)iface != i)
			continue;
		c->written += sf->written[i];
		c->given_up += sf->given_up[i];
	}
	c->bytes = sf->bytes;
	c->files = sf->nfiles;
}

const char *sf_current_name(const struct savefile *sf)
{
	return sf->file ? sf->file->name : sf->bad_name;
}

int sf_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v, unit = 1000000;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !v)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		unit = 1024;
		end++;
		break;
	case 'm': case 'M':
		unit = 1024 * 1024;
		end++;
		break;
	case 'g': case 'G':
		unit = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return -1;
	}
	if (*end || v > ~0ull / unit)
		return -1;
	*bytes = v * unit;
	return 0;
}

static void sf_free(struct savefile *sf)
{
	struct sf_file *f;

	while ((f = sf->files)) {
		sf->files = f->next;
		if (f->fd > STDOUT_FILENO)
			close(f->fd);
		file_free(f);
	}
	if (sf->ring_ok)
		io_uring_queue_exit(&sf->ring);
	free(sf->bufs);
	free(sf->mem);
	free(sf->queued);
	free(sf->written);
	free(sf->given_up);
	free(sf->frames);
	free(sf->bad_name);
	free(sf);
}

int sf_end(struct savefile *sf)
{
	end_file(sf);
	sf->reopen = false;
	sf->done = true;
	while (sf->files) {
		sf_poll(sf);
		if (!sf->files)
			break;
		wait_one(sf);
	}
	return sf->err;
}

int sf_close(struct savefile *sf, struct sf_counts *c)
{
	int ret;

	sf_end(sf);
	if (c)
		sf_counts(sf, -1, c);
	ret = sf->err;
	sf_free(sf);
	return ret;
}

int sf_open(struct savefile **sfp, const struct sf_opts *o)
{
	struct savefile *sf;
	unsigned int i, n;
	uint32_t max_rec;
	int ret;

	/* a record of snaplen bytes must fit in 32 bits, and a buffer */
	if (!o->path || !*o->path || !o->nifs || !o->snaplen ||
	    o->snaplen > SF_SNAPLEN_MAX)
		return -EINVAL;
	/* rotation needs file names; -W needs -C or -G, as in tcpdump */
	if (!strcmp(o->path, "-") &&
	    (o->file_size || o->rotate_secs || o->max_files))
		return -EINVAL;
	if (o->max_files && !o->file_size && !o->rotate_secs)
		return -EINVAL;
	sf = calloc(1, sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	sf->o = *o;
	if (!sf->o.nbufs)
		sf->o.nbufs = SF_BUFS_DEFAULT;
	if (!sf->o.buf_size)
		sf->o.buf_size = SF_BUF_SIZE_DEFAULT;
	max_rec = record_len(sf, sf->o.snaplen, true);
	if (sf->o.buf_size < max_rec || sf->o.nbufs > 4096) {
		ret = -EINVAL;
		goto err_free;
	}
	for (n = sf->o.max_files ? sf->o.max_files - 1 : 0; n; n /= 10)
		sf->w_chars++;
	sf->now = o->now ? o->now : time(NULL);
	sf->g_start = sf->now;
	sf->start_ns = realtime_ns();
	sf->hdr_size = build_header(sf, NULL);
	sf->tail_size = sf->o.pcapng ? ISB_LEN * sf->o.nifs : 0;
	sf->bufs = calloc(sf->o.nbufs, sizeof(*sf->bufs));
	sf->mem = malloc((size_t)sf->o.nbufs * sf->o.buf_size);
	sf->queued = calloc(sf->o.nifs, sizeof(*sf->queued));
	sf->written = calloc(sf->o.nifs, sizeof(*sf->written));
	sf->given_up = calloc(sf->o.nifs, sizeof(*sf->given_up));
	sf->frames = calloc((size_t)sf->o.nbufs * sf->o.nifs,
			    sizeof(*sf->frames));
	if (!sf->bufs || !sf->mem || !sf->queued || !sf->written ||
	    !sf->given_up || !sf->frames) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < sf->o.nbufs; i++) {
		sf->bufs[i].mem = sf->mem + (size_t)i * sf->o.buf_size;
		sf->bufs[i].is_buf = true;
		sf->bufs[i].frames = sf->frames + (size_t)i * sf->o.nifs;
	}
	/* every buffer, and a header and a tail for a few files at once */
	ret = io_uring_queue_init(sf->o.nbufs + 16, &sf->ring, 0);
	if (ret)
		goto err_free;
	sf->ring_ok = true;
	ret = open_file(sf, 0, sf->o.file_size ? sf->w_chars : 0);
	if (ret)
		goto err_free;
	*sfp = sf;
	return 0;

err_free:
	sf_free(sf);
	return ret;
}
