// SPDX-License-Identifier: GPL-2.0
/*
 * Order does not matter: the sent frames captured in reverse, and dealt
 * round-robin over four queue files, compare equal. Changing one byte of
 * one frame does not: one missing, one extra.
 */
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 400

static uint8_t buf[N][300];
static struct wc_frame fr[N], rev[N], q[4][N];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	const char *caps[4];
	int nq[4] = { 0 };
	uint8_t saved;
	long d;
	int i;

	tu_mkdir();
	for (i = 0; i < N; i++) {
		tu_frame(buf[i], 7 * i, 60 + i % 240);
		fr[i] = (struct wc_frame){ buf[i], 60 + i % 240, 60 + i % 240 };
		rev[N - 1 - i] = fr[i];
	}
	for (i = 0; i < N; i++)		/* 13 is prime to N: a permutation */
		q[i % 4][nq[i % 4]++] = fr[(i * 13) % N];
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N) &&
	       !wc_pcap_write(tu_path("rev.pcap"), DLT_EN10MB, rev, N) &&
	       !wc_pcap_write(tu_path("q0.pcap"), DLT_EN10MB, q[0], nq[0]) &&
	       !wc_pcap_write(tu_path("q1.pcap"), DLT_EN10MB, q[1], nq[1]) &&
	       !wc_pcap_write(tu_path("q2.pcap"), DLT_EN10MB, q[2], nq[2]) &&
	       !wc_pcap_write(tu_path("q3.pcap"), DLT_EN10MB, q[3], nq[3]),
	       "pcaps written");

	caps[0] = tu_path("rev.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 0 && r.matched == N, "reversed: equal");

	for (i = 0; i < 4; i++)
		caps[i] = tu_path((const char *[]){ "q0.pcap", "q1.pcap",
						    "q2.pcap", "q3.pcap" }[i]);
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 4, &r);
	tap_ok(d == 0 && r.matched == N && r.captured == N,
	       "shuffled over four queue files: equal");

	/* one byte of one frame changed */
	saved = buf[123][100];
	buf[123][100] ^= 0x01;
	tap_ok(!wc_pcap_write(tu_path("flip.pcap"), DLT_EN10MB, rev, N),
	       "pcap with one flipped bit written");
	buf[123][100] = saved;
	caps[0] = tu_path("flip.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 2 && r.missing == 1 && r.extra == 1,
	       "one flipped bit: one missing, one extra");

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *argv[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				 (char *)caps[0], NULL };
		char *eq[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
			       (char *)tu_path("q0.pcap"), (char *)tu_path("q1.pcap"),
			       (char *)tu_path("q2.pcap"), (char *)tu_path("q3.pcap"),
			       NULL };

		tap_ok(tu_run(eq) == 0, "wirecap-pcapcmp: shuffled -> exit 0");
		tap_ok(tu_run(argv) == 1, "wirecap-pcapcmp: flipped bit -> exit 1");
	}
	tu_cleanup();
	return tap_done();
}
