// SPDX-License-Identifier: GPL-2.0
/*
 * Captured frames beyond what was sent: a frame captured twice is a
 * duplicate, a frame never sent is extra, and a frame captured on two
 * queues (two files) counts twice. Exit status 1 from the command line.
 */
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 50

static uint8_t buf[N + 1][512];
static struct wc_frame fr[N + 1];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	struct wc_frame cap[N + 2];
	const char *caps[2];
	long d;
	int i;

	tu_mkdir();
	for (i = 0; i <= N; i++) {
		tu_frame(buf[i], 1000 + i, 60 + 8 * i);
		fr[i] = (struct wc_frame){ buf[i], 60 + 8 * i, 60 + 8 * i };
	}
	/* captured: all N, frame 3 again, and frame N that was never sent */
	for (i = 0; i < N; i++)
		cap[i] = fr[i];
	cap[N] = fr[3];
	cap[N + 1] = fr[N];
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N) &&
	       !wc_pcap_write(tu_path("cap.pcap"), DLT_EN10MB, cap, N + 2) &&
	       !wc_pcap_write(tu_path("q0.pcap"), DLT_EN10MB, fr, N) &&
	       !wc_pcap_write(tu_path("q1.pcap"), DLT_EN10MB, fr + 10, 1),
	       "pcaps written");

	caps[0] = tu_path("cap.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 2 && r.duplicated == 1 && r.extra == 1 && !r.missing &&
	       r.matched == N, "one duplicate and one never-sent frame: %ld differences", d);

	caps[0] = tu_path("q0.pcap");
	caps[1] = tu_path("q1.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 2, &r);
	tap_ok(d == 1 && r.duplicated == 1 && !r.extra && !r.missing,
	       "the same frame on two queues: one duplicate");

	/* the sent file as "captured" twice over */
	caps[0] = tu_path("sent.pcap");
	caps[1] = tu_path("sent.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 2, &r);
	tap_ok(d == N && r.duplicated == N && r.matched == N,
	       "everything captured twice: %d duplicates", N);

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *argv[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				 (char *)tu_path("cap.pcap"), NULL };

		tap_ok(tu_run(argv) == 1, "wirecap-pcapcmp: duplicated -> exit 1");
	}
	tu_cleanup();
	return tap_done();
}
