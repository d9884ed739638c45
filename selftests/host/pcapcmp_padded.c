// SPDX-License-Identifier: GPL-2.0
/*
 * --min-len: a NIC that pads short frames (an 82574 pads to 60 bytes, the
 * minimum Ethernet frame without FCS) hands up a 42-byte ARP as 60 bytes,
 * the tail zeroed. With --min-len 60 a sent frame shorter than 60 is
 * compared as if zero-padded to 60; without it, such a capture differs.
 * A capture padded with anything but zeroes still differs.
 */
#include <string.h>
#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

static uint8_t buf[8][128], padded[8][128];

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	struct wc_frame sent[8], cap[8];
	const char *caps[1];
	int i;
	long d;

	tu_mkdir();
	for (i = 0; i < 8; i++) {
		uint32_t len = i < 4 ? 42 + i : 60 + i;	/* 4 short, 4 not */

		tu_frame(buf[i], 700 + i, sizeof(buf[i]));
		memset(buf[i] + len, 0xee, sizeof(buf[i]) - len);
		memcpy(padded[i], buf[i], len);
		memset(padded[i] + len, 0, sizeof(padded[i]) - len);
		sent[i] = (struct wc_frame){ buf[i], len, len };
		len = len < 60 ? 60 : len;
		cap[i] = (struct wc_frame){ padded[i], len, len };
	}
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, sent, 8) &&
	       !wc_pcap_write(tu_path("cap.pcap"), DLT_EN10MB, cap, 8),
	       "pcaps written");
	caps[0] = tu_path("cap.pcap");

	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 8 && r.missing == 4 && r.extra == 4 && r.matched == 4,
	       "without --min-len the 4 padded frames differ");

	o.min_len = 60;
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 0 && r.matched == 8 && r.sent_padded == 4,
	       "--min-len 60: short sent frames compare zero-padded; equal");

	padded[1][59] = 0x01;		/* padding that is not zero */
	tap_ok(!wc_pcap_write(tu_path("cap2.pcap"), DLT_EN10MB, cap, 8),
	       "pcap with one non-zero pad byte written");
	caps[0] = tu_path("cap2.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
	tap_ok(d == 2 && r.missing == 1 && r.extra == 1,
	       "--min-len 60: non-zero padding still differs");

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *pad[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				(char *)tu_path("cap.pcap"), "--min-len", "60",
				NULL };
		char *nopad[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				  (char *)tu_path("cap.pcap"), NULL };

		tap_ok(tu_run(pad) == 0, "wirecap-pcapcmp --min-len 60 -> exit 0");
		tap_ok(tu_run(nopad) == 1, "wirecap-pcapcmp without it -> exit 1");
	}
	tu_cleanup();
	return tap_done();
}
