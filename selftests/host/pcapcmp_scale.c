// SPDX-License-Identifier: GPL-2.0
/*
 * 100,000 frames of 60..1514 bytes (a tenth of them repeated), captured in
 * another order over four files, compare equal in well under a few
 * seconds; with every 1000th frame dropped, exactly those are missing.
 */
#include <stdlib.h>
#include <time.h>

#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 100000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 3 };
	static struct wc_pcapcmp_result r;
	struct wc_frame *fr, *q[4];
	const char *caps[4];
	size_t nq[4] = { 0 }, len, i;
	uint8_t *mem;
	double t;
	long d;
	int ok = 1, k;

	tu_mkdir();
	mem = malloc((size_t)N * 1514);
	fr = calloc(N, sizeof(*fr));
	for (k = 0; k < 4; k++)
		q[k] = calloc(N, sizeof(*q[k]));
	if (!mem || !fr || !q[0] || !q[1] || !q[2] || !q[3]) {
		printf("1..0 # SKIP out of memory\n");
		return 4;
	}
	for (i = 0; i < N; i++) {
		uint32_t seed = i % 10 == 9 ? i - 1 : i;	/* repeats */

		len = 60 + (seed * 7919) % 1455;
		tu_frame(mem + i * 1514, seed, len);
		fr[i] = (struct wc_frame){ mem + i * 1514, len, len };
	}
	for (i = 0; i < N; i++) {
		size_t j = (i * 7) % N;		/* 7 is prime to N */

		k = (fr[j].data[20] ^ fr[j].data[21]) & 3;
		q[k][nq[k]++] = fr[j];
	}
	ok &= !wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N);
	for (k = 0; k < 4; k++) {
		char name[16];

		snprintf(name, sizeof(name), "q%d.pcap", k);
		caps[k] = tu_path(name);
		ok &= !wc_pcap_write(caps[k], DLT_EN10MB, q[k], nq[k]);
	}
	tap_ok(ok, "100000 frames written, %zu/%zu/%zu/%zu per queue",
	       nq[0], nq[1], nq[2], nq[3]);

	t = now();
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 4, &r);
	t = now() - t;
	tap_ok(d == 0 && r.matched == N, "equal (%.2f s)", t);
	tap_ok(t < 10, "100000 frames compared in %.2f s (< 10)", t);

	/* drop every 1000th captured frame of queue 0 */
	for (i = 0, len = 0; i < nq[0]; i++)
		if (i % 1000)
			q[0][len++] = q[0][i];
	ok = !wc_pcap_write(caps[0], DLT_EN10MB, q[0], len);
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 4, &r);
	tap_ok(ok && r.missing == nq[0] - len && d == (long)(nq[0] - len) &&
	       !r.extra && !r.duplicated, "%zu dropped -> %llu missing",
	       nq[0] - len, (unsigned long long)r.missing);

	free(mem);
	free(fr);
	for (k = 0; k < 4; k++)
		free(q[k]);
	tu_cleanup();
	return tap_done();
}
