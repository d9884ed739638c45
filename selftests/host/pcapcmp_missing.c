// SPDX-License-Identifier: GPL-2.0
/*
 * Frames sent but not captured are missing: one frame left out, one copy
 * of a frame sent twice left out, and everything when the capture is
 * empty. Exit status 1 from the command line.
 */
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 100

static uint8_t buf[N][256];
static struct wc_frame fr[N];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	struct wc_frame cap[N];
	const char *caps[1];
	int i, n = 0;
	long d;

	tu_mkdir();
	for (i = 0; i < N; i++) {
		tu_frame(buf[i], i == 51 ? 50 : i, 64 + i);	/* 51 = 50 */
		fr[i] = (struct wc_frame){ buf[i], i == 51 ? 114 : 64 + i,
					   i == 51 ? 114 : 64 + i };
	}
	for (i = 0; i < N; i++)
		if (i != 7 && i != 51)		/* lose #8 and one copy of #51 */
			cap[n++] = fr[i];
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N) &&
	       !wc_pcap_write(tu_path("cap.pcap"), DLT_EN10MB, cap, n) &&
	       !wc_pcap_write(tu_path("empty.pcap"), DLT_EN10MB, cap, 0),
	       "pcaps written");

	caps[0] = tu_path("cap.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 2 && r.missing == 2 && r.matched == N - 2 && !r.extra &&
	       !r.duplicated, "two frames lost (one a second copy): %ld differences, %llu missing",
	       d, (unsigned long long)r.missing);

	caps[0] = tu_path("empty.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == N && r.missing == N && !r.captured,
	       "empty capture: all %d missing", N);

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *argv[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				 (char *)tu_path("cap.pcap"), NULL };

		tap_ok(tu_run(argv) == 1, "wirecap-pcapcmp: missing -> exit 1");
	}
	tu_cleanup();
	return tap_done();
}
