// SPDX-License-Identifier: GPL-2.0
/*
 * What the comparison leaves out of the sent file: records cut by the
 * trace's snaplen (caplen < len: never on the wire as stored) and frames
 * longer than --max-len (did not fit the link; 1518 by default, and a
 * 1518-byte frame does fit). Both are counted. The same is left out of the
 * captured files (and counted there), so a trace equals itself; a capture
 * cut by its snaplen leaves every frame missing.
 */
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

static uint8_t buf[16][2100];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	struct wc_frame sent[14], cap[16];
	const char *caps[1];
	int i, n;
	long d;

	tu_mkdir();
	for (i = 0; i < 14; i++)
		tu_frame(buf[i], 500 + i, 2100);
	for (i = 0; i < 10; i++)
		sent[i] = (struct wc_frame){ buf[i], 100, 100 };
	sent[10] = (struct wc_frame){ buf[10], 60, 100 };	/* snapped */
	sent[11] = (struct wc_frame){ buf[11], 2000, 2000 };	/* too long */
	sent[12] = (struct wc_frame){ buf[12], 1518, 1518 };	/* just fits */
	sent[13] = (struct wc_frame){ buf[13], 1519, 1519 };	/* 1 too many */
	for (i = 0, n = 0; i < 14; i++)
		if (i != 10 && i != 11 && i != 13)
			cap[n++] = sent[i];
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, sent, 14) &&
	       !wc_pcap_write(tu_path("cap.pcap"), DLT_EN10MB, cap, n),
	       "pcaps written");
	cap[n] = sent[11];
	cap[n + 1] = (struct wc_frame){ buf[0], 60, 100 };	/* snapped capture */
	tap_ok(!wc_pcap_write(tu_path("cap2.pcap"), DLT_EN10MB, cap, n + 2),
	       "pcap with a long and a snapped captured frame written");
	for (i = 0; i < n; i++)
		cap[i].caplen = 64;
	tap_ok(!wc_pcap_write(tu_path("snapped.pcap"), DLT_EN10MB, cap, n),
	       "pcap with a 64-byte snaplen written");

	caps[0] = tu_path("cap.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 0 && r.sent == 14 && r.sent_truncated == 1 &&
	       r.sent_too_long == 2 && r.compared == 11 && r.matched == 11,
	       "snapped record and 1519/2000-byte frames left out and counted; equal");

	caps[0] = tu_path("cap2.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 0 && r.captured_too_long == 1 && r.captured_truncated == 1 &&
	       r.captured_compared == (uint64_t)n && r.matched == 11,
	       "captured too-long and snapped records: left out the same way, counted");

	caps[0] = tu_path("snapped.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 11 && r.missing == 11 && r.captured_truncated == (uint64_t)n,
	       "a capture with too small a snaplen: everything missing");

	o.max_len = 2000;
	caps[0] = tu_path("cap.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 2 && r.missing == 2 && r.sent_too_long == 0 &&
	       r.compared == 13, "--max-len 2000: the long frames count, 2 missing");

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *def[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				(char *)tu_path("cap.pcap"), NULL };
		char *big[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				(char *)tu_path("cap.pcap"), "--max-len", "2000",
				NULL };
		char *bad[] = { "wirecap-pcapcmp", "--max-len", "x",
				(char *)tu_path("sent.pcap"),
				(char *)tu_path("cap.pcap"), NULL };

		tap_ok(tu_run(def) == 0, "wirecap-pcapcmp: default --max-len -> exit 0");
		tap_ok(tu_run(big) == 1, "wirecap-pcapcmp --max-len 2000 -> exit 1");
		tap_ok(tu_run(bad) == 2, "wirecap-pcapcmp --max-len x -> exit 2");
	}
	tu_cleanup();
	return tap_done();
}
