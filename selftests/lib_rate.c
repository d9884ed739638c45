// SPDX-License-Identifier: GPL-2.0
/*
 * Packets per second through libwirecap on the software NIC, timed like
 * bench/softnic_rate.c: the injector writes N packets while the capture
 * thread(s) and one application thread per queue run; the rate is N over
 * the injection time, and "end to end" is until the application has the
 * last packet. The application reads every packet's metadata (length,
 * sequence number) and releases each chunk. Checks: nothing delivered
 * twice or out of order, delivered + capture_drops = sent, every chunk
 * recycled. The numbers go to the TAP log.
 *
 *   one_queue    M=256 R=64, 1 capture thread, 1 application thread
 *   four_queues  RSS over 4 queues, 2 capture threads, 4 app threads
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap.h"

#define N	1000000ull
#define M	256
#define R	64

struct app {
	struct wirecap_queue *q;
	volatile int stop;
	uint64_t pkts, chunks, bytes;
	uint64_t last_seq, bad;
	uint64_t t_last;	/* when the last packet came */
	double cpu;
};

static double thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double proc_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void *app_thread(void *arg)
{
	struct app *a = arg;
	struct wirecap_chunk c;
	struct wirecap_pkt p;
	double c0 = thread_cpu();

	a->last_seq = ~0ull;
	while (!a->stop) {
		unsigned int i, n;
		int ret = wirecap_next_chunk(a->q, &c, 100);

		if (ret < 0)
			break;
		if (!ret)
			continue;
		n = wirecap_chunk_count(&c);
		for (i = 0; i < n; i++) {
			uint64_t seq;

			wirecap_chunk_pkt(&c, i, &p);
			seq = wct_frame_seq(p.data);
			/* drops leave gaps; never twice, never backwards */
			if (a->last_seq != ~0ull && seq <= a->last_seq)
				a->bad++;
			a->last_seq = seq;
			a->bytes += p.len;
		}
		a->pkts += n;
		a->chunks++;
		a->t_last = wct_now_us();
		wirecap_chunk_release(&c);
	}
	a->cpu = thread_cpu() - c0;
	return NULL;
}

static void run(struct __test_metadata *_metadata, const char *nic,
		const unsigned int *queues, unsigned int nq,
		unsigned int threads, int inject_queue)
{
	WIRECAP_OPTS(o, .cells_per_chunk = M, .nr_chunks = R,
		     .capture_threads = threads);
	struct app app[4] = { 0 };
	pthread_t t[4];
	uint64_t t0, t1, recv = 0, drops = 0, got = 0, last = 0, until;
	double cpu0, inj0, inj, total, apps = 0;
	struct wirecap *w;
	unsigned int i;

	w = wirecap_open(nic, queues, nq, &o);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, wirecap_start(w));
	for (i = 0; i < nq; i++) {
		app[i].q = wirecap_queue(w, i);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, app_thread, &app[i]));
	}
	usleep(20000);
	cpu0 = proc_cpu();
	inj0 = thread_cpu();
	t0 = wct_now_us();
	ASSERT_EQ(0, wct_inject(nic, inject_queue, N, 64, 0));
	t1 = wct_now_us();
	inj = thread_cpu() - inj0;
	/* until everything received was delivered (or 10 s) */
	until = t1 + 10000000;
	for (;;) {
		recv = drops = 0;
		for (i = 0; i < nq; i++) {
			struct wirecap_qstats st = { .sz = sizeof(st) };

			wirecap_queue_stats(app[i].q, &st);
			recv += st.kernel.received;
			drops += st.kernel.capture_drops;
		}
		got = 0;
		for (i = 0; i < nq; i++)
			got += __atomic_load_n(&app[i].pkts, __ATOMIC_RELAXED);
		if (got >= recv || wct_now_us() > until)
			break;
		usleep(1000);
	}
	for (i = 0; i < nq; i++) {
		app[i].stop = 1;
		pthread_join(t[i], NULL);
		apps += app[i].cpu;
		if (app[i].t_last > last)
			last = app[i].t_last;
	}
	total = proc_cpu() - cpu0;
	TH_LOG("%u queue(s), %u capture thread(s): %.0f pkt/s injected, "
	       "%.0f pkt/s end to end; received %llu, capture_drops %llu "
	       "(%.2f%%)", nq, threads, N / ((t1 - t0) / 1e6),
	       got / ((last - t0) / 1e6), (unsigned long long)recv,
	       (unsigned long long)drops, 100.0 * drops / N);
	TH_LOG("cpu: injector %.3f s, capture thread(s) %.3f s, application "
	       "%.3f s", inj, total - inj - apps, apps);
	EXPECT_EQ(N, recv + drops);
	EXPECT_EQ(recv, got);
	for (i = 0; i < nq; i++) {
		struct wirecap_qstats st = { .sz = sizeof(st) };

		EXPECT_EQ(0, app[i].bad);
		wirecap_queue_stats(app[i].q, &st);
		EXPECT_EQ(0, st.recycle_refused);
		TH_LOG("queue %u: %llu packets in %llu chunks (%llu partial), "
		       "%llu CAPTUREs, capture queue full %llu times, app "
		       "slept %llu times", wirecap_queue_ring(app[i].q),
		       (unsigned long long)app[i].pkts,
		       (unsigned long long)app[i].chunks,
		       (unsigned long long)st.kernel.partial_views,
		       (unsigned long long)st.captures,
		       (unsigned long long)st.capq_full,
		       (unsigned long long)st.app_sleeps);
	}
	wirecap_close(w);
}

FIXTURE(rate) {
	char nic[16];
};

FIXTURE_SETUP(rate)
{
	ASSERT_EQ(0, wct_nic_new(4, 1024, self->nic));
}

FIXTURE_TEARDOWN(rate)
{
	wct_nic_del(self->nic);
}

TEST_F_TIMEOUT(rate, one_queue, 120)
{
	unsigned int q0 = 0;

	run(_metadata, self->nic, &q0, 1, 1, 0);
}

TEST_F_TIMEOUT(rate, four_queues, 120)
{
	unsigned int all[4] = { 0, 1, 2, 3 };

	run(_metadata, self->nic, all, 4, 2, WIRECAP_SOFTNIC_RSS);
}

TEST_HARNESS_MAIN
