// SPDX-License-Identifier: GPL-2.0
/*
 * wirecap-rss split and check on a trace written here: split predicts the
 * per-queue counts (checked against hashes computed from the tuples
 * directly), its per-queue files pass check, and check catches packets on
 * the wrong queue and unhashed packets off the unclassified queue. Then
 * the command line's exit status: 0 all placed, 1 misplaced, 2 errors.
 */
#include <errno.h>
#include <stdio.h>

#include <pcap/dlt.h>

#include "pcapio.h"
#include "rss_check.h"
#include "tap.h"
#include "testpkt.h"
#include "testutil.h"

#define NFLOWS4	60
#define NFLOWS6	20
#define NARP	3
#define NPKT	(2 * NFLOWS4 + NFLOWS6 + NARP)

static struct tp pkt[NPKT];
static unsigned int want_q[NPKT];	/* queue from the tuple; 0 for ARP */

static void build(const struct wc_rss_conf *c)
{
	static const uint16_t vlan[] = { 0x8100 };
	uint8_t in[36];
	char src[64];
	size_t k = 0, n;
	int i;

	for (i = 0; i < NFLOWS4; i++, k++) {	/* TCP, two per flow */
		snprintf(src, sizeof(src), "10.0.%d.%d", i / 7, i % 7 + 1);
		tp_eth(&pkt[k], i % 5 ? NULL : vlan, i % 5 ? 0 : 1, 0x0800);
		tp_ipv4(&pkt[k], src, "10.9.9.9", 6, 0x4000);
		tp_l4(&pkt[k], 6, 30000 + i, 80);
		n = tp_tuple(AF_INET, src, "10.9.9.9", 1, 30000 + i, 80, in);
		want_q[k] = c->table[wc_toeplitz(c->key, c->key_len, in, n) %
				     c->table_len];
		pkt[k + 1] = pkt[k];
		want_q[k + 1] = want_q[k];
		k++;
	}
	for (i = 0; i < NFLOWS6; i++, k++) {	/* UDP over IPv6 */
		snprintf(src, sizeof(src), "2001:db8::%x", i + 1);
		tp_eth(&pkt[k], NULL, 0, 0x86dd);
		tp_ipv6(&pkt[k], src, "2001:db8::ffff", 17);
		tp_l4(&pkt[k], 17, 5000 + i, 53);
		n = tp_tuple(AF_INET6, src, "2001:db8::ffff", 1, 5000 + i, 53,
			     in);
		want_q[k] = c->table[wc_toeplitz(c->key, c->key_len, in, n) %
				     c->table_len];
	}
	for (i = 0; i < NARP; i++, k++) {
		tp_eth(&pkt[k], NULL, 0, 0x0806);
		tp_put(&pkt[k], 28)[27] = i;
		want_q[k] = c->unclassified;
	}
}

static int write_trace(const char *path)
{
	struct wc_frame fr[NPKT];
	int i;

	for (i = 0; i < NPKT; i++)
		fr[i] = (struct wc_frame){ pkt[i].b, pkt[i].len, pkt[i].len };
	return wc_pcap_write(path, DLT_EN10MB, fr, NPKT);
}

int main(void)
{
	static struct wc_rss_conf c;
	static struct wc_rss_split_result sr;
	struct wc_rss_file_result res[4];
	const char *files[4];
	uint64_t count[4] = { 0 };
	char err[1024], prefix[512];
	int i, good;
	long bad;

	tu_mkdir();
	wc_rss_conf_default(&c);
	build(&c);
	tap_ok(write_trace(tu_path("trace.pcap")) == 0, "trace written");

	/* split: the counts computed from the tuples */
	snprintf(prefix, sizeof(prefix), "%s", tu_path("q"));
	tap_ok(wc_rss_split(&c, tu_path("trace.pcap"), prefix, &sr, err,
			    sizeof(err)) == 0, "split: %s", "runs");
	for (i = 0; i < NPKT; i++)
		count[want_q[i]]++;
	good = sr.packets == NPKT && sr.nohash == NARP && sr.nqueues == 4;
	for (i = 0; i < 4; i++)
		good &= sr.per_queue[i] == count[i];
	tap_ok(good, "split: %llu/%llu/%llu/%llu packets per queue, as the tuples say",
	       (unsigned long long)sr.per_queue[0],
	       (unsigned long long)sr.per_queue[1],
	       (unsigned long long)sr.per_queue[2],
	       (unsigned long long)sr.per_queue[3]);
	good = 1;
	for (i = 0; i < 4; i++)
		good &= count[i] > 0;
	tap_ok(good, "every queue gets packets (the test means something)");

	/* check: split's files are all where they belong */
	for (i = 0; i < 4; i++)
		files[i] = tu_path((const char *[]){ "q-q0.pcap", "q-q1.pcap",
						     "q-q2.pcap", "q-q3.pcap" }[i]);
	bad = wc_rss_check(&c, files, 4, res, err, sizeof(err));
	good = bad == 0;
	for (i = 0; i < 4; i++)
		good &= res[i].packets == count[i] && !res[i].misplaced;
	tap_ok(good && res[0].nohash == NARP && !res[0].nohash_misplaced,
	       "check: split's files pass, ARP on the unclassified queue 0");

	/* two queues swapped: all of their packets misplaced */
	{
		const char *sw[4] = { files[1], files[0], files[2], files[3] };

		bad = wc_rss_check(&c, sw, 4, res, err, sizeof(err));
		tap_ok(bad == (long)(count[0] + count[1]) &&
		       res[1].nohash_misplaced == NARP &&
		       res[0].misplaced == count[1],
		       "check: queues 0 and 1 swapped -> %ld misplaced", bad);
	}

	/* the unclassified queue elsewhere: the ARP frames are misplaced */
	c.unclassified = 2;
	bad = wc_rss_check(&c, files, 4, res, err, sizeof(err));
	tap_ok(bad == NARP && res[0].nohash_misplaced == NARP,
	       "check: --unclassified 2 -> the %d ARP frames on queue 0 misplaced",
	       NARP);
	c.unclassified = 0;

	/* another table: most packets move */
	c.table_len = 64;
	for (i = 0; i < 64; i++)
		c.table[i] = (i + 1) % 4;
	bad = wc_rss_check(&c, files, 4, res, err, sizeof(err));
	tap_ok(bad > NPKT / 2, "check: a rotated table -> %ld misplaced", bad);
	wc_rss_conf_default(&c);

	/* errors */
	files[2] = tu_path("nonexistent.pcap");
	tap_ok(wc_rss_check(&c, files, 4, res, err, sizeof(err)) == -EIO &&
	       strstr(err, "nonexistent.pcap"),
	       "check: a missing file -> -EIO (%s)", err);
	c.model = WC_RSS_MODEL_QEMU;
	c.table_len = 96;
	tap_ok(wc_rss_conf_valid(&c, err, sizeof(err)) == -EINVAL,
	       "qemu model refuses a 96-entry table (%s)", err);
	c.table_len = 256;
	tap_ok(wc_rss_conf_valid(&c, err, sizeof(err)) == -EINVAL,
	       "qemu model refuses a 256-entry table");
	c.table_len = 128;
	tap_ok(wc_rss_conf_valid(&c, err, sizeof(err)) == 0,
	       "qemu model takes a 128-entry table");
	wc_rss_conf_default(&c);
	tap_ok(wc_rss_parse_table(&c, "0,1,2,3,3,2,1,0") == 0 &&
	       c.table_len == 8 && c.table[5] == 2, "table list parsed");
	tap_ok(wc_rss_parse_table(&c, "16:3") == 0 && c.table_len == 16 &&
	       c.table[4] == 1, "table N:Q parsed");
	tap_ok(wc_rss_parse_table(&c, "1,,2") == -EINVAL &&
	       wc_rss_parse_table(&c, "0:4") == -EINVAL &&
	       wc_rss_parse_table(&c, "70000") == -EINVAL,
	       "bad tables refused");

	/* the command line */
	if (!tu_have_tool("wirecap-rss")) {
		tap_skip("no " WC_HOST_BIN "/wirecap-rss");
	} else {
		char *ok[] = { "wirecap-rss", "check", (char *)files[0],
			       (char *)tu_path("q-q1.pcap"),
			       (char *)tu_path("q-q2.pcap"),
			       (char *)tu_path("q-q3.pcap"), NULL };
		char *swapped[] = { "wirecap-rss", "check",
				    (char *)tu_path("q-q1.pcap"),
				    (char *)files[0], NULL };
		char *missing[] = { "wirecap-rss", "check",
				    (char *)tu_path("nonexistent.pcap"), NULL };
		char *badopt[] = { "wirecap-rss", "--types", "ipv7", "check",
				   (char *)files[0], NULL };
		char *qemu[] = { "wirecap-rss", "--model", "qemu", "--table",
				 "0,1,2", "split", (char *)tu_path("trace.pcap"),
				 NULL };
		char *split[] = { "wirecap-rss", "--table", "8:2", "split",
				  (char *)tu_path("trace.pcap"), "--write",
				  (char *)tu_path("two"), NULL };
		char *two[] = { "wirecap-rss", "--table", "8:2", "check",
				(char *)tu_path("two-q0.pcap"),
				(char *)tu_path("two-q1.pcap"), NULL };

		tap_ok(tu_run(ok) == 0, "wirecap-rss check: all placed -> exit 0");
		tap_ok(tu_run(swapped) == 1, "wirecap-rss check: misplaced -> exit 1");
		tap_ok(tu_run(missing) == 2, "wirecap-rss check: missing file -> exit 2");
		tap_ok(tu_run(badopt) == 2, "wirecap-rss: bad --types -> exit 2");
		tap_ok(tu_run(qemu) == 2, "wirecap-rss --model qemu: 3-entry table -> exit 2");
		tap_ok(tu_run(split) == 0 && tu_run(two) == 0,
		       "wirecap-rss split --write, then check those files -> exit 0");
	}
	tu_cleanup();
	return tap_done();
}
