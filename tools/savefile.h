/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The savefile writer of `wirecap capture` (tools/savefile.c): classic
 * pcap (nanosecond) or pcapng, written through io_uring from a small pool
 * of buffers, with tcpdump's -C/-G/-W rotation.
 *
 * The capture loop copies each frame into the current buffer (the one
 * copy the disk needs); a full buffer is queued as one IORING_OP_WRITE at
 * its file offset, and completions are reaped without waiting. When no
 * buffer is free the frame is given up and counted: capture never waits
 * on the disk. Only sf_end() (and sf_close()) waits, for what is in
 * flight.
 *
 * pcapng: a section header and one interface description block per
 * interface (a captured queue) open every file, rotated ones included;
 * each frame is an enhanced packet block with its queue (epb_queue) and,
 * when the NIC gave one, its Toeplitz RSS hash (epb_hash); each file ends
 * with an interface statistics block per interface, from the stats
 * callback. With -C no file grows beyond the limit (tcpdump lets the last
 * frame cross it), unless a single frame does not fit in an empty file.
 */
#ifndef WIRECAP_TOOLS_SAVEFILE_H
#define WIRECAP_TOOLS_SAVEFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SF_BUFS_DEFAULT		16
#define SF_BUF_SIZE_DEFAULT	(1u << 20)
#define SF_SNAPLEN_MAX		(1u << 30)

/* sf_put(): -G -W has made its last file; stop capturing (tcpdump) */
#define SF_DONE			2

/* One interface's counters for its statistics block (pcapng). */
struct sf_ifstats {
	uint64_t received;	/* isb_ifrecv: the NIC queue received */
	uint64_t dropped;	/* isb_ifdrop: lost before user space */
	uint64_t accepted;	/* isb_filteraccept: kept by the filter */
};

struct sf_opts {
	const char *path;	/* -w; "-": standard output (no rotation) */
	bool pcapng;
	uint32_t snaplen;
	uint64_t file_size;	/* -C, bytes; 0: no limit */
	unsigned int rotate_secs;	/* -G; 0: none */
	unsigned int max_files;	/* -W; 0: none */
	unsigned int nbufs;	/* buffers in the pool (SF_BUFS_DEFAULT) */
	uint32_t buf_size;	/* bytes each (SF_BUF_SIZE_DEFAULT) */
	unsigned int nifs;	/* interfaces (pcapng IDBs), at least 1 */
	const char *const *if_names;	/* nifs names; NULL: "wirecap:N" */
	/* pcapng: the counters of interface i at the end of a file */
	void (*stats)(void *ctx, unsigned int i, struct sf_ifstats *st);
	void *stats_ctx;
	time_t now;		/* the clock at the start; 0: time(NULL) */
};

/* What the writer did so far; per interface and in all. */
struct sf_counts {
	uint64_t written;	/* frames written: their write completed
				 * (all of them, once sf_end() returned 0;
				 * a failed write's frames are in neither
				 * counter) */
	uint64_t given_up;	/* frames dropped: no free buffer, or the
				 * -W ring's next file not yet closed */
	uint64_t bytes;		/* bytes written to all files */
	unsigned int files;	/* files opened */
};

struct savefile;

/*
 * Open the first file. 0 with *sfp set, or -errno (-EINVAL for options
 * that do not go together or a snaplen over SF_SNAPLEN_MAX, -ENOMEM, or
 * what open(2) or io_uring_queue_init said).
 */
int sf_open(struct savefile **sfp, const struct sf_opts *o);

/*
 * The time rotation (-G) and file names (strftime) go by; the caller
 * sets it, once per turn of its loop (wall clock; a test: anything).
 * sf_open() starts from sf_opts.now. Also writes the buffer being
 * filled once it is a second old (by the monotonic clock), so that a
 * quiet capture still reaches the disk.
 */
void sf_set_time(struct savefile *sf, time_t now);

/*
 * One frame of interface iface: 0 queued, 1 given up (no free buffer, or
 * the -W ring's next file still being written), SF_DONE when -G -W has
 * made its last file (stop capturing, as tcpdump does), or -errno after
 * an error writing or opening a file (the first one is also kept for
 * sf_close(); -ENOSPC: the disk is full, -EPIPE: the reader of a pipe
 * went away). Reaps finished writes first, and so never waits. hash is
 * written (pcapng) when has_hash.
 */
int sf_put(struct savefile *sf, unsigned int iface, const uint8_t *data,
	   uint32_t len, uint64_t ts_ns, uint32_t queue, uint32_t hash,
	   bool has_hash);

/* Reap finished writes without waiting (also done by sf_put). */
void sf_poll(struct savefile *sf);

/* Counters for interface iface, or for all with iface = -1. */
void sf_counts(const struct savefile *sf, int iface, struct sf_counts *c);

/*
 * The file being written ("-" for standard output), or after a failed
 * open the file that could not be opened; NULL when neither.
 */
const char *sf_current_name(const struct savefile *sf);

/*
 * Flush, end the file (pcapng statistics blocks), wait for every write
 * and close the files; sf_put() then returns SF_DONE, sf_counts() the
 * final counters. 0, or the first error of the writer's life (-errno).
 */
int sf_end(struct savefile *sf);

/*
 * sf_end(), then free. 0, or the first error of the writer's life
 * (-errno). *c gets the final counters (all interfaces) when c is not
 * NULL.
 */
int sf_close(struct savefile *sf, struct sf_counts *c);

/*
 * -C's argument: a number of 1,000,000 bytes (as tcpdump), or with a k,
 * m or g suffix (also K, M, G): 1024, 1024^2, 1024^3 bytes. 0 or -1.
 */
int sf_parse_size(const char *s, uint64_t *bytes);

#endif
