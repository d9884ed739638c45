// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>

#include "wctest.h"
#include "wirecap_uring.h"

static int write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	n = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return n;
}

/* Names under the softnic debugfs dir, as a newline-joined list. */
static void list_nics(char *out, size_t len)
{
	DIR *d = opendir(WIRECAP_SOFTNIC_DIR);
	struct dirent *e;

	out[0] = '\0';
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "wcsim", 5))
			continue;
		strncat(out, e->d_name, len - strlen(out) - 2);
		strcat(out, "\n");
	}
	closedir(d);
}

int wct_nic_new(unsigned int queues, unsigned int ring, char *name)
{
	char before[1024], after[1024], cmd[32], *p;
	int ret;

	list_nics(before, sizeof(before));
	snprintf(cmd, sizeof(cmd), "%u %u", queues, ring);
	ret = write_file(WIRECAP_SOFTNIC_DIR "/new_device", cmd, strlen(cmd));
	if (ret)
		return ret;
	list_nics(after, sizeof(after));
	for (p = strtok(after, "\n"); p; p = strtok(NULL, "\n")) {
		char key[IFNAMSIZ + 2];

		snprintf(key, sizeof(key), "%s\n", p);
		if (!strstr(before, key)) {
			snprintf(name, IFNAMSIZ, "%s", p);
			return 0;
		}
	}
	return -ENOENT;
}

int wct_nic_del(const char *name)
{
	return write_file(WIRECAP_SOFTNIC_DIR "/del_device", name,
			  strlen(name));
}

int wct_nic_fault(const char *nic, const char *knob, unsigned int value)
{
	char path[128], v[16];

	snprintf(path, sizeof(path), WIRECAP_SOFTNIC_DIR "/%s/%s", nic, knob);
	snprintf(v, sizeof(v), "%u", value);
	return write_file(path, v, strlen(v));
}

int wct_write_file(const char *path, const char *text)
{
	return write_file(path, text, strlen(text));
}

int wct_link_netns(const char *ifname, int pid)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req = {
		.nh.nlmsg_type = RTM_NEWLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct rtattr *rta = (struct rtattr *)req.attrs;
	uint32_t p = pid;
	int fd, ret;

	req.ifi.ifi_index = if_nametoindex(ifname);
	if (!req.ifi.ifi_index)
		return -ENODEV;
	rta->rta_type = IFLA_NET_NS_PID;
	rta->rta_len = RTA_LENGTH(sizeof(p));
	memcpy(RTA_DATA(rta), &p, sizeof(p));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) +
			   RTA_ALIGN(rta->rta_len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	ret = send(fd, &req, req.nh.nlmsg_len, 0) < 0 ? -errno : 0;
	if (!ret)
		ret = recv(fd, &ack, sizeof(ack), 0) < 0 ? -errno :
		      ack.nh.nlmsg_type == NLMSG_ERROR ? ack.err.error :
		      -EPROTO;
	close(fd);
	return ret;
}

int wct_link_rename(const char *from, const char *to)
{
	struct ifreq ifr;
	int fd, ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", from);
	snprintf(ifr.ifr_newname, sizeof(ifr.ifr_newname), "%s", to);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCSIFNAME, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

int wct_link_up(const char *ifname, bool up)
{
	struct ifreq ifr;
	char path[128];
	int fd, ret;

	/* no IPv6 autoconfiguration: the stack sends nothing of its own */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 ifname);
	if (up)
		write_file(path, "1", 1);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -errno : 0;
	if (!ret) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	}
	close(fd);
	return ret;
}

int wct_wire_read(const char *nic,
		  void (*fn)(void *ctx, const uint8_t *frame, uint32_t len),
		  void *ctx)
{
	static __thread uint8_t buf[64 * 1024];
	char path[256];
	ssize_t got;
	int fd, n = 0;

	snprintf(path, sizeof(path), WIRECAP_SOFTNIC_DIR "/%s/wire", nic);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		size_t off = 0;

		while (off + 4 <= (size_t)got) {
			uint32_t len;

			memcpy(&len, buf + off, 4);
			if (off + 4 + len > (size_t)got)
				break;		/* whole records only: not so */
			fn(ctx, buf + off + 4, len);
			n++;
			off += 4 + ((len + 3) & ~3u);
		}
	}
	close(fd);
	return got < 0 ? -errno : n;
}

int wct_tap_open(const char *nic)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)if_nametoindex(nic),
	};
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		int ret = -errno;

		close(s);
		return ret;
	}
	return s;
}

int wct_tap_next_out(int s, uint16_t ethertype, uint8_t *buf, size_t size,
		     unsigned int ms)
{
	uint64_t end = wct_now_us() + ms * 1000ull;

	while (wct_now_us() < end) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		if (poll(&pfd, 1, 50) != 1)
			continue;
		n = recvfrom(s, buf, size, 0, (struct sockaddr *)&from, &fl);
		if (n >= 14 && from.sll_pkttype == PACKET_OUTGOING &&
		    (buf[12] << 8 | buf[13]) == ethertype)
			return (int)n;
	}
	return -ETIMEDOUT;
}

static int inject_path(const char *nic, char *path, size_t len)
{
	return snprintf(path, len, WIRECAP_SOFTNIC_DIR "/%s/inject", nic);
}

int wct_inject(const char *nic, int queue, uint64_t count, unsigned int len,
	       uint64_t seq)
{
	struct wirecap_softnic_inject h = {
		.size = sizeof(h),
		.queue = queue,
		.count = count,
		.flags = WIRECAP_SOFTNIC_GEN,
		.gen_len = len,
		.gen_seq = seq,
	};
	char path[128];

	inject_path(nic, path, sizeof(path));
	return write_file(path, &h, sizeof(h));
}

int wct_inject_frames(const char *nic, int queue, const uint8_t *const *frames,
		      const uint32_t *len, unsigned int nr)
{
	struct wirecap_softnic_inject h = {
		.size = sizeof(h),
		.queue = queue,
		.count = nr,
		.nr_frames = nr,
	};
	size_t total = sizeof(h), off;
	char path[128];
	uint8_t *buf;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++)
		total += 4 + ((len[i] + 3) & ~3u);
	buf = calloc(1, total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	off = sizeof(h);
	for (i = 0; i < nr; i++) {
		memcpy(buf + off, &len[i], 4);
		memcpy(buf + off + 4, frames[i], len[i]);
		off += 4 + ((len[i] + 3) & ~3u);
	}
	inject_path(nic, path, sizeof(path));
	ret = write_file(path, buf, total);
	free(buf);
	return ret;
}

int wct_open(struct wct_queue *q, const char *nic, unsigned int ring)
{
	char path[128];

	memset(q, 0, sizeof(*q));
	snprintf(path, sizeof(path), WIRECAP_DEV_DIR "/%s-q%u", nic, ring);
	q->fd = open(path, O_RDWR | O_CLOEXEC);
	if (q->fd < 0)
		return -errno;
	q->info.size = sizeof(q->info);
	if (ioctl(q->fd, WIRECAP_CMD_INFO, &q->info))
		return -errno;
	return 0;
}

int wct_attach(struct wct_queue *q, uint32_t m, uint32_t r)
{
	return wct_attach_cells(q, m, r, 0);
}

int wct_set_mtu(const char *nic, unsigned int mtu)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nic);
	if (ioctl(fd, SIOCSIFMTU, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

int wct_attach_cells(struct wct_queue *q, uint32_t m, uint32_t r,
		     uint32_t cell_size)
{
	return wct_attach_flags(q, m, r, cell_size,
				cell_size ? WIRECAP_ATTACH_MULTI_CELL : 0);
}

int wct_attach_flags(struct wct_queue *q, uint32_t m, uint32_t r,
		     uint32_t cell_size, uint32_t flags)
{
	struct wirecap_attach a = {
		.size = sizeof(a),
		.cells_per_chunk = m,
		.nr_chunks = r,
		.cell_size = cell_size,
		.flags = flags,
	};

	if (ioctl(q->fd, WIRECAP_CMD_ATTACH, &a))
		return -errno;
	q->info.size = sizeof(q->info);
	if (ioctl(q->fd, WIRECAP_CMD_INFO, &q->info))
		return -errno;
	q->ctrl_len = q->info.ctrl_size;
	q->ctrl = mmap(NULL, q->ctrl_len, PROT_READ, MAP_SHARED, q->fd,
		       q->info.ctrl_offset);
	if (q->ctrl == MAP_FAILED)
		return -errno;
	q->pool_len = q->info.pool_size;
	q->pool = mmap(NULL, q->pool_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       q->fd, q->info.pool_offset);
	if (q->pool == MAP_FAILED)
		return -errno;
	q->hdr = q->ctrl;
	q->descs = (void *)((char *)q->ctrl + q->hdr->desc_offset);
	q->meta = (void *)((char *)q->ctrl + q->hdr->meta_offset);
	q->head = 0;
	return 0;
}

void wct_unmap(struct wct_queue *q)
{
	if (q->ctrl && q->ctrl != MAP_FAILED)
		munmap(q->ctrl, q->ctrl_len);
	if (q->pool && q->pool != MAP_FAILED)
		munmap(q->pool, q->pool_len);
	q->ctrl = NULL;
	q->pool = NULL;
}

void wct_close(struct wct_queue *q)
{
	wct_unmap(q);
	if (q->fd > 0)
		close(q->fd);
	q->fd = -1;
}

int wct_capture(struct wct_queue *q, uint32_t max, uint32_t timeout_us)
{
	struct wirecap_capture_cmd cc = {
		.desc_head = q->head,
		.max_descs = max,
		.timeout_us = timeout_us,
	};
	int ret = ioctl(q->fd, WIRECAP_CMD_CAPTURE, &cc);

	return ret < 0 ? -errno : ret;
}

int wct_recycle(struct wct_queue *q, const struct wirecap_desc *d,
		unsigned int n)
{
	struct wirecap_recycle_cmd rc = {
		.descs = (uintptr_t)d,
		.count = n,
	};
	int ret = ioctl(q->fd, WIRECAP_CMD_RECYCLE, &rc);

	return ret < 0 ? -errno : ret;
}

uint32_t wct_tail(const struct wct_queue *q)
{
	return __atomic_load_n(&q->hdr->desc_tail, __ATOMIC_ACQUIRE);
}

struct wirecap_desc *wct_desc(struct wct_queue *q, uint32_t i)
{
	return &q->descs[(q->head + i) & (q->info.desc_ring_size - 1)];
}

void wct_consume(struct wct_queue *q, uint32_t n)
{
	q->head += n;
}

const uint8_t *wct_frame(const struct wct_queue *q, uint32_t chunk,
			 uint32_t cell)
{
	size_t stride = q->info.chunk_bytes ?:
		(size_t)q->info.cells_per_chunk * q->info.cell_size;

	return q->pool + chunk * stride + (size_t)cell * q->info.cell_size +
		q->info.frame_offset;
}

uint64_t wct_frame_seq(const uint8_t *frame)
{
	const uint8_t *f = frame + WIRECAP_SOFTNIC_SEQ_OFF;
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | f[i];
	return v;
}

uint64_t wct_seq(const struct wct_queue *q, uint32_t chunk, uint32_t cell)
{
	return wct_frame_seq(wct_frame(q, chunk, cell));
}

struct wirecap_stats wct_stats(const struct wct_queue *q)
{
	struct wirecap_stats st = { .size = sizeof(st) };

	ioctl(q->fd, WIRECAP_CMD_STATS, &st);
	return st;
}

static long long read_number(const char *path)
{
	char buf[64];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtoll(buf, NULL, 10);
	fclose(f);
	return v;
}

long long wct_sysfs(const char *nic, unsigned int ring, const char *attr)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/wirecap/%s-q%u/%s", nic,
		 ring, attr);
	return read_number(path);
}

uint64_t wct_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

long long wct_pool_pages(void)
{
	return read_number("/sys/kernel/debug/wirecap/pool_pages");
}

int wct_take_in_order(struct wct_queue *q, uint32_t max, uint32_t timeout_us,
		      uint64_t *next, bool recycle)
{
	int n = wct_capture(q, max, timeout_us), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct wirecap_desc d = *wct_desc(q, i);
		unsigned int c;

		for (c = 0; c < d.pkt_count; c++)
			if (wct_seq(q, d.chunk_id, d.first_cell + c) != (*next)++)
				return -1;
		if (recycle && wct_recycle(q, &d, 1) != 1)
			return -1;
	}
	wct_consume(q, n);
	return n;
}

static void *park_thread(void *arg)
{
	struct wct_parked *p = arg;
	struct wirecap_capture_cmd cc = {
		.max_descs = 1, .timeout_us = p->timeout_us,
	};
	struct wirecap_uring wu;
	struct io_uring_cqe cqe;

	if (wirecap_uring_init(&wu, 8, 1))
		return NULL;
	if (wirecap_uring_add(&wu, p->fd) == 0 &&
	    wirecap_uring_capture(&wu, 0, &cc, 0) == 0 &&
	    wirecap_uring_submit(&wu) == 1 &&
	    wirecap_uring_reap(&wu, &cqe, 1, p->timeout_us + 5000000) == 1)
		p->res = cqe.res;
	wirecap_uring_exit(&wu);
	return NULL;
}

int wct_park(struct wct_parked *p, int fd, uint32_t timeout_us)
{
	p->fd = fd;
	p->timeout_us = timeout_us;
	p->res = 1;
	return -pthread_create(&p->thread, NULL, park_thread, p);
}

int wct_park_result(struct wct_parked *p)
{
	pthread_join(p->thread, NULL);
	return p->res;
}

void wct_tool_path(char *path, size_t size, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", path, size - 1);
	char *slash;

	path[n > 0 ? n : 0] = '\0';
	slash = strrchr(path, '/');
	if (n <= 0 || !slash || (size_t)(slash + 1 - path) + strlen(name) >= size)
		snprintf(path, size, "%s", name);	/* from PATH */
	else
		strcpy(slash + 1, name);
}

int wct_spawn(const char *path, const char *out, char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		if (strchr(path, '/'))
			execv(path, argv);
		else
			execvp(path, argv);
		_exit(127);
	}
	return pid;
}

int wct_wait_exit(int pid, unsigned int ms)
{
	int status;

	for (; ms; ms--) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
						   128 + WTERMSIG(status);
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

int wct_wait_attached(const char *nic, unsigned int nr, unsigned int mask,
		      unsigned int ms)
{
	unsigned int q;

	for (; ms; ms--) {
		int all = 1;

		for (q = 0; q < nr; q++)
			if (mask & (1u << q))
				all &= wct_sysfs(nic, q, "attached") == 1;
		if (all) {
			usleep(20000);	/* and its threads started */
			return 0;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

#include <sys/syscall.h>	/* for the helpers below */

int wct_module_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

int wct_module_load(const char *file, const char *params)
{
	const char *dir = getenv("WIRECAP_MODDIR");
	char path[512];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

long long wct_netdev_stat(const char *nic, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", nic,
		 name);
	return read_number(path);
}
