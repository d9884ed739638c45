// SPDX-License-Identifier: GPL-2.0
/*
 * Equal multisets compare equal: a trace against itself, against the same
 * frames spread over two captured files, and with repeated frames (sent
 * twice, captured twice). Exit status 0 from the command line.
 */
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 200

static uint8_t buf[N][1518];
static struct wc_frame fr[N];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	const char *caps[2];
	long d;
	int i;

	tu_mkdir();
	for (i = 0; i < N; i++) {
		/* frames 10..19 repeat frames 0..9: a multiset, not a set */
		int seed = i >= 10 && i < 20 ? i - 10 : i;
		size_t len = 60 + (seed * 37) % 1458;

		tu_frame(buf[i], seed, len);
		fr[i] = (struct wc_frame){ buf[i], len, len };
	}
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N) &&
	       !wc_pcap_write(tu_path("a.pcap"), DLT_EN10MB, fr, N / 2) &&
	       !wc_pcap_write(tu_path("b.pcap"), DLT_EN10MB, fr + N / 2,
			      N - N / 2), "pcaps written");

	caps[0] = tu_path("sent.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 0 && r.sent == N && r.compared == N && r.captured == N &&
	       r.matched == N, "a trace against itself: equal, %llu matched",
	       (unsigned long long)r.matched);

	caps[0] = tu_path("a.pcap");
	caps[1] = tu_path("b.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 2, &r);
	tap_ok(d == 0 && r.matched == N && !r.missing && !r.extra &&
	       !r.duplicated, "split over two captured files: equal");

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *argv[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				 (char *)tu_path("a.pcap"),
				 (char *)tu_path("b.pcap"), NULL };

		tap_ok(tu_run(argv) == 0, "wirecap-pcapcmp: equal -> exit 0");
	}
	tu_cleanup();
	return tap_done();
}
