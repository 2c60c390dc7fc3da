// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl-fuzz: seeded, bounded random ioctls against the series' test
 * drivers, test_devmap (/dev/test_devmap) and test_hmm (/dev/hmm_dmirrorN).
 * It drives their error paths hard while real state exists (holds that pin
 * pages, pages migrated to device memory, regions unmapped under both, fds
 * closed with both in place), so that a bug in the code the series touches
 * shows up as a splat or a leak. The caller judges the kernel side (dmesg,
 * module unload afterwards); this program checks what userspace can see,
 * whatever the random sequence:
 *
 *  - every call returns: a SIGSEGV or SIGBUS is reported with its call;
 *  - a bad argument pointer (NULL, unmapped, kernel, PROT_NONE, or a struct
 *    running into an unmapped page) fails with EFAULT;
 *  - an unknown command fails as the driver says: ENOTTY from test_devmap,
 *    EINVAL from test_hmm (which reads and checks its struct first);
 *  - a hold with flags outside DEVMAP_HOLD_FLAGS, or an hmm request with an
 *    unaligned addr, no pages or a wrapping range, fails with EINVAL;
 *  - every other result follows from the arguments and the state: a model
 *    of the driver's checks, of the holds the fd has (test_devmap) and of
 *    the memory map predicts the errno, or the few it may be, and success
 *    where the request is valid;
 *  - test_devmap's PAGE_STATE reports exactly the references the live holds
 *    take: 1 per FOLL_GET hold, GUP_PIN_COUNTING_BIAS per FOLL_PIN hold;
 *  - closing the fd drops every hold (test_devmap), or brings every page
 *    back from the device (test_hmm);
 *  - the data survives: each arena page holds a pattern made from its
 *    address, and what the CPU or the device reads back must match it.
 *
 * Each device gets a fresh arena and a PRNG (xorshift64, so the sequence
 * does not depend on the libc) seeded from SEED and the device path: the
 * same SEED replays the same calls on a device, alone or among others,
 * as long as the kernel answers them the same.
 * Sizes that would only make the kernel busy are kept out (see hmm_bound()),
 * so that 5000 calls take seconds. Output is kselftest TAP (kselftest.h);
 * "# " lines count calls, successes and errnos, and show the first
 * mismatch of a failed check.
 *
 *   ioctl-fuzz [-E] [-s SEED] [-n CALLS] DEVICE...
 *
 * The caller picks the devices: hmm_dmirror2/3 exist only when test_hmm
 * has device-coherent memory, and need -E (see no_random_exclusive; the
 * fixed calls still make system pages exclusive). Exit: 0 all checks
 * passed, 1 a check failed or a device is missing or unusable, 2 bad
 * arguments.
 *
 * Build: gcc -O2 -Wall -Wextra -Werror -pthread -I$KSRC/lib \
 *	-I$KSRC/tools/testing/selftests -o ... this.c
 * It includes both drivers' uapi headers, so build-progs leaves it out of
 * a tree without test_devmap (the unpatched base).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_devmap_uapi.h"
#include "test_hmm_uapi.h"
#include "progs.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/*
 * Sets of errnos are 64-bit masks, BIT(0) standing for success.  The one
 * errno above 62 a driver here returns, EOPNOTSUPP, takes bit 63 (ENOSR,
 * which no driver here returns).
 */
#define EOPNOTSUPP_BIT		63
#define BIT(e)			(1ULL << ((e) == EOPNOTSUPP ? EOPNOTSUPP_BIT : (e)))
#define HAS_BIT(e)		((e) < EOPNOTSUPP_BIT || (e) == EOPNOTSUPP)

#define DEFAULT_SEED		1ULL
#define DEFAULT_CALLS		5000UL
#define MAX_CALLS		10000000UL
/* FOLL_PIN on a small folio adds GUP_PIN_COUNTING_BIAS to its refcount. */
#define PIN_BIAS		1024
/* The largest test_hmm request that may do work; see hmm_bound(). */
#define HMM_MAX_PAGES		1024
/* Addresses below this are never mapped (mmap_min_addr, and nobody asks). */
#define LOW_END			0x10000ULL
#define NR_ERRNO		256
#define MAX_OPS			8
#define RELEASED_RING		16

static long page;
static unsigned int page_shift;
/*
 * -E: no HMM_DMIRROR_EXCLUSIVE among the random calls. On a device-coherent
 * mirror a page can be on the device and under exclusive access at once;
 * 6.12's device-exclusive entry keeps the page's reference but not its
 * mapcount, so eviction cannot move the page: the close check fails and
 * HMM_DMIRROR_RELEASE waits for it forever (Documentation/testing.md).
 */
static bool no_random_exclusive;

/* xorshift64: small, and the same sequence on every libc. */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* A number below n (n > 0); the modulo bias does not matter here. */
static uint64_t rnd(uint64_t n)
{
	return rnd64() % n;
}

static bool chance(unsigned int per_mille)
{
	return rnd(1000) < per_mille;
}

/* splitmix64's step and mix: turns a seed or an address into random bits. */
static uint64_t hash64(uint64_t x)
{
	return mix64(x + SPLITMIX64_GAMMA);
}

/*
 * The arena: one reservation carved into regions at fixed places, so that
 * every address the fuzzer makes up can be classified (mapped how, or not
 * at all) and the result of a call predicted.
 *
 * The target regions come first: the ranges given to the drivers start in
 * them and may run on into the next ones, from anonymous memory into a
 * shmem (memfd) mapping, a read-only one, a PROT_NONE one and a hole. The
 * anonymous regions are unmapped and mapped again during the run, with
 * holds or device pages on them. Scratch is test_hmm's data buffer (the
 * ptr of a request), never a target, so that a migration or a device write
 * never lands on the fuzzer's own memory and data read back lands where it
 * can be checked. The args pages hold the ioctl structs: a second,
 * read-only view of the same memfd lets the kernel read a struct but not
 * write it back, and the hole after the writable view catches a struct
 * that straddles its end.
 */
enum backing { B_HOLE, B_ANON, B_SHM, B_ARGS };

struct region {
	const char *name;
	unsigned int pages;
	enum backing backing;
	int prot;		/* when mapped */
	bool target;
	char *start;
	bool mapped;
	unsigned int gen;	/* bumped on munmap: its pages are new after */
	long long idle;		/* test_devmap: refcount of an unheld page */
};

#define NR_ANON			8
#define ANON_PAGES		32
#define SHM_PAGES		32
#define RO_PAGES		16
#define NONE_PAGES		8
#define HOLE_PAGES		8
#define TARGET_PAGES		(NR_ANON * ANON_PAGES + SHM_PAGES + RO_PAGES + \
				 NONE_PAGES + HOLE_PAGES)
#define SCRATCH_PAGES		(TARGET_PAGES + 16)
#define ARGS_PAGES		2
#define RW			(PROT_READ | PROT_WRITE)

enum {
	R_ANON,
	R_SHM = R_ANON + NR_ANON,
	R_RO,
	R_NONE,
	R_HOLE,			/* the last target region */
	R_GAP,
	R_SCRATCH,
	R_SCRATCH_END,
	R_ARGS,
	R_ARGS_END,
	R_ARGS_RO,
	R_ARGS_NONE,
	R_TAIL,
	NR_REGIONS
};

#define REGION(n, p, b, pr, t) \
	{ .name = n, .pages = p, .backing = b, .prot = pr, .target = t }
static struct region regions[NR_REGIONS] = {
	[R_ANON + 0]	= REGION("anon0", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 1]	= REGION("anon1", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 2]	= REGION("anon2", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 3]	= REGION("anon3", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 4]	= REGION("anon4", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 5]	= REGION("anon5", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 6]	= REGION("anon6", ANON_PAGES, B_ANON, RW, true),
	[R_ANON + 7]	= REGION("anon7", ANON_PAGES, B_ANON, RW, true),
	[R_SHM]		= REGION("shm", SHM_PAGES, B_SHM, RW, true),
	[R_RO]		= REGION("ro", RO_PAGES, B_ANON, PROT_READ, true),
	[R_NONE]	= REGION("none", NONE_PAGES, B_ANON, PROT_NONE, true),
	[R_HOLE]	= REGION("hole", HOLE_PAGES, B_HOLE, 0, true),
	[R_GAP]		= REGION("gap", 8, B_HOLE, 0, false),
	[R_SCRATCH]	= REGION("scratch", SCRATCH_PAGES, B_ANON, RW, false),
	[R_SCRATCH_END]	= REGION("scratch-end", 1, B_HOLE, 0, false),
	[R_ARGS]	= REGION("args", ARGS_PAGES, B_ARGS, RW, false),
	[R_ARGS_END]	= REGION("args-end", 1, B_HOLE, 0, false),
	[R_ARGS_RO]	= REGION("args-ro", ARGS_PAGES, B_ARGS, PROT_READ, false),
	[R_ARGS_NONE]	= REGION("args-none", 1, B_ANON, PROT_NONE, false),
	[R_TAIL]	= REGION("tail", 1, B_HOLE, 0, false),
};

static char *arena;
static size_t arena_pages;
static unsigned char *page_region;	/* region index of each arena page */
static int shm_fd = -1, args_fd = -1;
static uint64_t tag_salt;
static uint64_t *pattern;		/* one page of expected data */

/* What the fuzzer knows of an address: from P_RO on, it is readable. */
enum prot { P_UNKNOWN, P_BEYOND, P_UNMAPPED, P_NONE, P_RO, P_RW };

static uint64_t addr_of(const void *p)
{
	return (uintptr_t)p;
}

static uint64_t region_end(const struct region *r)
{
	return addr_of(r->start) + (uint64_t)r->pages * page;
}

static struct region *region_of(uint64_t a)
{
	uint64_t off = a - addr_of(arena);

	if (a < addr_of(arena) || off >= arena_pages * page)
		return NULL;
	return &regions[page_region[off >> page_shift]];
}

/*
 * Beyond user space whether the kernel uses 4- or 5-level paging: TASK_SIZE
 * on x86-64 is 2^47 - PAGE_SIZE or 2^56 - PAGE_SIZE. The fuzzer's made-up
 * addresses are either below the first or at or above the second.
 */
static uint64_t user_end_max(void)
{
	return (1ULL << 56) - page;
}

static uint64_t user_end_min(void)
{
	return (1ULL << 47) - page;
}

static enum prot addr_prot(uint64_t a)
{
	struct region *r = region_of(a);

	if (r) {
		if (!r->mapped)
			return P_UNMAPPED;
		if (r->prot == PROT_NONE)
			return P_NONE;
		return r->prot & PROT_WRITE ? P_RW : P_RO;
	}
	if (a < LOW_END)
		return P_UNMAPPED;
	if (a >= user_end_max())
		return P_BEYOND;
	return P_UNKNOWN;
}

/*
 * Whether the n pages from a all allow want (P_RO: readable, P_RW:
 * writable), and with anon_only are private anonymous memory: 1 yes, 0 no,
 * -1 cannot tell (an address whose mapping the fuzzer does not know).
 */
static int range_check(uint64_t a, uint64_t n, enum prot want, bool anon_only)
{
	for (; n; n--, a += page) {
		enum prot p = addr_prot(a);
		struct region *r = region_of(a);

		if (p == P_UNKNOWN)
			return -1;
		if (p < want || (anon_only && (!r || r->backing != B_ANON)))
			return 0;
	}
	return 1;
}

/* Whether the bytes [p, p + size) all allow want. */
static bool bytes_allow(uint64_t p, size_t size, enum prot want)
{
	uint64_t a, end = p + size;

	if (end < p)
		return false;
	for (a = p & ~(uint64_t)(page - 1); a < end; a += page) {
		enum prot pr = addr_prot(a);

		if (pr == P_UNKNOWN || pr < want)
			return false;
	}
	return true;
}

/* Whether [p, p + len) lies in scratch, test_hmm's data buffer. */
static bool in_scratch(uint64_t p, uint64_t len)
{
	uint64_t s = addr_of(regions[R_SCRATCH].start);
	uint64_t e = region_end(&regions[R_SCRATCH]);

	return p >= s && p <= e && len <= e - p;
}

/* The data of the arena page at a: its words count up from a hash of a. */
static void make_pattern(uint64_t *w, uint64_t a)
{
	uint64_t t = hash64(a ^ tag_salt);
	long i;

	for (i = 0; i < page / 8; i++)
		w[i] = t + i;
}

static void fill_region(struct region *r)
{
	unsigned int i;

	for (i = 0; i < r->pages; i++)
		make_pattern((uint64_t *)(r->start + (size_t)i * page),
			     addr_of(r->start) + (uint64_t)i * page);
}

/*
 * Fault the region in writable. MADV_POPULATE_WRITE (Linux 5.14) also
 * drains this CPU's LRU batch, whose extra page reference would otherwise
 * show in test_devmap's refcounts until some later drain.
 */
static int populate(struct region *r)
{
	return madvise(r->start, (size_t)r->pages * page, MADV_POPULATE_WRITE);
}

/* Map r at its place; noreplace: the place must be free (a remap). */
static int region_map(struct region *r, bool noreplace)
{
	size_t len = (size_t)r->pages * page;
	int flags = noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED;
	int fd = r->backing == B_SHM ? shm_fd : args_fd;
	void *p;

	if (r->backing == B_ANON) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		fd = -1;
	} else {
		flags |= MAP_SHARED;
	}
	/* Writable first: data goes in before a region is made read-only. */
	p = mmap(r->start, len, r->prot == PROT_NONE ? PROT_NONE : RW,
		 flags, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (p != r->start) {
		munmap(p, len);
		errno = EEXIST;
		return -1;
	}
	/* Small folios only: the refcount model and PIN_BIAS assume them. */
	madvise(p, len, MADV_NOHUGEPAGE);
	if (r->prot != PROT_NONE) {
		if (r->target)
			fill_region(r);
		if (populate(r) || (r->prot != RW && mprotect(p, len, r->prot)))
			return -1;
	}
	r->mapped = true;
	return 0;
}

static void region_unmap(struct region *r)
{
	munmap(r->start, (size_t)r->pages * page);
	r->mapped = false;
	r->gen++;
}

static int memfd_of(const char *name, unsigned int pages)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, (off_t)pages * page))
		ksft_exit_fail_msg("memfd %s: %s\n", name, strerror(errno));
	return fd;
}

static void arena_setup(void)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < NR_REGIONS; i++)
		n += regions[i].pages;
	arena_pages = n;
	arena = mmap(NULL, arena_pages * page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	page_region = malloc(arena_pages);
	if (arena == MAP_FAILED || !page_region)
		ksft_exit_fail_msg("cannot reserve %zu pages for the arena\n",
				   arena_pages);
	shm_fd = memfd_of("ioctl-fuzz-shm", SHM_PAGES);
	args_fd = memfd_of("ioctl-fuzz-args", ARGS_PAGES);

	for (i = 0, n = 0; i < NR_REGIONS; i++) {
		struct region *r = &regions[i];

		r->start = arena + (size_t)n * page;
		r->mapped = false;
		r->gen = 0;
		r->idle = -1;
		for (j = 0; j < r->pages; j++)
			page_region[n++] = i;
		if (r->backing == B_HOLE)
			munmap(r->start, (size_t)r->pages * page);
		else if (region_map(r, false))
			ksft_exit_fail_msg("cannot map %s: %s\n", r->name,
					   strerror(errno));
	}
}

static void arena_teardown(void)
{
	munmap(arena, arena_pages * page);
	free(page_region);
	close(shm_fd);
	close(args_fd);
}

static uint64_t target_page(void)
{
	return addr_of(arena) + rnd(TARGET_PAGES) * page;
}

static uint64_t low_addr(void)
{
	return (1 + rnd(LOW_END / page - 1)) * page;
}

static uint64_t kernel_addr(void)
{
	static const uint64_t k[] = {
		0xffff888000000000ULL,	/* x86-64 direct map */
		0xffffffff81000000ULL,	/* kernel text */
		0xffffffffff600000ULL,	/* vsyscall page */
		0xfffffffffffff000ULL,	/* the last page: ranges from it wrap */
		1ULL << 63,
		1ULL << 56,		/* beyond even 5-level user space */
	};
	unsigned int i = rnd(ARRAY_SIZE(k));

	return k[i] + (i ? 0 : rnd(1 << 20) * page);
}

/* An address for a range: mostly arena pages, sometimes anything but ours. */
static uint64_t gen_target_addr(void)
{
	unsigned int r = rnd(100);

	if (r < 70)
		return target_page();
	if (r < 78)
		return target_page() + 1 + rnd(page - 1);
	if (r < 82)
		return 0;
	if (r < 86)
		return low_addr();
	if (r < 93)
		return kernel_addr();
	/* Near the end, so that ranges run into none and hole. */
	return addr_of(arena) + (TARGET_PAGES - 1 - rnd(24)) * page;
}

/* The checks each device gets, as TAP lines. */
enum {
	C_CRASH,	/* every call returned */
	C_BADPTR,	/* a bad argument pointer: EFAULT */
	C_UNKNOWN,	/* an unknown command: ENOTTY or EINVAL */
	C_ARGS,		/* argument checks: EINVAL */
	C_MODEL,	/* other results as the model predicts */
	C_STATE,	/* test_devmap: PAGE_STATE as the holds imply */
	C_CLOSE,	/* close drops holds / brings device pages back */
	C_DATA,		/* arena data intact */
	NR_CHECKS
};

struct check {
	unsigned long n, bad;
	char first[640];
};

/* Where the ioctl's struct is put. */
enum place {
	PL_ARGS,		/* the writable args page */
	PL_MISALIGNED,		/* ... at an odd offset */
	PL_RO,			/* the read-only view: never written back */
	PL_STRADDLE,		/* running off the end of args into a hole */
	PL_NULL,
	PL_UNMAPPED,
	PL_KERNEL,
	PL_PROT_NONE,
};

union payload {
	struct devmap_hold hold;
	struct devmap_release rel;
	struct devmap_page_state st;
	struct hmm_dmirror_cmd hmm;
	unsigned char raw[64];
};

struct call {
	unsigned int cmd;
	int op;			/* index in kind->ops, -1: not the driver's */
	enum place place;
	size_t off;		/* of the struct in the args views */
	size_t in;		/* bytes of it mapped, for PL_STRADDLE */
	uint64_t argp;
	union payload a;
};

/* The expected result of a call: which check judges it, and what it may be. */
struct expect {
	int check;		/* -1: nothing to say */
	uint64_t errs;		/* BIT(errno); BIT(0) is success */
};

struct hold {
	uint64_t addr, npages;
	uint32_t flags, id;
	unsigned int gen[NR_REGIONS];	/* region generations it was taken in */
};

struct fuzz;

struct op {
	const char *name;
	unsigned int cmd;
	size_t size;
};

struct check_desc {
	const char *what;
	const char *unit;
};

struct kind {
	const char *name;
	const struct op *ops;
	unsigned int nr_ops;
	unsigned int type;	/* the ioctl type byte of its commands */
	size_t arg_size;	/* bytes it copies in for any command, or 0 */
	struct check_desc checks[NR_CHECKS];
	void (*setup)(struct fuzz *f);
	void (*fixed_calls)(struct fuzz *f);
	void (*random_call)(struct fuzz *f);
	struct expect (*expect)(struct fuzz *f, const struct call *c);
	void (*after)(struct fuzz *f, const struct call *c, int err);
	void (*close_check)(struct fuzz *f, bool final);
};

struct fuzz {
	const char *path;
	const struct kind *kind;
	int fd;			/* the fd under test */
	int obs;		/* test_devmap: an fd with no holds, to look */
	unsigned long calls, fixed, call_no;
	bool in_fixed, final;
	int tap;		/* TAP number of this device's first check */
	struct check check[NR_CHECKS];
	unsigned long errs[NR_ERRNO], ok;
	unsigned long op_calls[MAX_OPS + 1], op_ok[MAX_OPS + 1];
	unsigned long reopens, unmaps, remaps, touches;
	/* test_devmap: the holds of fd, as the model has them */
	struct hold holds[DEVMAP_MAX_HOLDS];
	unsigned int nr_holds;
	uint64_t nr_pages;
	uint32_t released[RELEASED_RING];
	unsigned int nr_released;
	/* test_hmm: ro's pages may be on the device, see hmm_write_off_ro() */
	bool ro_on_device;
};

static const char *errname(int e)
{
	static const char *const names[] = {
		[0] = "success", [EPERM] = "EPERM", [ENOENT] = "ENOENT",
		[EINTR] = "EINTR", [EIO] = "EIO", [E2BIG] = "E2BIG",
		[EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EFAULT] = "EFAULT",
		[EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV",
		[EINVAL] = "EINVAL", [ENOTTY] = "ENOTTY", [ENOSPC] = "ENOSPC",
		[ERANGE] = "ERANGE", [EOVERFLOW] = "EOVERFLOW",
		[EOPNOTSUPP] = "EOPNOTSUPP",
	};
	static char buf[4][24];
	static unsigned int next;

	if (e >= 0 && (size_t)e < ARRAY_SIZE(names) && names[e])
		return names[e];
	next = (next + 1) % 4;
	snprintf(buf[next], sizeof(buf[next]), "errno %d", e);
	return buf[next];
}

static const char *errs_str(uint64_t errs)
{
	static char buf[128];
	size_t len = 0;
	int e;

	buf[0] = 0;
	for (e = 0; e < 64; e++)
		if (errs & (1ULL << e))
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
					len ? " or " : "",
					errname(e == EOPNOTSUPP_BIT ?
						EOPNOTSUPP : e));
	return buf;
}

/* Where the run is, for messages. */
static const char *where(const struct fuzz *f)
{
	static char buf[64];

	if (f->final)
		return "at the final close";
	if (f->in_fixed)
		return "in the fixed calls";
	snprintf(buf, sizeof(buf), "at call #%lu", f->call_no);
	return buf;
}

/* A check was made count times; if it failed, keep the first reason. */
static void record(struct fuzz *f, int id, unsigned long count, bool ok,
		   const char *fmt, ...)
{
	struct check *ch = &f->check[id];
	va_list ap;

	ch->n += count;
	if (ok)
		return;
	if (!ch->bad++) {
		va_start(ap, fmt);
		vsnprintf(ch->first, sizeof(ch->first), fmt, ap);
		va_end(ap);
	}
}

static const char *describe_addr(uint64_t a)
{
	static char buf[4][48];
	static unsigned int next;
	struct region *r = region_of(a);

	next = (next + 1) % 4;
	if (r)
		snprintf(buf[next], sizeof(buf[next]), "%s+%#llx", r->name,
			 (unsigned long long)(a - addr_of(r->start)));
	else
		snprintf(buf[next], sizeof(buf[next]), "%#llx",
			 (unsigned long long)a);
	return buf[next];
}

/*
 * A crash is reported as the "no crash" check failing, with the call it
 * happened in: the line is made before each call, the handler only writes
 * it, with write(2): stdio is not async-signal-safe. It is the device's
 * first result, and kselftest.h has printed none of the device's yet, so
 * f->tap is the number kselftest.h would give it. Complete lines printed
 * before are out already: stdout is line-buffered (ksft_print_header()).
 */
static char crash_line[768];

static void crash_note(const struct fuzz *f, const char *fmt, ...)
{
	int n = snprintf(crash_line, sizeof(crash_line),
			 "not ok %d %s: no crash # %s, ", f->tap, f->path,
			 where(f));
	va_list ap;

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(crash_line))
		vsnprintf(crash_line + n, sizeof(crash_line) - n, fmt, ap);
	va_end(ap);
}

static void say(const char *s)
{
	ssize_t n = write(STDOUT_FILENO, s, strlen(s));

	(void)n;
}

static void on_crash(int sig)
{
	say(crash_line);
	say(sig == SIGBUS ? ": SIGBUS\n" : ": SIGSEGV\n");
	say("Bail out! the fuzzer crashed\n");
	_exit(1);
}

static void catch_crashes(void)
{
	static char stack[64 * 1024];
	stack_t ss = { .ss_sp = stack, .ss_size = sizeof(stack) };
	struct sigaction sa = {
		.sa_handler = on_crash,
		.sa_flags = SA_ONSTACK,
	};

	sigaltstack(&ss, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/*
 * Stay on one CPU: a freshly faulted page sits in its CPU's LRU batch, with
 * an extra reference, until a drain; MADV_POPULATE_WRITE drains only the
 * CPU it runs on. On one CPU, an unheld page's refcount stays put.
 */
static void stay_on_one_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		ksft_exit_fail_msg("%s: %s\n", path, strerror(errno));
	return fd;
}

static const char *op_name(const struct fuzz *f, const struct call *c)
{
	static char buf[32];

	if (c->op >= 0)
		return f->kind->ops[c->op].name;
	snprintf(buf, sizeof(buf), "cmd %#x", c->cmd);
	return buf;
}

static const char *describe_place(const struct call *c)
{
	static char buf[64];

	switch (c->place) {
	case PL_ARGS:
	case PL_MISALIGNED:
		snprintf(buf, sizeof(buf), "args+%zu", c->off);
		break;
	case PL_RO:
		snprintf(buf, sizeof(buf), "read-only args+%zu", c->off);
		break;
	case PL_STRADDLE:
		snprintf(buf, sizeof(buf), "the last %zu bytes of args", c->in);
		break;
	case PL_NULL:
		return "NULL";
	default:
		return describe_addr(c->argp);
	}
	return buf;
}

static const char *describe_call(const struct fuzz *f, const struct call *c)
{
	static char buf[384];
	const union payload *a = &c->a;
	int n;

	n = snprintf(buf, sizeof(buf), "%s at %s", op_name(f, c),
		     describe_place(c));
	if (c->op < 0 || n < 0)
		return buf;
	if (f->kind->ops[c->op].cmd == DEVMAP_IOC_HOLD)
		snprintf(buf + n, sizeof(buf) - n,
			 " {addr %s, npages %#llx, flags %#x}",
			 describe_addr(a->hold.addr),
			 (unsigned long long)a->hold.npages, a->hold.flags);
	else if (f->kind->ops[c->op].cmd == DEVMAP_IOC_RELEASE)
		snprintf(buf + n, sizeof(buf) - n, " {id %u, pad %#x}",
			 a->rel.id, a->rel.pad);
	else if (f->kind->ops[c->op].cmd == DEVMAP_IOC_PAGE_STATE)
		snprintf(buf + n, sizeof(buf) - n, " {addr %s}",
			 describe_addr(a->st.addr));
	else
		snprintf(buf + n, sizeof(buf) - n,
			 " {addr %s, npages %#llx, ptr %s}",
			 describe_addr(a->hmm.addr),
			 (unsigned long long)a->hmm.npages,
			 describe_addr(a->hmm.ptr));
	return buf;
}

static int op_of(const struct kind *k, unsigned int cmd)
{
	unsigned int i;

	for (i = 0; i < k->nr_ops; i++)
		if (k->ops[i].cmd == cmd)
			return i;
	return -1;
}

static struct call make_call(const struct fuzz *f, int op)
{
	struct call c = { .op = op, .place = PL_ARGS };

	c.cmd = f->kind->ops[op].cmd;
	return c;
}

/* The bytes the driver copies in for c. */
static size_t arg_size(const struct fuzz *f, const struct call *c)
{
	if (f->kind->arg_size)
		return f->kind->arg_size;
	return c->op >= 0 ? f->kind->ops[c->op].size : 0;
}

static bool arg_readable(const struct fuzz *f, const struct call *c)
{
	return bytes_allow(c->argp, arg_size(f, c), P_RO);
}

static bool arg_writable(const struct fuzz *f, const struct call *c)
{
	return bytes_allow(c->argp, arg_size(f, c), P_RW);
}

/* Put c's struct where c->place says, and point c->argp at it. */
static void place_arg(const struct fuzz *f, struct call *c)
{
	char *rw = regions[R_ARGS].start, *ro = regions[R_ARGS_RO].start;
	size_t size = arg_size(f, c), span = (size_t)ARGS_PAGES * page;

	c->in = sizeof(c->a);
	switch (c->place) {
	case PL_ARGS:
		c->off = 0;
		break;
	case PL_MISALIGNED:
		c->off = 1 + rnd(63);
		break;
	case PL_RO:
		c->off = chance(500) ? 0 : 1 + rnd(63);
		break;
	case PL_STRADDLE:
		c->in = 1 + rnd(size > 1 ? size - 1 : 1);
		c->off = span - c->in;
		break;
	case PL_NULL:
		c->argp = 0;
		return;
	case PL_UNMAPPED:
		c->argp = chance(500) ? low_addr() :
			addr_of(regions[R_ARGS_END].start) + rnd(page);
		return;
	case PL_KERNEL:
		c->argp = kernel_addr();
		return;
	case PL_PROT_NONE:
		c->argp = addr_of(regions[R_ARGS_NONE].start) + rnd(page);
		return;
	}
	c->argp = addr_of((c->place == PL_RO ? ro : rw) + c->off);
	memcpy(rw + c->off, &c->a, c->in);
}

static enum place gen_place(void)
{
	unsigned int r = rnd(100);

	if (r < 80)
		return PL_ARGS;
	if (r < 84)
		return PL_MISALIGNED;
	if (r < 88)
		return PL_RO;
	if (r < 91)
		return PL_NULL;
	if (r < 93)
		return PL_KERNEL;
	if (r < 95)
		return PL_UNMAPPED;
	if (r < 97)
		return PL_PROT_NONE;
	return PL_STRADDLE;
}

/*
 * A command the VFS handles itself before the driver sees it (FIOCLEX,
 * FIONBIO, FIFREEZE, FICLONE, FS_IOC_*...): their types are left out of
 * the random ones, which are for the driver, and FIFREEZE on /dev's
 * filesystem is no test of it.
 */
static bool vfs_type(unsigned int cmd)
{
	switch (_IOC_TYPE(cmd)) {
	case 0x00:	/* FIBMAP, FIGETBSZ */
	case 0x15:	/* FS_IOC_GETFSUUID, FS_IOC_GETFSSYSFSPATH */
	case 0x94:	/* FICLONE, FICLONERANGE, FIDEDUPERANGE */
	case 'T':	/* FIOCLEX, FIONBIO, FIOASYNC, FIOQSIZE, FIONREAD */
	case 'X':	/* FIFREEZE, FITHAW, FS_IOC_FS[GS]ETXATTR */
	case 'f':	/* FS_IOC_FIEMAP, FS_IOC_[GS]ETFLAGS */
		return true;
	}
	return false;
}

/*
 * A command: known_pct% known, else the driver's type byte with a random
 * nr, size and direction, or any 32 bits the VFS leaves to the driver.
 */
static unsigned int gen_cmd(const struct kind *k, unsigned int known_pct,
			    unsigned int known)
{
	unsigned int r = rnd(100), cmd;

	if (r < known_pct)
		return known;
	if (r < known_pct + (100 - known_pct) * 6 / 10)
		return _IOC(rnd(4), k->type, rnd(256), rnd(1 << _IOC_SIZEBITS));
	do {
		cmd = (unsigned int)rnd64();
	} while (vfs_type(cmd));
	return cmd;
}

/* Issue c on the fd under test; 0 or the errno. */
static int issue(struct fuzz *f, struct call *c)
{
	unsigned int op = c->op >= 0 ? (unsigned int)c->op : f->kind->nr_ops;
	int ret, err;

	crash_note(f, "%s", describe_call(f, c));
	ret = ioctl(f->fd, (unsigned long)c->cmd, (void *)(uintptr_t)c->argp);
	err = ret < 0 ? errno : 0;

	f->op_calls[op]++;
	f->errs[err < NR_ERRNO ? err : NR_ERRNO - 1]++;
	if (!err) {
		f->op_ok[op]++;
		f->ok++;
	}
	/* What the kernel wrote back, where it could. */
	if (c->place == PL_ARGS || c->place == PL_MISALIGNED)
		memcpy(&c->a, regions[R_ARGS].start + c->off, sizeof(c->a));
	return err;
}

/* Place, predict, issue, judge, and let the kind follow the state. */
static int run_call(struct fuzz *f, struct call *c)
{
	struct expect e;
	int err;

	place_arg(f, c);
	e = f->kind->expect(f, c);
	err = issue(f, c);
	if (f->in_fixed)
		f->fixed++;
	if (e.check >= 0)
		record(f, e.check, 1, HAS_BIT(err) && (e.errs & BIT(err)),
		       "%s: %s returned %s, expected %s", where(f),
		       describe_call(f, c), errname(err), errs_str(e.errs));
	f->kind->after(f, c, err);
	return err;
}

static struct expect expect(int check, uint64_t errs)
{
	return (struct expect){ .check = check, .errs = errs };
}

static const struct expect no_expectation = { .check = -1 };

/* Compare the page at got with the data of the arena page at a. */
static void check_page(struct fuzz *f, const void *got, uint64_t a,
		       const char *how)
{
	const uint64_t *w = got;
	long i;

	make_pattern(pattern, a);
	if (!memcmp(got, pattern, page)) {
		record(f, C_DATA, 1, true, NULL);
		return;
	}
	for (i = 0; w[i] == pattern[i]; i++)
		;
	record(f, C_DATA, 1, false,
	       "%s: %s page %s: word %ld is %#llx, expected %#llx", where(f),
	       how, describe_addr(a), i, (unsigned long long)w[i],
	       (unsigned long long)pattern[i]);
}

/* Read every readable target page with the CPU. */
static void verify_arena(struct fuzz *f)
{
	unsigned int i, j;

	crash_note(f, "reading the arena back");
	for (i = 0; i <= R_HOLE; i++) {
		struct region *r = &regions[i];

		if (!r->mapped || r->prot == PROT_NONE)
			continue;
		for (j = 0; j < r->pages; j++) {
			char *p = r->start + (size_t)j * page;

			check_page(f, p, addr_of(p), "the CPU read");
		}
	}
}

static void reopen(struct fuzz *f)
{
	crash_note(f, "closing and reopening the fd");
	close(f->fd);
	f->fd = open_dev(f->path);
	f->nr_holds = 0;
	f->nr_pages = 0;
	f->reopens++;
}

/* ---------------------------------------------------------------------- */
/* test_devmap */

#define DEVMAP_OP(x, type)	{ #x, x, sizeof(type) }
static const struct op devmap_ops[] = {
	DEVMAP_OP(DEVMAP_IOC_HOLD, struct devmap_hold),
	DEVMAP_OP(DEVMAP_IOC_RELEASE, struct devmap_release),
	DEVMAP_OP(DEVMAP_IOC_PAGE_STATE, struct devmap_page_state),
};

enum { DM_HOLD, DM_RELEASE, DM_PAGE_STATE };

static int hold_find(const struct fuzz *f, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < f->nr_holds; i++)
		if (f->holds[i].id == id)
			return i;
	return -1;
}

/* Whether hold h still references the page now mapped at a. */
static bool hold_covers(const struct hold *h, uint64_t a)
{
	struct region *r = region_of(a);

	return r && a >= h->addr && a - h->addr < h->npages * page &&
	       h->gen[r - regions] == r->gen;
}

/* The refcount of the page at a that the live holds of the fd imply. */
static long long expected_refs(const struct fuzz *f, uint64_t a)
{
	long long refs = region_of(a)->idle;
	const struct hold *h;

	for (h = f->holds; h < f->holds + f->nr_holds; h++)
		if (hold_covers(h, a))
			refs += h->flags & DEVMAP_HOLD_PIN ? PIN_BIAS : 1;
	return refs;
}

static int observe(struct fuzz *f, uint64_t a, struct devmap_page_state *st)
{
	memset(st, 0, sizeof(*st));
	st->addr = a;
	crash_note(f, "PAGE_STATE of %s on the observer fd", describe_addr(a));
	return ioctl(f->obs, DEVMAP_IOC_PAGE_STATE, st) ? errno : 0;
}

static bool state_as_expected(const struct fuzz *f, uint64_t a,
			      const struct devmap_page_state *st)
{
	long long refs = expected_refs(f, a);

	return st->refcount == refs &&
	       st->maybe_dma_pinned == (refs >= PIN_BIAS) &&
	       !st->zone_device && st->pgmap_type == DEVMAP_PGMAP_NONE &&
	       !st->pad;
}

/*
 * Judge st, the state of the page at a, against the holds of the fd. A
 * mismatch is looked at again a few times, through the observer fd:
 * compaction or reclaim may hold a page for a moment, a leaked or a
 * missing reference stays.
 */
static void check_state(struct fuzz *f, int check, uint64_t a,
			struct devmap_page_state *st)
{
	int i, err = 0;

	a &= ~(uint64_t)(page - 1);
	for (i = 0; i < 5 && !err && !state_as_expected(f, a, st); i++) {
		usleep(2000);
		err = observe(f, a, st);
	}
	if (err) {
		record(f, check, 1, false, "%s: PAGE_STATE of %s failed: %s",
		       where(f), describe_addr(a), errname(err));
		return;
	}
	record(f, check, 1, state_as_expected(f, a, st),
	       "%s: page %s: refcount %lld, pinned %u, zone_device %u, pgmap %u, pad %u; expected refcount %lld (%u holds)",
	       where(f), describe_addr(a), (long long)st->refcount,
	       st->maybe_dma_pinned, st->zone_device, st->pgmap_type, st->pad,
	       expected_refs(f, a), f->nr_holds);
}

static struct expect devmap_hold_expect(const struct fuzz *f,
					const struct devmap_hold *h,
					bool writable)
{
	bool write = h->flags & DEVMAP_HOLD_WRITE;
	uint64_t end;
	int ok;

	/* devmap_check_hold(), in its order */
	if (h->flags & ~DEVMAP_HOLD_FLAGS)
		return expect(C_ARGS, BIT(EINVAL));
	if (!h->npages || (h->addr & (page - 1)))
		return expect(C_MODEL, BIT(EINVAL));
	if (h->npages > DEVMAP_MAX_PAGES ||
	    f->nr_pages + h->npages > DEVMAP_MAX_PAGES)
		return expect(C_MODEL, BIT(E2BIG));
	if (__builtin_add_overflow(h->addr, h->npages * page, &end))
		return expect(C_MODEL, BIT(EINVAL));
	if (end > user_end_max())
		return expect(C_MODEL, BIT(EFAULT));
	if (end > user_end_min())
		return no_expectation;
	if (f->nr_holds >= DEVMAP_MAX_HOLDS)
		return expect(C_MODEL, BIT(ENOSPC));
	/* GUP: all pages or none */
	ok = range_check(h->addr, h->npages, write ? P_RW : P_RO, false);
	if (ok < 0)
		return no_expectation;
	if (!ok)
		return expect(C_MODEL, BIT(EFAULT));
	/* An id that cannot be written back: the hold is dropped again. */
	return expect(C_MODEL, writable ? BIT(0) : BIT(EFAULT));
}

static struct expect devmap_expect(struct fuzz *f, const struct call *c)
{
	const union payload *a = &c->a;
	bool writable = arg_writable(f, c);
	enum prot p;

	if (c->op < 0)
		return expect(C_UNKNOWN, BIT(ENOTTY));
	if (!arg_readable(f, c))
		return expect(C_BADPTR, BIT(EFAULT));

	switch (c->op) {
	case DM_HOLD:
		return devmap_hold_expect(f, &a->hold, writable);
	case DM_RELEASE:
		if (a->rel.pad)
			return expect(C_MODEL, BIT(EINVAL));
		return expect(C_MODEL, hold_find(f, a->rel.id) >= 0 ?
			      BIT(0) : BIT(ENOENT));
	}
	/* DM_PAGE_STATE */
	if (a->st.addr >= user_end_max())
		return expect(C_MODEL, BIT(EFAULT));
	if (a->st.addr >= user_end_min())
		return no_expectation;
	p = addr_prot(a->st.addr);
	if (p == P_UNKNOWN)
		return no_expectation;
	if (p < P_RO)
		return expect(C_MODEL, BIT(EFAULT));
	return expect(C_MODEL, writable ? BIT(0) : BIT(EFAULT));
}

static void hold_add(struct fuzz *f, const struct devmap_hold *h)
{
	struct hold *n;
	unsigned int i;

	record(f, C_MODEL, 1, h->id && hold_find(f, h->id) < 0,
	       "%s: DEVMAP_IOC_HOLD returned id %u, which is 0 or live",
	       where(f), h->id);
	if (f->nr_holds == DEVMAP_MAX_HOLDS) {
		record(f, C_MODEL, 1, false,
		       "%s: a hold beyond DEVMAP_MAX_HOLDS succeeded",
		       where(f));
		return;
	}
	n = &f->holds[f->nr_holds++];
	n->addr = h->addr;
	n->npages = h->npages;
	n->flags = h->flags;
	n->id = h->id;
	for (i = 0; i < NR_REGIONS; i++)
		n->gen[i] = regions[i].gen;
	f->nr_pages += h->npages;
}

static void hold_del(struct fuzz *f, int i)
{
	f->released[f->nr_released++ % RELEASED_RING] = f->holds[i].id;
	f->nr_pages -= f->holds[i].npages;
	f->holds[i] = f->holds[--f->nr_holds];
}

/* Follow the state: the holds taken and dropped, the state reported. */
static void devmap_after(struct fuzz *f, const struct call *c, int err)
{
	int i;

	if (err || c->op < 0)
		return;
	switch (c->op) {
	case DM_HOLD:
		/* Elsewhere, success was a mismatch already; no id to keep */
		if (c->place == PL_ARGS || c->place == PL_MISALIGNED)
			hold_add(f, &c->a.hold);
		break;
	case DM_RELEASE:
		i = hold_find(f, c->a.rel.id);
		if (i >= 0)
			hold_del(f, i);
		break;
	case DM_PAGE_STATE:
		if (range_check(c->a.st.addr & ~(uint64_t)(page - 1), 1, P_RO,
				false) == 1) {
			struct devmap_page_state st = c->a.st;

			check_state(f, C_STATE, c->a.st.addr, &st);
		}
		break;
	}
}

static uint64_t gen_hold_npages(void)
{
	unsigned int r = rnd(100);

	if (r < 30)
		return 1;
	if (r < 60)
		return 1 + rnd(16);
	if (r < 75)
		return 1 + rnd(64);
	if (r < 82)
		return 1 + rnd(TARGET_PAGES);
	if (r < 85)
		return 0;
	if (r < 88)
		return DEVMAP_MAX_PAGES;
	if (r < 91)
		return DEVMAP_MAX_PAGES + 1;
	if (r < 94)
		return (uint32_t)rnd64();
	if (r < 97)
		return ~0ULL;
	return (1ULL << (64 - page_shift)) + rnd(16);
}

static uint32_t gen_hold_flags(void)
{
	if (!chance(120))
		return rnd(DEVMAP_HOLD_FLAGS + 1);
	return (uint32_t)rnd64() | (1U << (2 + rnd(30)));
}

static uint32_t gen_release_id(const struct fuzz *f)
{
	unsigned int r = rnd(100);

	if (r < 60 && f->nr_holds)
		return f->holds[rnd(f->nr_holds)].id;
	if (r < 75 && f->nr_released)
		return f->released[rnd(f->nr_released < RELEASED_RING ?
				       f->nr_released : RELEASED_RING)];
	if (r < 80)
		return 0;
	return (uint32_t)rnd64();
}

/* Random bytes in every field; the generators then set the ones that matter. */
static void garble(union payload *a)
{
	size_t i;

	for (i = 0; i < sizeof(a->raw); i++)
		a->raw[i] = rnd64() >> 56;
}

static void devmap_random_call(struct fuzz *f)
{
	unsigned int r = rnd(100), known = devmap_ops[r < 45 ? DM_HOLD :
				r < 75 ? DM_RELEASE : DM_PAGE_STATE].cmd;
	struct call c = { .place = gen_place() };

	c.cmd = gen_cmd(f->kind, 87, known);
	c.op = op_of(f->kind, c.cmd);
	garble(&c.a);
	switch (c.op) {
	case DM_HOLD:
		c.a.hold.addr = gen_target_addr();
		c.a.hold.npages = gen_hold_npages();
		c.a.hold.flags = gen_hold_flags();
		break;
	case DM_RELEASE:
		c.a.rel.id = gen_release_id(f);
		c.a.rel.pad = chance(100) ? 1 + rnd(0xffffffffU) : 0;
		break;
	case DM_PAGE_STATE:
		c.a.st.addr = chance(700) ? target_page() + rnd(page) :
			gen_target_addr();
		break;
	}
	run_call(f, &c);
}

static struct call devmap_hold_call(const struct fuzz *f, uint64_t addr,
				    uint64_t npages, uint32_t flags)
{
	struct call c = make_call(f, DM_HOLD);

	c.a.hold.addr = addr;
	c.a.hold.npages = npages;
	c.a.hold.flags = flags;
	return c;
}

static struct call devmap_release_call(const struct fuzz *f, uint32_t id,
				       uint32_t pad)
{
	struct call c = make_call(f, DM_RELEASE);

	c.a.rel.id = id;
	c.a.rel.pad = pad;
	return c;
}

static struct call devmap_state_call(const struct fuzz *f, uint64_t addr)
{
	struct call c = make_call(f, DM_PAGE_STATE);

	c.a.st.addr = addr;
	return c;
}

/* Hold (addr, npages, flags) through the model; the id, or 0. */
static uint32_t devmap_hold_now(struct fuzz *f, uint64_t addr,
				uint64_t npages, uint32_t flags)
{
	struct call c = devmap_hold_call(f, addr, npages, flags);

	return run_call(f, &c) ? 0 : c.a.hold.id;
}

static int devmap_release_now(struct fuzz *f, uint32_t id, uint32_t pad)
{
	struct call c = devmap_release_call(f, id, pad);

	return run_call(f, &c);
}

static void devmap_state_now(struct fuzz *f, uint64_t addr)
{
	struct call c = devmap_state_call(f, addr);

	run_call(f, &c);
}

static void devmap_setup(struct fuzz *f)
{
	struct devmap_page_state st;
	unsigned int i;
	int err;

	f->obs = open_dev(f->path);
	/* The refcount of a page nobody holds, as this kernel counts it. */
	for (i = 0; i <= R_RO; i++) {
		err = observe(f, addr_of(regions[i].start), &st);
		if (err)
			ksft_exit_fail_msg("%s: PAGE_STATE of %s: %s\n",
					   f->path, regions[i].name,
					   strerror(err));
		regions[i].idle = st.refcount;
	}
	ksft_print_msg("%s: idle refcounts: anon %lld, shm %lld, ro %lld\n",
		       f->path, regions[R_ANON].idle, regions[R_SHM].idle,
		       regions[R_RO].idle);
}

/* Calls that exercise every check once, whatever the random ones do. */
static void devmap_fixed_calls(struct fuzz *f)
{
	static const enum place bad[] = {
		PL_NULL, PL_UNMAPPED, PL_KERNEL, PL_PROT_NONE, PL_STRADDLE,
	};
	const unsigned int unknown[] = {
		_IO('D', 0x7f),
		_IOWR('D', 0x03, struct devmap_hold),
		_IOR('D', 0x00, struct devmap_hold),	/* HOLD's nr, dir R */
		_IOWR('H', 0x00, struct hmm_dmirror_cmd),
	};
	uint64_t a = addr_of(regions[R_ANON].start);
	struct call c;
	uint32_t id1, id2;
	unsigned int i, op;

	for (op = 0; op < ARRAY_SIZE(devmap_ops); op++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			c = op == DM_HOLD ? devmap_hold_call(f, a, 1, 0) :
			    op == DM_RELEASE ? devmap_release_call(f, 1, 0) :
			    devmap_state_call(f, a);
			c.place = bad[i];
			run_call(f, &c);
		}
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		c = devmap_hold_call(f, a, 1, 0);
		c.cmd = unknown[i];
		c.op = -1;
		run_call(f, &c);
	}
	devmap_hold_now(f, a, 1, 0x4);
	devmap_hold_now(f, a, 1, 0x80000000);
	devmap_hold_now(f, a, 1, ~0U);

	id1 = devmap_hold_now(f, a, 2, DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE);
	devmap_state_now(f, a);
	id2 = devmap_hold_now(f, a, 1, 0);
	devmap_state_now(f, a + page);
	devmap_release_now(f, id1, 0);
	devmap_release_now(f, id2, 1);		/* pad: EINVAL */
	devmap_release_now(f, id2, 0);
	devmap_release_now(f, id1, 0);		/* again: ENOENT */
	devmap_state_now(f, a);
	devmap_hold_now(f, a, 0, 0);
	devmap_hold_now(f, a + 1, 1, 0);
	devmap_hold_now(f, a, DEVMAP_MAX_PAGES + 1, 0);
	devmap_hold_now(f, addr_of(regions[R_RO].start), 1, DEVMAP_HOLD_WRITE);
	devmap_hold_now(f, addr_of(regions[R_HOLE].start), 1, DEVMAP_HOLD_PIN);
	/* The id cannot be written back: no hold may stay behind. */
	c = devmap_hold_call(f, a, 1, DEVMAP_HOLD_PIN);
	c.place = PL_RO;
	run_call(f, &c);
	devmap_state_now(f, a);

	/* DEVMAP_MAX_HOLDS on one page, one more (ENOSPC), and all released */
	for (i = 0; i <= DEVMAP_MAX_HOLDS; i++)
		devmap_hold_now(f, a, 1, 0);
	devmap_state_now(f, a);
	while (f->nr_holds && !devmap_release_now(f, f->holds[0].id, 0))
		;
}

/* Take holds that the final close must drop, making room first. */
static void devmap_hold_some(struct fuzz *f)
{
	unsigned int i;

	while (f->nr_holds > DEVMAP_MAX_HOLDS - 3 &&
	       !devmap_release_now(f, f->holds[0].id, 0))
		;
	devmap_hold_now(f, addr_of(regions[R_SHM].start), 1,
			DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE);
	devmap_hold_now(f, addr_of(regions[R_RO].start), 2, 0);
	for (i = R_ANON; i < R_ANON + NR_ANON; i++) {
		if (regions[i].mapped) {
			devmap_hold_now(f, addr_of(regions[i].start), 3,
					DEVMAP_HOLD_PIN);
			break;
		}
	}
}

/*
 * Close the fd with its holds in place: each held page must be idle again
 * after it (its refcount as before any hold, not maybe_dma_pinned). The
 * first and last page of each hold are looked at, before and after.
 */
static void devmap_close_check(struct fuzz *f, bool final)
{
	uint64_t probe[2 * DEVMAP_MAX_HOLDS];
	struct devmap_page_state st;
	unsigned int i, n = 0;
	int err;

	if (final)
		devmap_hold_some(f);
	for (i = 0; i < f->nr_holds; i++) {
		const struct hold *h = &f->holds[i];
		uint64_t last = h->addr + (h->npages - 1) * page;

		if (hold_covers(h, h->addr))
			probe[n++] = h->addr;
		if (h->npages > 1 && hold_covers(h, last))
			probe[n++] = last;
	}
	for (i = 0; i < n; i++) {
		err = observe(f, probe[i], &st);
		if (err)
			record(f, C_STATE, 1, false, "%s: PAGE_STATE of %s: %s",
			       where(f), describe_addr(probe[i]), errname(err));
		else
			check_state(f, C_STATE, probe[i], &st);
	}
	reopen(f);
	for (i = 0; i < n; i++) {
		err = observe(f, probe[i], &st);
		if (err)
			record(f, C_CLOSE, 1, false, "%s: PAGE_STATE of %s: %s",
			       where(f), describe_addr(probe[i]), errname(err));
		else
			check_state(f, C_CLOSE, probe[i], &st);
	}
	if (final && !n)
		record(f, C_CLOSE, 1, false,
		       "no hold could be taken to check the final close");
	verify_arena(f);
}

/* ---------------------------------------------------------------------- */
/* test_hmm */

/*
 * The driver's uapi header is the tree's own (scripts/build-progs), so it
 * tells which test_hmm this is.  Linux 7.3's adds HMM_DMIRROR_FLAGS (nr 8)
 * and READ_UNLOCKED (nr 9), which the fuzzer leaves alone: FLAGS would make
 * the next allocations fail on purpose.  Its HMM_DMIRROR_EXCLUSIVE also
 * calls make_device_exclusive() page by page (v6.15), which fails a page
 * it cannot make exclusive with an error of its own, EFAULT from the fault
 * or EOPNOTSUPP for a page that is not anonymous, where 6.12's range call
 * left the page out and the driver returned EBUSY.
 */
#ifdef HMM_DMIRROR_FLAGS
#define HMM_FIRST_UNKNOWN_NR	0x0a
#define HMM_EXCLUSIVE_REFUSAL	(BIT(EBUSY) | BIT(EFAULT) | BIT(EOPNOTSUPP))
#else
#define HMM_FIRST_UNKNOWN_NR	0x08
#define HMM_EXCLUSIVE_REFUSAL	BIT(EBUSY)
#endif

#define HMM_OP(x)	{ #x, x, sizeof(struct hmm_dmirror_cmd) }
static const struct op hmm_ops[] = {
	HMM_OP(HMM_DMIRROR_READ),
	HMM_OP(HMM_DMIRROR_WRITE),
	HMM_OP(HMM_DMIRROR_MIGRATE_TO_DEV),
	HMM_OP(HMM_DMIRROR_MIGRATE_TO_SYS),
	HMM_OP(HMM_DMIRROR_SNAPSHOT),
	HMM_OP(HMM_DMIRROR_EXCLUSIVE),
	HMM_OP(HMM_DMIRROR_CHECK_EXCLUSIVE),
	HMM_OP(HMM_DMIRROR_RELEASE),
};
_Static_assert(ARRAY_SIZE(hmm_ops) <= MAX_OPS, "struct fuzz counts MAX_OPS");

enum {
	HM_READ,
	HM_WRITE,
	HM_TO_DEV,
	HM_TO_SYS,
	HM_SNAPSHOT,
	HM_EXCLUSIVE,
	HM_CHECK_EXCLUSIVE,
	HM_RELEASE,
};

/* The pages a request covers: the driver shifts npages, and so wraps. */
static uint64_t hmm_pages(const struct hmm_dmirror_cmd *h)
{
	return (h->npages << page_shift) >> page_shift;
}

/* What dmirror_fops_unlocked_ioctl() refuses before any command runs. */
static bool hmm_entry_refuses(const struct hmm_dmirror_cmd *h)
{
	return (h->addr & (page - 1)) ||
	       h->addr >= h->addr + (h->npages << page_shift);
}

/*
 * test_hmm has no bound on npages: past its entry check, a request
 * vmalloc()s npages pages at once (a warn_alloc() splat, or an OOM) and
 * CHECK_EXCLUSIVE looks at each page. Such requests test nothing but that,
 * and take long: they are cut down here. Wrapping ones stay, the entry
 * check refuses them.
 */
static void hmm_bound(struct hmm_dmirror_cmd *h)
{
	if (!hmm_entry_refuses(h) && hmm_pages(h) > HMM_MAX_PAGES)
		h->npages = 1 + rnd(16);
}

/*
 * A WRITE copies ptr's data over the range: ptr gets the range's own data,
 * so that a WRITE that works changes nothing, and the data check stands.
 */
static void hmm_fill_source(const struct hmm_dmirror_cmd *h)
{
	uint64_t i, n = hmm_pages(h), end = region_end(&regions[R_SCRATCH]);

	if (hmm_entry_refuses(h) || !in_scratch(h->ptr, 1))
		return;
	for (i = 0; i < n && h->ptr + i * page < end; i++) {
		uint64_t dst = h->ptr + i * page;
		uint64_t len = end - dst < (uint64_t)page ? end - dst :
			       (uint64_t)page;

		make_pattern(pattern, h->addr + i * page);
		memcpy((void *)(uintptr_t)dst, pattern, len);
	}
}

/*
 * A device WRITE to a read-only device-private page of the device's own
 * trips a WARN_ON() in test_hmm's dmirror_do_fault(): hmm_range_fault()
 * reports such a page without faulting, so without the write permission
 * asked for. A known gap of the stock test driver, not what this fuzzes:
 * while ro's pages may be on the device, a WRITE stops short of them.
 */
static void hmm_write_off_ro(const struct fuzz *f, struct hmm_dmirror_cmd *h)
{
	uint64_t ro = addr_of(regions[R_RO].start);
	uint64_t ro_end = region_end(&regions[R_RO]);

	if (!f->ro_on_device || hmm_entry_refuses(h) || h->addr >= ro_end ||
	    h->addr + hmm_pages(h) * page <= ro)
		return;
	if (h->addr < ro)
		h->npages = (ro - h->addr) >> page_shift;
	else
		h->addr = ro_end;
}

/* Whether MIGRATE_TO_DEV may have put pages of ro on the device. */
static bool hmm_to_dev_meets_ro(const struct call *c)
{
	const struct hmm_dmirror_cmd *h = &c->a.hmm;

	return c->op == HM_TO_DEV && !hmm_entry_refuses(h) &&
	       h->addr < region_end(&regions[R_RO]) &&
	       h->addr + hmm_pages(h) * page > addr_of(regions[R_RO].start);
}

static struct call hmm_call(const struct fuzz *f, int op, uint64_t addr,
			    uint64_t npages, uint64_t ptr)
{
	struct call c = make_call(f, op);

	c.a.hmm.addr = addr;
	c.a.hmm.npages = npages;
	c.a.hmm.ptr = ptr;
	if (op == HM_WRITE) {
		hmm_write_off_ro(f, &c.a.hmm);
		hmm_fill_source(&c.a.hmm);
	}
	return c;
}

static int hmm_now(struct fuzz *f, int op, uint64_t addr, uint64_t npages,
		   uint64_t ptr)
{
	struct call c = hmm_call(f, op, addr, npages, ptr);

	return run_call(f, &c);
}

/*
 * The result of a known command whose struct passed the entry check. The
 * command's own work comes first; a struct that cannot be written back
 * then turns its success into EFAULT.
 */
static struct expect hmm_command_expect(const struct call *c, bool writable)
{
	const struct hmm_dmirror_cmd *h = &c->a.hmm;
	uint64_t n = hmm_pages(h), done = writable ? BIT(0) : BIT(EFAULT);
	bool ptr_ok = in_scratch(h->ptr, n * page);
	int r;

	switch (c->op) {
	case HM_READ:		/* hmm_range_fault(), then copy to ptr */
		r = range_check(h->addr, n, P_RO, false);
		if (r < 0)
			return no_expectation;
		return expect(C_MODEL, r && ptr_ok ? done : BIT(EFAULT));
	case HM_WRITE:		/* copy from ptr, then a write fault */
		r = range_check(h->addr, n, P_RW, false);
		if (r < 0)
			return no_expectation;
		return expect(C_MODEL, r && ptr_ok ? done :
			      BIT(EFAULT) | BIT(EPERM));
	case HM_TO_SYS:		/* each page in a VM_READ vma, or EINVAL */
		r = range_check(h->addr, n, P_RO, false);
		if (r < 0)
			return no_expectation;
		return expect(C_MODEL, r ? done : BIT(EINVAL));
	case HM_TO_DEV:
		/* ... then the mirror must have every page: ENOENT if not */
		r = range_check(h->addr, n, P_RO, false);
		if (r < 0)
			return no_expectation;
		if (!r)
			return expect(C_MODEL, BIT(EINVAL));
		return expect(C_MODEL, BIT(ENOENT) |
			      (ptr_ok ? done : BIT(EFAULT)));
	case HM_SNAPSHOT:	/* no faults: holes and kernel ranges work */
		return expect(C_MODEL, in_scratch(h->ptr, n) ? done :
			      BIT(EFAULT));
	case HM_EXCLUSIVE:	/* private anonymous and writable, or EBUSY */
		r = range_check(h->addr, n, P_RW, true);
		if (r < 0)
			return no_expectation;
		if (!r)
			return expect(C_MODEL, HMM_EXCLUSIVE_REFUSAL);
		/* EBUSY too if a page was locked at the time */
		return expect(C_MODEL, HMM_EXCLUSIVE_REFUSAL |
			      (ptr_ok ? done : BIT(EFAULT)));
	case HM_CHECK_EXCLUSIVE:
		return expect(C_MODEL, BIT(EPERM) | done);
	}
	/* HM_RELEASE */
	return expect(C_MODEL, done);
}

static struct expect hmm_expect(struct fuzz *f, const struct call *c)
{
	/* test_hmm copies its struct in before it looks at the command. */
	if (!arg_readable(f, c))
		return expect(C_BADPTR, BIT(EFAULT));
	if (c->op < 0)
		return expect(C_UNKNOWN, BIT(EINVAL));
	if (hmm_entry_refuses(&c->a.hmm))
		return expect(C_ARGS, BIT(EINVAL));
	return hmm_command_expect(c, arg_writable(f, c));
}

static void hmm_after(struct fuzz *f, const struct call *c, int err)
{
	const struct hmm_dmirror_cmd *h = &c->a.hmm;
	uint64_t i, n = hmm_pages(h);
	bool ptr_ok = in_scratch(h->ptr, n * page);

	if (c->op >= 0 && hmm_to_dev_meets_ro(c))
		f->ro_on_device = true;
	if (err || c->op < 0)
		return;
	switch (c->op) {
	case HM_RELEASE:	/* all device memory evicted */
		f->ro_on_device = false;
		break;
	case HM_WRITE:
	case HM_SNAPSHOT:
		record(f, C_MODEL, 1, h->cpages == n,
		       "%s: %s: cpages %llu, expected %llu", where(f),
		       describe_call(f, c), (unsigned long long)h->cpages,
		       (unsigned long long)n);
		break;
	case HM_TO_SYS:
		record(f, C_MODEL, 1, h->cpages <= n,
		       "%s: %s: cpages %llu, more than npages", where(f),
		       describe_call(f, c), (unsigned long long)h->cpages);
		break;
	case HM_READ:
	case HM_TO_DEV:
	case HM_EXCLUSIVE:
		/* They hand back the range's data, as the device sees it. */
		record(f, C_MODEL, 1, h->cpages == n && ptr_ok,
		       "%s: %s succeeded with cpages %llu", where(f),
		       describe_call(f, c), (unsigned long long)h->cpages);
		if (!ptr_ok)
			break;
		for (i = 0; i < n; i++)
			check_page(f, (void *)(uintptr_t)(h->ptr + i * page),
				   h->addr + i * page, op_name(f, c));
		break;
	}
}

/* ptr: mostly scratch; never the fuzzer's own data, nor the arena. */
static uint64_t gen_ptr(int op)
{
	uint64_t s = addr_of(regions[R_SCRATCH].start);
	uint64_t e = region_end(&regions[R_SCRATCH]);
	unsigned int r = rnd(100);

	if (r < 75)
		return s;
	if (r < 80)
		return s + 1 + rnd(page - 1);
	if (r < 83)
		return e - 1 - rnd(page);	/* runs into scratch-end */
	if (r < 86)
		return 0;
	if (r < 89)
		return low_addr();
	if (r < 92)
		return kernel_addr();
	if (r < 95)
		return addr_of(regions[R_ARGS_NONE].start);
	/* Read-only, but not for WRITE: its data would land in the arena. */
	if (r < 98 && op != HM_WRITE)
		return addr_of(regions[R_ARGS_RO].start);
	return e;
}

static uint64_t gen_hmm_npages(uint64_t addr)
{
	unsigned int r = rnd(100);

	if (r < 25)
		return 1;
	if (r < 55)
		return 1 + rnd(16);
	if (r < 70)
		return 1 + rnd(64);
	if (r < 78)
		return 1 + rnd(TARGET_PAGES);
	if (r < 83)
		return 0;
	if (r < 88)	/* addr + (npages << PAGE_SHIFT) wraps past 0 */
		return ((~addr) >> page_shift) + 1 + rnd(16);
	if (r < 92)	/* the shift drops the high bits: a small range */
		return (1ULL << (64 - page_shift)) + 1 + rnd(16);
	if (r < 95)	/* ... or none */
		return 1ULL << (64 - page_shift);
	return rnd64();
}

static void hmm_random_call(struct fuzz *f)
{
	/* RELEASE frees all device memory: rare, it costs a new chunk. */
	static const unsigned int weight[] = { 16, 12, 16, 14, 12, 10, 8, 0 };
	unsigned int i, r = rnd(88), known = HM_RELEASE;
	struct call c = { .place = gen_place() };

	for (i = 0; i < ARRAY_SIZE(weight) - 1; i++) {
		if (r < weight[i]) {
			known = i;
			break;
		}
		r -= weight[i];
	}
	if (chance(3))
		known = HM_RELEASE;
	if (no_random_exclusive && known == HM_EXCLUSIVE)
		known = HM_CHECK_EXCLUSIVE;
	do {
		c.cmd = gen_cmd(f->kind, 87, hmm_ops[known].cmd);
	} while (no_random_exclusive && c.cmd == HMM_DMIRROR_EXCLUSIVE);
	c.op = op_of(f->kind, c.cmd);
	garble(&c.a);
	if (c.op >= 0) {
		c.a.hmm.addr = gen_target_addr();
		c.a.hmm.npages = gen_hmm_npages(c.a.hmm.addr);
		c.a.hmm.ptr = gen_ptr(c.op);
		hmm_bound(&c.a.hmm);
		if (c.op == HM_WRITE) {
			hmm_write_off_ro(f, &c.a.hmm);
			hmm_fill_source(&c.a.hmm);
		}
	}
	run_call(f, &c);
}

static void hmm_fixed_calls(struct fuzz *f)
{
	static const enum place bad[] = {
		PL_NULL, PL_UNMAPPED, PL_KERNEL, PL_PROT_NONE, PL_STRADDLE,
	};
	const unsigned int unknown[] = {
		_IOWR('H', HMM_FIRST_UNKNOWN_NR, struct hmm_dmirror_cmd),
		_IO('H', 0x7f),
		_IOR('H', 0x00, struct hmm_dmirror_cmd),	/* READ's nr, dir R */
		_IOWR('D', 0x00, struct devmap_hold),
	};
	uint64_t a = addr_of(regions[R_ANON].start);
	uint64_t b = addr_of(regions[R_ANON + 1].start);
	uint64_t s = addr_of(regions[R_SCRATCH].start);
	struct call c;
	unsigned int i, op;

	for (op = 0; op < ARRAY_SIZE(hmm_ops); op++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			c = hmm_call(f, op, a, 1, s);
			c.place = bad[i];
			run_call(f, &c);
		}
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		c = hmm_call(f, HM_READ, a, 1, s);
		c.cmd = unknown[i];
		c.op = -1;
		run_call(f, &c);
	}
	hmm_now(f, HM_READ, a + 1, 1, s);
	hmm_now(f, HM_READ, a, 0, s);
	hmm_now(f, HM_TO_DEV, 0xfffffffffffff000ULL, 2, s);
	hmm_now(f, HM_SNAPSHOT, a, 1ULL << (64 - page_shift), s);

	hmm_now(f, HM_READ, a, 8, s);
	hmm_now(f, HM_WRITE, a, 8, s);
	hmm_now(f, HM_SNAPSHOT, a, 8, s);
	hmm_now(f, HM_TO_DEV, a, 8, s);
	hmm_now(f, HM_READ, a, 8, s);
	hmm_now(f, HM_TO_SYS, a, 8, s);
	hmm_now(f, HM_EXCLUSIVE, b, 4, s);
	hmm_now(f, HM_CHECK_EXCLUSIVE, b, 4, s);
	hmm_now(f, HM_READ, addr_of(regions[R_SHM].start), 4, s);
	hmm_now(f, HM_READ, addr_of(regions[R_RO].start), 4, s);
	hmm_now(f, HM_TO_SYS, addr_of(regions[R_NONE].start), 1, s);
}

/* A request outside the model, for the close check; 0 or the errno. */
static int hmm_direct(struct fuzz *f, unsigned int cmd, uint64_t addr,
		      uint64_t npages)
{
	struct hmm_dmirror_cmd h = {
		.addr = addr,
		.ptr = addr_of(regions[R_SCRATCH].start),
		.npages = npages,
	};

	crash_note(f, "cmd %#x on %s for the close check", cmd,
		   describe_addr(addr));
	return ioctl(f->fd, cmd, &h) ? errno : 0;
}

static bool on_device(unsigned char perm)
{
	unsigned int kind = perm & 0xf0;

	return perm != HMM_DMIRROR_PROT_ERROR &&
	       kind >= HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL &&
	       kind <= HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE;
}

/* The pages of region r on a device, by SNAPSHOT; -errno if it failed. */
static int device_pages(struct fuzz *f, const struct region *r)
{
	const unsigned char *perm = (void *)regions[R_SCRATCH].start;
	unsigned int i;
	int err, n = 0;

	err = hmm_direct(f, HMM_DMIRROR_SNAPSHOT, addr_of(r->start), r->pages);
	if (err)
		return -err;
	for (i = 0; i < r->pages; i++)
		n += on_device(perm[i]);
	return n;
}

/* Put a region on the device, so that the final close has pages to return. */
static void hmm_put_on_device(struct fuzz *f)
{
	struct region *r = NULL;
	unsigned int i;
	int err, n;

	for (i = R_ANON; i < R_ANON + NR_ANON && !r; i++)
		if (regions[i].mapped)
			r = &regions[i];
	if (!r) {
		r = &regions[R_ANON];
		if (region_map(r, true))
			ksft_exit_fail_msg("cannot map %s again: %s\n",
					   r->name, strerror(errno));
		f->remaps++;
	}
	/*
	 * A page under exclusive device access (HMM_DMIRROR_EXCLUSIVE) is not
	 * migrated: faulting the region in ends that access first.
	 */
	if (populate(r))
		ksft_exit_fail_msg("cannot fault %s in: %s\n", r->name,
				   strerror(errno));
	err = hmm_direct(f, HMM_DMIRROR_MIGRATE_TO_DEV, addr_of(r->start),
			 r->pages);
	n = device_pages(f, r);
	if (n <= 0)
		record(f, C_CLOSE, 1, false,
		       "no page of %s went to the device before the final close (MIGRATE_TO_DEV: %s, SNAPSHOT: %s)",
		       r->name, errname(err), n < 0 ? errname(-n) : "0 pages");
}

/*
 * Closing the fd evicts all device memory: before any CPU access, a
 * SNAPSHOT through the new fd must find no arena page on the device.
 */
static void hmm_close_check(struct fuzz *f, bool final)
{
	unsigned int i;
	int n;

	if (final)
		hmm_put_on_device(f);
	reopen(f);
	f->ro_on_device = false;	/* the close evicted device memory */
	for (i = 0; i < R_HOLE; i++) {
		struct region *r = &regions[i];

		if (!r->mapped)
			continue;
		n = device_pages(f, r);
		if (n < 0)
			record(f, C_CLOSE, r->pages, false,
			       "%s: SNAPSHOT of %s after close: %s", where(f),
			       r->name, errname(-n));
		else
			record(f, C_CLOSE, r->pages, !n,
			       "%s: after close, %d pages of %s still on the device",
			       where(f), n, r->name);
	}
	verify_arena(f);
}

/* ---------------------------------------------------------------------- */

static const struct kind devmap_kind = {
	.name = "test_devmap",
	.ops = devmap_ops,
	.nr_ops = ARRAY_SIZE(devmap_ops),
	.type = 'D',
	.checks = {
		[C_CRASH] = { "no crash", "calls" },
		[C_BADPTR] = {
			"a bad argument pointer fails with EFAULT", "calls" },
		[C_UNKNOWN] = {
			"an unknown command fails with ENOTTY", "calls" },
		[C_ARGS] = {
			"a hold with flags outside DEVMAP_HOLD_FLAGS fails with EINVAL",
			"calls" },
		[C_MODEL] = {
			"results follow from the driver's checks and the fd's holds",
			"checks" },
		[C_STATE] = {
			"PAGE_STATE reports the references of the live holds",
			"pages" },
		[C_CLOSE] = { "closing the fd drops every hold", "pages" },
		[C_DATA] = { "arena data intact", "pages" },
	},
	.setup = devmap_setup,
	.fixed_calls = devmap_fixed_calls,
	.random_call = devmap_random_call,
	.expect = devmap_expect,
	.after = devmap_after,
	.close_check = devmap_close_check,
};

static const struct kind hmm_kind = {
	.name = "hmm_dmirror",
	.ops = hmm_ops,
	.nr_ops = ARRAY_SIZE(hmm_ops),
	.type = 'H',
	.arg_size = sizeof(struct hmm_dmirror_cmd),
	.checks = {
		[C_CRASH] = { "no crash", "calls" },
		[C_BADPTR] = {
			"a bad argument pointer fails with EFAULT", "calls" },
		[C_UNKNOWN] = {
			"an unknown command fails with EINVAL", "calls" },
		[C_ARGS] = {
			"an unaligned addr, no pages or a wrapping range fail with EINVAL",
			"calls" },
		[C_MODEL] = {
			"results follow from the arguments and the memory map",
			"checks" },
		[C_CLOSE] = {
			"closing the fd brings every page back from the device",
			"pages" },
		[C_DATA] = {
			"arena data intact, as the CPU and the device read it",
			"pages" },
	},
	.fixed_calls = hmm_fixed_calls,
	.random_call = hmm_random_call,
	.expect = hmm_expect,
	.after = hmm_after,
	.close_check = hmm_close_check,
};

static unsigned int nr_checks(const struct kind *k)
{
	unsigned int i, n = 0;

	for (i = 0; i < NR_CHECKS; i++)
		n += !!k->checks[i].what;
	return n;
}

/* The driver's own name for the device, from sysfs; else the path's. */
static const struct kind *kind_of(const char *path, int fd)
{
	char buf[512], *name = NULL, *nl;
	struct stat st;
	ssize_t len;
	int ufd;

	if (!fstat(fd, &st) && S_ISCHR(st.st_mode)) {
		snprintf(buf, sizeof(buf), "/sys/dev/char/%u:%u/uevent",
			 major(st.st_rdev), minor(st.st_rdev));
		ufd = open(buf, O_RDONLY | O_CLOEXEC);
		len = ufd < 0 ? -1 : read(ufd, buf, sizeof(buf) - 1);
		if (ufd >= 0)
			close(ufd);
		if (len > 0) {
			buf[len] = 0;
			name = strstr(buf, "DEVNAME=");
			if (name) {
				name += strlen("DEVNAME=");
				nl = strchr(name, '\n');
				if (nl)
					*nl = 0;
			}
		}
	}
	if (!name) {
		name = strrchr(path, '/');
		name = name ? name + 1 : (char *)path;
	}
	if (!strcmp(name, "test_devmap"))
		return &devmap_kind;
	if (!strncmp(name, "hmm_dmirror", strlen("hmm_dmirror")))
		return &hmm_kind;
	return NULL;
}

/* Unmap a target anon region, preferably one with holds, or map it again. */
static void toggle_region(struct fuzz *f)
{
	struct region *r = &regions[R_ANON + rnd(NR_ANON)];

	if (f->nr_holds && chance(500)) {
		struct region *h = region_of(f->holds[rnd(f->nr_holds)].addr);

		if (h && h < &regions[R_ANON + NR_ANON])
			r = h;
	}
	crash_note(f, "%s %s", r->mapped ? "unmapping" : "mapping", r->name);
	if (r->mapped) {
		region_unmap(r);
		f->unmaps++;
		return;
	}
	/* Nothing else maps at a free place of ours: it must be free. */
	if (region_map(r, true))
		ksft_exit_fail_msg("cannot map %s again: %s\n", r->name,
				   strerror(errno));
	f->remaps++;
}

/*
 * The CPU reads a page, and writes to it if it may (adding 0, so that the
 * data stays): a page on the device, or exclusive to it, comes back.
 */
static void touch_page(struct fuzz *f)
{
	uint64_t a = target_page();
	struct region *r = region_of(a);

	if (!r->mapped || r->prot == PROT_NONE)
		return;
	crash_note(f, "the CPU touching %s", describe_addr(a));
	check_page(f, (void *)(uintptr_t)a, a, "the CPU read");
	if (r->prot & PROT_WRITE)
		__atomic_fetch_add((uint64_t *)(uintptr_t)a, 0, __ATOMIC_RELAXED);
	f->touches++;
}

/* Now and then, between calls: close, unmap or remap, touch. */
static void random_action(struct fuzz *f)
{
	if (chance(2))
		f->kind->close_check(f, false);
	else if (chance(6))
		toggle_region(f);
	else if (f->kind == &hmm_kind && chance(20))
		touch_page(f);
}

static void print_stats(const struct fuzz *f)
{
	unsigned int i;

	/* "# calls: N" is summed over devices and loops by check-debug. */
	ksft_print_msg("calls: %lu (%s, %s: %lu random, %lu fixed; %lu succeeded)\n",
		       f->calls + f->fixed, f->path, f->kind->name, f->calls,
		       f->fixed, f->ok);
	ksft_print_msg("%s: results:", f->path);
	for (i = 0; i < NR_ERRNO; i++)
		if (f->errs[i])
			printf(" %s %lu", errname(i), f->errs[i]);
	printf("\n");
	ksft_print_msg("%s: calls (succeeded):", f->path);
	for (i = 0; i <= f->kind->nr_ops; i++)
		printf(" %s %lu (%lu)",
		       i < f->kind->nr_ops ? f->kind->ops[i].name : "other",
		       f->op_calls[i], f->op_ok[i]);
	printf("\n");
	ksft_print_msg("%s: %lu reopens, %lu unmaps, %lu remaps, %lu touches\n",
		       f->path, f->reopens, f->unmaps, f->remaps, f->touches);
}

/*
 * The TAP lines of a device, in the order of its checks, which crash_note()
 * counts on for the first one.
 */
static void report(const struct fuzz *f)
{
	const struct kind *k = f->kind;
	char tail[64];
	unsigned int i;

	print_stats(f);
	ksft_test_result_pass("%s: %lu random calls, no crash\n", f->path,
			      f->calls);
	for (i = C_CRASH + 1; i < NR_CHECKS; i++) {
		const struct check *ch = &f->check[i];

		if (!k->checks[i].what)
			continue;
		if (ch->bad)
			snprintf(tail, sizeof(tail), ", %lu failed)", ch->bad);
		else
			snprintf(tail, sizeof(tail), ")%s",
				 ch->n ? "" : " # never exercised");
		ksft_test_result(ch->n && !ch->bad, "%s: %s (%lu %s%s\n",
				 f->path, k->checks[i].what, ch->n,
				 k->checks[i].unit, tail);
		if (ch->bad)
			ksft_print_msg("first: %s\n", ch->first);
	}
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static void fuzz_device(const char *path, const struct kind *k,
			uint64_t seed, unsigned long calls)
{
	static struct fuzz fz;
	struct fuzz *f = &fz;
	unsigned long i;

	memset(f, 0, sizeof(*f));
	f->path = path;
	f->kind = k;
	f->calls = calls;
	f->tap = ksft_test_num() + 1;
	f->obs = -1;
	rng_state = hash64(seed ^ fnv1a(path)) ?: 1;
	tag_salt = rnd64();

	crash_note(f, "setting up");
	arena_setup();
	f->fd = open_dev(path);
	if (k->setup)
		k->setup(f);

	f->in_fixed = true;
	k->fixed_calls(f);
	f->in_fixed = false;
	for (i = 1; i <= calls; i++) {
		f->call_no = i;
		random_action(f);
		k->random_call(f);
	}
	f->final = true;
	k->close_check(f, true);

	report(f);
	close(f->fd);
	if (f->obs >= 0)
		close(f->obs);
	arena_teardown();
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-E] [-s SEED] [-n CALLS] DEVICE...\n"
		"  -E      no HMM_DMIRROR_EXCLUSIVE among the random calls (for\n"
		"          the device-coherent mirrors, hmm_dmirror2/3)\n"
		"  SEED    PRNG seed, decimal or 0x hex (default %llu); the same\n"
		"          seed replays the same calls on a device\n"
		"  CALLS   random ioctls per device, 0..%lu (default %lu)\n"
		"  DEVICE  /dev/test_devmap or /dev/hmm_dmirrorN; each must exist\n",
		prog, DEFAULT_SEED, MAX_CALLS, DEFAULT_CALLS);
	exit(2);
}

int main(int argc, char **argv)
{
	const struct kind *kinds[64];
	unsigned long long seed = DEFAULT_SEED;
	long calls = DEFAULT_CALLS;
	int opt, i, fd, ndev, plan = 0;
	char *end;

	while ((opt = getopt(argc, argv, "s:n:E")) != -1) {
		switch (opt) {
		case 'E':
			no_random_exclusive = true;
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || !*optarg || *end || *optarg == '-') {
				fprintf(stderr, "bad SEED '%s'\n", optarg);
				usage(argv[0]);
			}
			break;
		case 'n':
			if (!parse_long(optarg, 0, MAX_CALLS, &calls)) {
				fprintf(stderr, "bad CALLS '%s'\n", optarg);
				usage(argv[0]);
			}
			break;
		default:
			usage(argv[0]);
		}
	}
	ndev = argc - optind;
	if (ndev < 1 || ndev > (int)ARRAY_SIZE(kinds))
		usage(argv[0]);

	page = sysconf(_SC_PAGESIZE);
	page_shift = __builtin_ctzl(page);
	pattern = malloc(page);

	ksft_print_header();
	for (i = 0; i < ndev; i++) {
		const char *path = argv[optind + i];

		fd = open_dev(path);
		kinds[i] = kind_of(path, fd);
		close(fd);
		if (!kinds[i])
			ksft_exit_fail_msg("%s is neither test_devmap nor hmm_dmirror\n",
					   path);
		plan += nr_checks(kinds[i]);
	}
	ksft_set_plan(plan);
	ksft_print_msg("seed %llu, %ld random calls per device; replay: %s%s -s %llu -n %ld",
		       seed, calls, argv[0], no_random_exclusive ? " -E" : "",
		       seed, calls);
	for (i = optind; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");

	catch_crashes();
	stay_on_one_cpu();
	for (i = 0; i < ndev; i++)
		fuzz_device(argv[optind + i], kinds[i], seed, calls);
	ksft_finished();
}
