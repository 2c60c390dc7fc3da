// SPDX-License-Identifier: GPL-2.0
/*
 * devmap-faults: fault injection aimed at test_devmap's holds. For each
 * scenario, fail the 1st, 2nd, ... fallible call (slab or page allocation)
 * that a DEVMAP_IOC_HOLD makes, through /proc/thread-self/fail-nth, until
 * a hold goes through with no failure left to inject. Every injected
 * failure must either end in an errno for userspace and no reference left
 * on any page, or be absorbed by a fallback (kvmalloc() falling back to
 * vmalloc(), say) into a hold that works and can be released.
 *
 * Needs CONFIG_FAULT_INJECTION with failslab and fail_page_alloc, set up
 * to consider GFP_KERNEL and order-0 allocations (the guest's suite script
 * writes ignore-gfp-wait=N and min-order=0; fail-nth ignores probability).
 * Prints kselftest TAP (kselftest.h), one line per scenario, and
 * "# injected: N", which check-debug sums.
 *
 * usage: devmap-faults [-n MAX_NTH]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_devmap_uapi.h"
#include "progs.h"

#define DEVMAP_DEV	"/dev/test_devmap"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_PAGES	1024	/* the largest scenario */

struct scenario {
	const char *name;
	unsigned long npages;
	unsigned int flags;
	bool prefault;		/* else GUP faults the pages in itself */
};

/*
 * One page, the array of many pages (past PAGE_SIZE, where kvmalloc()
 * has a vmalloc() fallback), and pages GUP must fault in (page table and
 * anonymous page allocations inside the hold).
 */
static const struct scenario scenarios[] = {
	{ "pin 1 page", 1, DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE, true },
	{ "get 1 page", 1, DEVMAP_HOLD_WRITE, true },
	{ "pin 1024 pages", MAX_PAGES, DEVMAP_HOLD_PIN, true },
	{ "pin 64 pages not faulted in", 64, DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE, false },
	{ "get 64 pages not faulted in", 64, DEVMAP_HOLD_WRITE, false },
};

static int devfd, nthfd;
static long page_size;
static unsigned long injected, errnos, absorbed;

/* arm: make the nth fallible call of this thread fail (0: disarm). */
static int arm(unsigned int nth)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", nth);

	return pwrite(nthfd, buf, len, 0) == len ? 0 : -1;
}

/* armed_left: what is left of the count; 0 once the failure happened. */
static long armed_left(void)
{
	char buf[16] = "";

	if (pread(nthfd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/* refcounts: each page's reference count into @refs; false on error. */
static bool refcounts(char *buf, unsigned long npages, long long *refs,
		      bool *pinned, const char *name)
{
	struct devmap_page_state st;
	unsigned long i;

	*pinned = false;
	for (i = 0; i < npages; i++) {
		if (devmap_state(devfd, buf + i * page_size, &st)) {
			ksft_print_msg("%s: page state of page %lu: %s\n", name,
				       i, strerror(errno));
			return false;
		}
		refs[i] = st.refcount;
		*pinned |= st.maybe_dma_pinned;
	}
	return true;
}

/*
 * idle: no page of the buffer has gained a reference or a pin since
 * @before was taken. (A count may drop: a fresh anonymous page holds an
 * extra reference while it waits in a per-CPU LRU batch.)
 */
static bool idle(char *buf, unsigned long npages, const long long *before,
		 const char *name)
{
	static long long after[MAX_PAGES];
	unsigned long i;
	bool pinned;

	if (!refcounts(buf, npages, after, &pinned, name))
		return false;
	for (i = 0; i < npages; i++) {
		if (after[i] > before[i] || pinned) {
			ksft_print_msg("%s: page %lu has refcount %lld (%lld before), pinned %d after the hold\n",
				       name, i, after[i], before[i], pinned);
			return false;
		}
	}
	return true;
}

/* held: the first page carries the hold's reference (and pin). */
static bool held(char *buf, const struct scenario *s)
{
	struct devmap_page_state st;
	bool pin = s->flags & DEVMAP_HOLD_PIN;

	if (devmap_state(devfd, buf, &st)) {
		ksft_print_msg("%s: page state: %s\n", s->name, strerror(errno));
		return false;
	}
	if (st.refcount < 2 || (pin && !st.maybe_dma_pinned)) {
		ksft_print_msg("%s: a hold that succeeded left refcount %lld, pinned %u\n",
			       s->name, (long long)st.refcount, st.maybe_dma_pinned);
		return false;
	}
	return true;
}

/* try_nth: one hold with its nth call failing; 1 done, 0 go on, -1 bad. */
static int try_nth(const struct scenario *s, unsigned int nth)
{
	size_t len = s->npages * page_size;
	static long long before[MAX_PAGES];
	struct devmap_release rel = { 0 };
	struct devmap_hold h = { 0 };
	bool pinned;
	long left;
	char *buf;
	int ret, err;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		ksft_print_msg("%s: mmap: %s\n", s->name, strerror(errno));
		return -1;
	}
	if (s->prefault) {
		memset(buf, 0x5a, len);
		if (!refcounts(buf, s->npages, before, &pinned, s->name)) {
			munmap(buf, len);
			return -1;
		}
	}
	h.addr = (uintptr_t)buf;
	h.npages = s->npages;
	h.flags = s->flags;

	if (arm(nth)) {
		ksft_print_msg("cannot write %s: %s\n", FAIL_NTH, strerror(errno));
		munmap(buf, len);
		return -1;
	}
	ret = ioctl(devfd, DEVMAP_IOC_HOLD, &h);
	err = errno;
	left = armed_left();
	arm(0);

	if (left != 0) {
		/* Nothing failed: every fallible call of the hold is covered. */
		ret = ret ? -1 : 1;
		if (ret < 0)
			ksft_print_msg("%s: hold with no failure injected: %s\n",
				       s->name, strerror(err));
	} else if (ret == 0) {
		/* Absorbed by a fallback: the hold must be a real one. */
		absorbed++;
		injected++;
		ret = held(buf, s) ? 0 : -1;
	} else {
		injected++;
		errnos++;
		ret = 0;
		if (err != ENOMEM && err != EFAULT) {
			ksft_print_msg("%s: failure %u returned %s, not ENOMEM or EFAULT\n",
				       s->name, nth, strerror(err));
			ret = -1;
		}
	}
	if (h.id) {
		rel.id = h.id;
		if (ioctl(devfd, DEVMAP_IOC_RELEASE, &rel)) {
			ksft_print_msg("%s: release after failure %u: %s\n",
				       s->name, nth, strerror(errno));
			ret = -1;
		}
	}
	if (ret >= 0 && s->prefault && !idle(buf, s->npages, before, s->name))
		ret = -1;
	munmap(buf, len);
	return ret;
}

static bool run_scenario(const struct scenario *s, unsigned int max_nth)
{
	unsigned long before = injected;
	unsigned int nth;
	int ret;

	for (nth = 1; nth <= max_nth; nth++) {
		ret = try_nth(s, nth);
		if (ret < 0)
			return false;
		if (ret > 0) {
			ksft_print_msg("%s: %lu failures injected before a clean hold\n",
				       s->name, injected - before);
			return injected > before;
		}
	}
	ksft_print_msg("%s: still failing after %u injections\n", s->name,
		       max_nth);
	return false;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-n MAX_NTH]\n"
		"  MAX_NTH  most failures to inject per scenario (default 200)\n",
		prog);
	exit(2);
}

int main(int argc, char **argv)
{
	long max_nth = 200;
	unsigned int i;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || !parse_long(optarg, 1, 100000, &max_nth))
			usage(argv[0]);
	}
	if (optind != argc)
		usage(argv[0]);
	page_size = sysconf(_SC_PAGESIZE);

	ksft_print_header();
	devfd = open(DEVMAP_DEV, O_RDWR);
	nthfd = open(FAIL_NTH, O_RDWR);
	if (devfd < 0 || nthfd < 0)
		ksft_exit_fail_msg("cannot open %s: %s (test_devmap loaded? CONFIG_FAULT_INJECTION?)\n",
				   devfd < 0 ? DEVMAP_DEV : FAIL_NTH, strerror(errno));
	ksft_set_plan(ARRAY_SIZE(scenarios));
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		ksft_test_result(run_scenario(&scenarios[i], max_nth),
				 "%s: every injected failure ends in an errno or a working hold\n",
				 scenarios[i].name);
	ksft_print_msg("injected: %lu (%lu returned an errno, %lu absorbed by a fallback)\n",
		       injected, errnos, absorbed);
	ksft_finished();
}
