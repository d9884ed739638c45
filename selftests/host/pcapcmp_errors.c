// SPDX-License-Identifier: GPL-2.0
/*
 * Files that cannot be read fail cleanly: a missing file, one that is not
 * a capture, a header alone, and a capture cut in the middle of a record
 * all give -EIO with a message naming the file (exit status 2), never a
 * result. A pcapng file is read like a pcap file.
 */
#include <errno.h>
#include <stdio.h>

#include <pcap/dlt.h>

#include "pcapcmp.h"
#include "pcapio.h"
#include "tap.h"
#include "testutil.h"

#define N 20

static uint8_t buf[N][200];
static struct wc_frame fr[N];

static int write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Copy the first n bytes of a file. */
static int cut(const char *from, const char *to, long n)
{
	static uint8_t data[1 << 16];
	FILE *f = fopen(from, "rb");
	size_t got;

	if (!f)
		return -1;
	got = fread(data, 1, sizeof(data), f);
	fclose(f);
	return (long)got < n ? -1 : write_bytes(to, data, n);
}

/*
 * A minimal little-endian pcapng file: section header, one Ethernet
 * interface, and an enhanced packet block for each frame.
 */
static int write_pcapng(const char *path)
{
	static uint8_t out[1 << 16];
	size_t n = 0, i, blk, pad;
	uint32_t v;

#define PUT32(x) do { v = (x); memcpy(out + n, &v, 4); n += 4; } while (0)
#define PUT16(x) do { uint16_t w = (x); memcpy(out + n, &w, 2); n += 2; } while (0)
	PUT32(0x0a0d0d0a); PUT32(28); PUT32(0x1a2b3c4d);
	PUT16(1); PUT16(0); PUT32(0xffffffff); PUT32(0xffffffff); PUT32(28);
	PUT32(1); PUT32(20); PUT16(DLT_EN10MB); PUT16(0); PUT32(0); PUT32(20);
	for (i = 0; i < N; i++) {
		pad = (4 - fr[i].caplen % 4) % 4;
		blk = 32 + fr[i].caplen + pad;
		PUT32(6); PUT32(blk); PUT32(0); PUT32(0); PUT32(i);
		PUT32(fr[i].caplen); PUT32(fr[i].len);
		memcpy(out + n, fr[i].data, fr[i].caplen);
		n += fr[i].caplen;
		memset(out + n, 0, pad);
		n += pad;
		PUT32(blk);
	}
	return write_bytes(path, out, n);
}

int main(void)
{
	struct wc_pcapcmp_opts o = { .max_len = WC_PCAPCMP_MAX_LEN, .max_list = 5 };
	static struct wc_pcapcmp_result r;
	static const char junk[] = "this is not a capture file, just text\n";
	const char *caps[1], *bad[4] = { "nonexistent.pcap", "junk.pcap",
					 "header.pcap", "cut.pcap" };
	int i;
	long d;

	tu_mkdir();
	for (i = 0; i < N; i++) {
		tu_frame(buf[i], 77 + i, 100 + i);
		fr[i] = (struct wc_frame){ buf[i], 100 + i, 100 + i };
	}
	tap_ok(!wc_pcap_write(tu_path("sent.pcap"), DLT_EN10MB, fr, N) &&
	       !write_bytes(tu_path("junk.pcap"), junk, sizeof(junk)) &&
	       !cut(tu_path("sent.pcap"), tu_path("header.pcap"), 24) &&
	       !cut(tu_path("sent.pcap"), tu_path("cut.pcap"), 24 + 3 * 116 + 50) &&
	       !write_pcapng(tu_path("sent.pcapng")), "files written");

	for (i = 0; i < 4; i++) {
		caps[0] = tu_path(bad[i]);
		d = wc_pcapcmp(&o, tu_path("sent.pcap"), caps, 1, &r);
		if (i == 2)	/* a header alone is an empty capture */
			tap_ok(d == N && r.missing == N,
			       "captured %s: a valid empty file, all missing", bad[i]);
		else
			tap_ok(d == -EIO && strstr(r.err, bad[i]),
			       "captured %s: -EIO (%s)", bad[i], r.err);
		d = wc_pcapcmp(&o, tu_path(bad[i]), caps, 1, &r);
		tap_ok(d == -EIO || (i == 2 && d == 0),
		       "%s as the sent file: %s", bad[i],
		       d == -EIO ? r.err : "empty, compares equal to itself");
	}

	caps[0] = tu_path("sent.pcap");
	d = wc_pcapcmp(&o, tu_path("sent.pcapng"), caps, 1, &r);
	tap_ok(d == 0 && r.matched == N, "pcapng sent file vs pcap capture: equal");

	if (!tu_have_tool("wirecap-pcapcmp")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-pcapcmp");
	} else {
		char *cutf[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				 (char *)tu_path("cut.pcap"), NULL };
		char *junkf[] = { "wirecap-pcapcmp", (char *)tu_path("junk.pcap"),
				  (char *)tu_path("sent.pcap"), NULL };
		char *one[] = { "wirecap-pcapcmp", (char *)tu_path("sent.pcap"),
				NULL };

		tap_ok(tu_run(cutf) == 2, "wirecap-pcapcmp: cut capture -> exit 2");
		tap_ok(tu_run(junkf) == 2, "wirecap-pcapcmp: junk sent file -> exit 2");
		tap_ok(tu_run(one) == 2, "wirecap-pcapcmp: one file only -> exit 2");
	}
	tu_cleanup();
	return tap_done();
}
