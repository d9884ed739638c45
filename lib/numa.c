// SPDX-License-Identifier: BSD-2-Clause
/*
 * Placement on the NIC's NUMA node with libnuma: capture threads run on
 * the node's CPUs, work queues live in its memory. When libnuma says NUMA
 * is unavailable (numa_available() < 0), or no node is wanted (-1),
 * nothing is placed and memory comes from anywhere.
 *
 * Memory is mmap()ed and given a preferred-node policy with mbind() before
 * it is first touched, rather than numa_alloc_onnode(): the same pages,
 * but failures come back as return values (libnuma reports some of its own
 * on stderr, and this library never prints).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static int numa_ok(void)
{
	static int ok = -1;	/* -1: not asked yet */
	int v = __atomic_load_n(&ok, __ATOMIC_RELAXED);

	if (v < 0) {
		v = numa_available() >= 0;
		__atomic_store_n(&ok, v, __ATOMIC_RELAXED);
	}
	return v;
}

int wc_numa_max_node(void)
{
	return numa_ok() ? numa_max_node() : -1;
}

/* CPUs that may run capture threads placed on node (-1: all online). */
int wc_numa_cpus(int node)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct bitmask *cpus;
	int n = 0;

	if (online < 1)
		online = 1;
	if (node < 0 || !numa_ok() || node > numa_max_node())
		return (int)online;
	cpus = numa_allocate_cpumask();
	if (!cpus)
		return (int)online;
	if (numa_node_to_cpus(node, cpus) == 0)
		n = (int)numa_bitmask_weight(cpus);
	numa_free_cpumask(cpus);
	return n > 0 ? n : (int)online;
}

void *wc_numa_alloc(size_t bytes, int node)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (node >= 0 && numa_ok() && node <= numa_max_node() &&
	    node < (int)(8 * sizeof(unsigned long))) {
		unsigned long mask = 1UL << node;

		/* a preference, not a binding: never fails the allocation */
		(void)mbind(p, bytes, MPOL_PREFERRED, &mask,
			    8 * sizeof(mask), 0);
	}
	memset(p, 0, bytes);		/* first touch, on the node */
	return p;
}

void wc_numa_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes);
}

/* Run the calling thread on node's CPUs; quietly nothing if it can't. */
void wc_numa_run_on(int node)
{
	if (node >= 0 && numa_ok() && node <= numa_max_node())
		(void)numa_run_on_node(node);
}
