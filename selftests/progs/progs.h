/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the harness's guest programs (the .c files of
 * selftests/progs): clocks, a sleep that survives signals, number
 * arguments, splitmix64's mix, and the driver ioctls more than one program
 * makes. The programs that print TAP do so with the kernel's kselftest.h;
 * this file does not need it, so the benchmarks build without it.
 *
 * Each ioctl wrapper is there only for a program that includes the
 * driver's uapi header, with that ioctl, before this file: a program for
 * one driver then needs no header of the other (scripts/build-progs leaves
 * a program out of a tree that lacks a header it includes).
 */
#ifndef HMM_DEVM_PROGS_H
#define HMM_DEVM_PROGS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

/* now_ms: CLOCK_MONOTONIC in milliseconds. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* now_s: CLOCK_MONOTONIC in seconds, to time what the benchmarks measure. */
static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* sleep_us: sleep that long, whatever signals arrive meanwhile. */
static inline void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * parse_long: @s as a decimal number in [@min, @max] into *@v; false if it
 * is anything else (empty, trailing characters, out of range), so that the
 * caller can print its usage.
 */
static inline bool parse_long(const char *s, long min, long max, long *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < min || n > max)
		return false;
	*v = n;
	return true;
}

/* splitmix64's increment: a generator's state steps by it. */
#define SPLITMIX64_GAMMA	0x9e3779b97f4a7c15ULL

/* mix64: splitmix64's output function, a good 64-bit mix, 0 only for 0. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#ifdef DEVMAP_IOC_HOLD
/*
 * devmap_hold: a test_devmap hold of @npages pages from @addr; 0, with the
 * hold's id in *@id if @id is not NULL, or -errno (errno stays set).
 */
static inline int devmap_hold(int fd, const void *addr, unsigned long npages,
			      unsigned int flags, uint32_t *id)
{
	struct devmap_hold h = {
		.addr = (uintptr_t)addr,
		.npages = npages,
		.flags = flags,
	};

	if (ioctl(fd, DEVMAP_IOC_HOLD, &h))
		return -errno;
	if (id)
		*id = h.id;
	return 0;
}
#endif

#ifdef DEVMAP_IOC_PAGE_STATE
/* devmap_state: the state of the page at @addr into *@st; 0 or -errno. */
static inline int devmap_state(int fd, const void *addr,
			       struct devmap_page_state *st)
{
	memset(st, 0, sizeof(*st));
	st->addr = (uintptr_t)addr;
	return ioctl(fd, DEVMAP_IOC_PAGE_STATE, st) ? -errno : 0;
}
#endif

#ifdef HMM_DMIRROR_MIGRATE_TO_DEV
/*
 * dmirror: one test_hmm request @req on @npages pages from @addr, with
 * @mirror as its data buffer, retried on EINTR (a migration of many pages
 * can take a signal); the pages it did (cpages), or -errno.
 */
static inline long dmirror(int fd, unsigned long req, void *addr, void *mirror,
			   unsigned long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)mirror,
		.npages = npages,
	};

	while (ioctl(fd, req, &cmd)) {
		if (errno != EINTR)
			return -errno;
	}
	return cmd.cpages;
}
#endif

#endif
