// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI can grow, and its edges hold:
 *  - ioctls are told apart by number, not by the size _IOWR() encodes: a
 *    program built against a bigger struct reaches the same command, the
 *    kernel reads what it knows (the rest must be zero) and says how many
 *    bytes it wrote; ATTACH's size is at least what it needs and at most
 *    a page;
 *  - an io_uring command carries nothing outside its payload (addr, len,
 *    buf_index, the fixed-buffer flag);
 *  - the pool is only mapped shared;
 *  - a huge max_timeout_ms does not wrap INFO's max_timeout_us;
 *  - the software NIC checks a frame count before it allocates for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "wctest.h"
#include "wirecap_uring.h"

#define M 16
#define R 8

WCT_NIC_FIXTURE(ag, 1, 64)

struct attach_v2 {
	struct wirecap_attach a;
	__u64 later[6];		/* fields a newer header might add */
};
#define ATTACH_V2	_IOW(WIRECAP_IOC_MAGIC, 0x01, struct attach_v2)

struct info_v2 {
	struct wirecap_info i;
	__u64 later[6];
};
#define INFO_V2		_IOWR(WIRECAP_IOC_MAGIC, 0x00, struct info_v2)

static int ioc(int fd, unsigned long op, void *arg)
{
	return ioctl(fd, op, arg) ? -errno : 0;
}

TEST_F(ag, bigger_structs)
{
	struct attach_v2 a = { .a.size = sizeof(a), .a.cells_per_chunk = M,
			       .a.nr_chunks = R };
	struct info_v2 i;

	ASSERT_EQ(0, ioc(self->q.fd, ATTACH_V2, &a));
	memset(&i, 0xa5, sizeof(i));
	i.i.size = sizeof(i);
	ASSERT_EQ(0, ioc(self->q.fd, INFO_V2, &i));
	EXPECT_EQ(sizeof(struct wirecap_info), i.i.size);
	EXPECT_EQ(M, i.i.cells_per_chunk);
	EXPECT_EQ(R, i.i.nr_chunks);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, i.later[0]);	/* not written */
	ASSERT_EQ(0, ioc(self->q.fd, WIRECAP_CMD_DETACH, NULL));
	/* a field this kernel does not know, set: refused */
	a.later[5] = 1;
	EXPECT_EQ(-E2BIG, ioc(self->q.fd, ATTACH_V2, &a));
}

TEST_F(ag, attach_size_limits)
{
	size_t big = 2 * 4096;
	struct wirecap_attach *a = calloc(1, big);

	ASSERT_NE(NULL, a);
	a->cells_per_chunk = M;
	a->nr_chunks = R;
	a->size = 4096 + 8;		/* zeroes, but more than a page */
	EXPECT_EQ(-E2BIG, ioc(self->q.fd, WIRECAP_CMD_ATTACH, a));
	a->size = 8;			/* not even M and R */
	EXPECT_EQ(-EINVAL, ioc(self->q.fd, WIRECAP_CMD_ATTACH, a));
	EXPECT_EQ(0, wct_sysfs(self->nic, 0, "attached"));
	a->size = sizeof(*a);
	EXPECT_EQ(0, ioc(self->q.fd, WIRECAP_CMD_ATTACH, a));
	free(a);
}

/* 6.4 and later show a driver the whole SQE. */
static bool kernel_shows_sqe(void)
{
	struct utsname u;
	int maj = 0, min = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &maj, &min);
	return maj > 6 || (maj == 6 && min >= 4);
}

/* One CAPTURE (timeout 0) with sqe fields set by tweak; its result. */
static int capture_sqe(struct wct_queue *q, int field, bool fixed)
{
	struct wirecap_capture_cmd cc = { .max_descs = 1 };
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	static char buf[4096] __attribute__((aligned(4096)));
	struct iovec iov = { buf, sizeof(buf) };
	int res;

	res = io_uring_queue_init(4, &ring, 0);
	if (res)
		return 1000 + res;	/* not a result CAPTURE can have */
	if (fixed) {
		res = io_uring_register_buffers(&ring, &iov, 1);
		if (res) {
			io_uring_queue_exit(&ring);
			return 2000 + res;
		}
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, q->fd, NULL, 0, 0);
	sqe->cmd_op = WIRECAP_CMD_CAPTURE;
	memcpy(sqe->cmd, &cc, sizeof(cc));
	switch (field) {
	case 1: sqe->addr = 1; break;
	case 2: sqe->len = 1; break;
	case 3: sqe->buf_index = 1; break;
	}
	if (fixed)
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	io_uring_submit(&ring);
	res = io_uring_wait_cqe(&ring, &cqe) ? -ETIME : cqe->res;
	io_uring_queue_exit(&ring);
	return res;
}

TEST_F(ag, sqe_fields_outside_the_payload)
{
	int want = kernel_shows_sqe() ? -EINVAL : 0;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	EXPECT_EQ(0, capture_sqe(&self->q, 0, false));
	EXPECT_EQ(want, capture_sqe(&self->q, 1, false));
	EXPECT_EQ(want, capture_sqe(&self->q, 2, false));
	EXPECT_EQ(want, capture_sqe(&self->q, 3, false));
	/* every kernel shows the flag */
	EXPECT_EQ(-EINVAL, capture_sqe(&self->q, 0, true));
}

TEST_F(ag, pool_only_shared)
{
	void *p;

	ASSERT_EQ(0, wct_attach(&self->q, M, R));
	p = mmap(NULL, self->q.pool_len, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->q.fd, self->q.info.pool_offset);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	if (p != MAP_FAILED)
		munmap(p, self->q.pool_len);
	p = mmap(NULL, self->q.ctrl_len, PROT_READ, MAP_PRIVATE, self->q.fd,
		 self->q.info.ctrl_offset);
	EXPECT_EQ(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, self->q.ctrl_len);
}

/* A read-only file maps the read-only control area shared. */
TEST_F(ag, read_only_file_maps_shared)
{
	struct wirecap_attach a = { .size = sizeof(a), .cells_per_chunk = M,
				    .nr_chunks = R };
	char path[96];
	void *p;
	int fd;

	wct_close(&self->q);
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q0", self->nic);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	self->q.fd = fd;
	self->q.info.size = sizeof(self->q.info);
	ASSERT_EQ(0, ioc(fd, WIRECAP_CMD_INFO, &self->q.info));
	ASSERT_EQ(0, ioc(fd, WIRECAP_CMD_ATTACH, &a));
	ASSERT_EQ(0, ioc(fd, WIRECAP_CMD_INFO, &self->q.info));
	p = mmap(NULL, self->q.info.ctrl_size, PROT_READ, MAP_SHARED, fd,
		 self->q.info.ctrl_offset);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, self->q.info.ctrl_size);
}

#define MAXTO	"/sys/module/wirecap/parameters/max_timeout_ms"

TEST_F(ag, huge_max_timeout)
{
	struct wirecap_info i = { .size = sizeof(i) };
	char old[32] = "";
	FILE *f = fopen(MAXTO, "r");

	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	ASSERT_EQ(0, wct_write_file(MAXTO, "5000000"));	/* 5e9 us */
	EXPECT_EQ(0, ioc(self->q.fd, WIRECAP_CMD_INFO, &i));
	EXPECT_EQ(UINT32_MAX, i.max_timeout_us);
	wct_write_file(MAXTO, old);
}

TEST_F(ag, softnic_frame_count_checked)
{
	struct {
		struct wirecap_softnic_inject h;
		__u32 len;
		__u8 frame[64];
	} w = {
		.h = { .size = sizeof(w.h), .queue = 0, .count = 1,
		       .nr_frames = 0xffffffff },
		.len = 64,
	};
	char path[128];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), WIRECAP_SOFTNIC_DIR "/%s/inject",
		 self->nic);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	n = write(fd, &w, sizeof(w));
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
