// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-bench-softnic: how fast packets go through the software NIC,
 * capture and recycle with nobody processing them, and where the time
 * goes. Runs in the test VM:
 *
 *   wirecap-bench-softnic [--if NIC] [-M cells] [-R chunks] [-n packets]
 *                         [--len bytes] [--batch descs] [--json FILE]
 *
 * Three phases on queue 0, each from a fresh ATTACH:
 *   nic_only      inject n packets into a pool that holds them all, no
 *                 capture thread: the NIC + chunk bookkeeping alone
 *   capture       the same with a capture thread doing CAPTURE + RECYCLE
 *                 through io_uring (one submit per round) while injecting
 *   ioctl         the capture thread uses the ioctls instead
 * For each: packets/s, drops, and CPU time of the injector (kernel: the
 * software NIC and the RX path) and of the capture thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../selftests/wctest.h"
#include "wirecap_uring.h"

struct run {
	struct wct_queue q;
	const char *nic;
	uint64_t n;
	unsigned int len, batch;
	bool uring;
	volatile bool stop;
	uint64_t delivered, captures, recycles;
	double cap_user, cap_sys;
};

static double thread_cpu(double *user, double *sys)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	*user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	*sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return *user + *sys;
}

static void *capture_uring(void *p)
{
	struct run *r = p;
	struct wirecap_desc *rec = calloc(r->batch, sizeof(*rec));
	struct wirecap_uring wu;
	struct io_uring_cqe cqe[4];
	double u0, s0;
	bool parked = false;

	thread_cpu(&u0, &s0);
	if (wirecap_uring_init(&wu, 16, 1) || wirecap_uring_add(&wu, r->q.fd))
		return NULL;
	while (!r->stop || parked) {
		struct wirecap_capture_cmd cc = {
			.desc_head = r->q.head,
			.max_descs = r->batch,
			.timeout_us = 2000,
		};
		int n, i;

		if (!parked) {
			wirecap_uring_capture(&wu, 0, &cc, 0);
			wirecap_uring_submit(&wu);
			parked = true;
			r->captures++;
		}
		n = wirecap_uring_reap(&wu, cqe, 4, 100000);
		for (i = 0; i < n; i++) {
			uint32_t k, got = cqe[i].res > 0 ? cqe[i].res : 0;

			if (WCU_UD_OP(cqe[i].user_data) != WCU_OP_CAPTURE)
				continue;
			parked = false;
			for (k = 0; k < got; k++) {
				rec[k] = *wct_desc(&r->q, k);
				r->delivered += rec[k].pkt_count;
			}
			wct_consume(&r->q, got);
			if (got) {
				struct wirecap_recycle_cmd rc = {
					.descs = (uintptr_t)rec, .count = got,
				};
				/* recycle rides in the next submit */
				wirecap_uring_recycle(&wu, 0, &rc, 1);
				wirecap_uring_submit(&wu);
				r->recycles++;
			}
		}
	}
	wirecap_uring_exit(&wu);
	thread_cpu(&r->cap_user, &r->cap_sys);
	r->cap_user -= u0;
	r->cap_sys -= s0;
	free(rec);
	return NULL;
}

static void *capture_ioctl(void *p)
{
	struct run *r = p;
	struct wirecap_desc *rec = calloc(r->batch, sizeof(*rec));
	double u0, s0;

	thread_cpu(&u0, &s0);
	while (!r->stop) {
		int n = wct_capture(&r->q, r->batch, 2000), k;

		r->captures++;
		for (k = 0; k < n; k++) {
			rec[k] = *wct_desc(&r->q, k);
			r->delivered += rec[k].pkt_count;
		}
		if (n > 0) {
			wct_consume(&r->q, n);
			wct_recycle(&r->q, rec, n);
			r->recycles++;
		}
	}
	thread_cpu(&r->cap_user, &r->cap_sys);
	r->cap_user -= u0;
	r->cap_sys -= s0;
	free(rec);
	return NULL;
}

static int phase(FILE *js, const char *name, struct run *r, uint32_t m,
		 uint32_t rr, void *(*fn)(void *))
{
	struct wirecap_stats st, st0 = wct_stats(&r->q);
	uint64_t t0, t1;
	double iu0, is0, iu1, is1, secs;
	pthread_t t;

	r->stop = false;
	r->delivered = r->captures = r->recycles = 0;
	r->cap_user = r->cap_sys = 0;
	if (wct_attach(&r->q, m, rr))
		return -1;
	if (fn && pthread_create(&t, NULL, fn, r))
		return -1;
	usleep(20000);
	thread_cpu(&iu0, &is0);
	t0 = wct_now_us();
	if (wct_inject(r->nic, 0, r->n, r->len, 0))
		return -1;
	t1 = wct_now_us();
	thread_cpu(&iu1, &is1);
	if (fn) {
		/* let the capture thread drain what is left */
		while (r->delivered < wct_stats(&r->q).received - st0.received &&
		       wct_now_us() - t1 < 3000000)
			usleep(1000);
		r->stop = true;
		pthread_join(t, NULL);
	}
	st = wct_stats(&r->q);
	st.received -= st0.received;
	st.capture_drops -= st0.capture_drops;
	secs = (t1 - t0) / 1e6;
	printf("%-9s %9.0f pkt/s  received %llu  drops %llu  "
	       "inject cpu %.3fs (sys %.3fs)  capture cpu %.3fs (sys %.3fs)  "
	       "captures %llu  recycles %llu\n",
	       name, r->n / secs, (unsigned long long)st.received,
	       (unsigned long long)st.capture_drops,
	       (iu1 - iu0) + (is1 - is0), is1 - is0,
	       r->cap_user + r->cap_sys, r->cap_sys,
	       (unsigned long long)r->captures,
	       (unsigned long long)r->recycles);
	if (js)
		fprintf(js, "%s\"%s\": {\"pps\": %.0f, \"received\": %llu, "
			"\"drops\": %llu, \"inject_cpu_s\": %.4f, "
			"\"capture_cpu_s\": %.4f, \"captures\": %llu, "
			"\"recycles\": %llu}",
			strcmp(name, "nic_only") ? ", " : "", name,
			r->n / secs, (unsigned long long)st.received,
			(unsigned long long)st.capture_drops,
			(iu1 - iu0) + (is1 - is0), r->cap_user + r->cap_sys,
			(unsigned long long)r->captures,
			(unsigned long long)r->recycles);
	wct_unmap(&r->q);
	return ioctl(r->q.fd, WIRECAP_CMD_DETACH) ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "if", required_argument, NULL, 'i' },
		{ "len", required_argument, NULL, 'l' },
		{ "batch", required_argument, NULL, 'b' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { .nic = getenv("WIRECAP_IF"), .n = 1000000, .len = 64,
			 .batch = 64 };
	uint32_t m = 256, rr = 64;
	const char *json = NULL;
	FILE *js = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "i:M:R:n:l:b:j:", opts, NULL)) != -1) {
		switch (c) {
		case 'i': r.nic = optarg; break;
		case 'M': m = atoi(optarg); break;
		case 'R': rr = atoi(optarg); break;
		case 'n': r.n = strtoull(optarg, NULL, 0); break;
		case 'l': r.len = atoi(optarg); break;
		case 'b': r.batch = atoi(optarg); break;
		case 'j': json = optarg; break;
		default:
			fprintf(stderr, "see the comment at the top of %s\n",
				__FILE__);
			return 1;
		}
	}
	if (!r.nic || wct_open(&r.q, r.nic, 0)) {
		fprintf(stderr, "cannot open queue 0 of %s\n", r.nic ? r.nic : "?");
		return 1;
	}
	if (json && !(js = fopen(json, "w")))
		return 1;
	printf("%llu packets of %u bytes, M=%u R=%u, batch %u\n",
	       (unsigned long long)r.n, r.len, m, rr, r.batch);
	if (js)
		fprintf(js, "{\"packets\": %llu, \"len\": %u, \"M\": %u, "
			"\"R\": %u, ", (unsigned long long)r.n, r.len, m, rr);
	/* nic_only needs a pool that holds every packet: at most 256 MiB */
	uint64_t n = r.n;

	r.n = n < 131072 ? n : 131072;
	if (phase(js, "nic_only", &r, m,
		  (r.n + m - 1) / m + r.q.info.ring_size / m, NULL))
		goto err;
	r.n = n;
	if (phase(js, "capture", &r, m, rr, capture_uring) ||
	    phase(js, "ioctl", &r, m, rr, capture_ioctl)) {
		goto err;
	}
	if (js) {
		fprintf(js, "}\n");
		fclose(js);
	}
	wct_close(&r.q);
	return 0;
err:
	perror("bench");
	return 1;
}
