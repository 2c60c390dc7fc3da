// SPDX-License-Identifier: GPL-2.0
/*
 * devmap-stress: fsdax truncate and hole punch racing GUP references.
 *
 * devmap-tests checks the series' guarantee one hold and one truncate at a
 * time: on an fsdax file, truncate and hole punch wait until no GUP
 * reference is held on the pages they remove, and are woken when the last
 * one goes (the put that takes a page back to idle wakes the waiter). This
 * runs many holds and file operations at once, as O_DIRECT and vmsplice
 * users meet truncate in real life, and checks that nothing hangs, that
 * nothing stops waiting too early, that no data is lost or corrupted and
 * that no reference is leaked.
 *
 * A file of NPAGES pages in DIR is mapped MAP_SHARED once over that size.
 * HOLDERS threads, each with its own /dev/test_devmap file (the driver
 * limits holds per file), loop: hold a random range of the mapping (pin or
 * get, with or without write) for 0-5 ms, release it, pause. Two mutator
 * threads take turns, under one mutex, to shrink the file, extend it again,
 * punch holes in it and pwrite patterns into it, and keep a shadow copy of
 * what it must contain. The main thread is a watchdog: a thread stuck in one
 * call for 30 s is a hang, reported with the call it is in; the program then
 * exits, as a thread asleep in the kernel cannot be stopped. Afterwards it
 * checks the file against the shadow, through pread() and through the
 * mapping, that every page is idle again, and that a truncate to zero goes
 * through.
 *
 * Output is kselftest TAP on stdout (kselftest.h): one "ok"/"not ok" line
 * per check, with "# " lines for the seed, the counts and each failure. A
 * hang is "not ok 1" (the first check) with the stuck threads, then
 * "Bail out!". Exit status 0 if every check passed, 1 otherwise, 2 on bad
 * arguments.
 *
 * Build against the kernel under test:
 * gcc -O2 -pthread -I$KSRC/lib -I$KSRC/tools/testing/selftests ...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "test_devmap_uapi.h"
#include "progs.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define DEVMAP_DEV		"/dev/test_devmap"
#define NPAGES			256	/* largest file size, and the mapping's */
#define MAX_RANGE		16	/* pages per hold, pwrite or punch, at most */
#define MUTATORS		2
#define MAX_HOLDERS		64
#define HOLD_MAX_US		5000	/* how long a hold lasts, at most */
#define HANG_MS			30000	/* one call this long is a hang */
#define WATCH_MS		100	/* watchdog period */
#define FINAL_TRUNCATE_MS	10000
#define OPLOG_SIZE		1024
#define MAX_REPORTS		5	/* failure messages kept per check */
#define MAX_SECONDS		86400

_Static_assert(NPAGES < 4096, "op_pack() keeps page numbers in 12 bits");
_Static_assert(MAX_RANGE <= DEVMAP_MAX_PAGES, "a hold must fit the driver");

#define MIN(a, b)		((a) < (b) ? (a) : (b))

/* CHECK_HANG comes first: a hang is reported before any other check ran. */
enum check {
	CHECK_HANG,
	CHECK_FILE_OPS,
	CHECK_HOLDS,
	CHECK_RELEASES,
	CHECK_WAITS,
	CHECK_PREAD,
	CHECK_MAPPING,
	CHECK_IDLE,
	CHECK_TRUNCATE,
	NR_CHECKS
};
_Static_assert(CHECK_HANG == 0, "check_stuck() reports the hang as result 1");

static const char *const check_desc[NR_CHECKS] = {
	[CHECK_HANG]	 = "no thread stuck in one call for 30 s",
	[CHECK_FILE_OPS] = "every truncate, extend, hole punch and pwrite succeeded",
	[CHECK_HOLDS]	 = "holds succeeded inside EOF and failed (EFAULT) only at or beyond it",
	[CHECK_RELEASES] = "every release succeeded",
	[CHECK_WAITS]	 = "no truncate or hole punch finished while a write hold was on its pages",
	[CHECK_PREAD]	 = "file contents read with pread match the shadow copy",
	[CHECK_MAPPING]	 = "file contents read through the mapping match the shadow copy",
	[CHECK_IDLE]	 = "every page within EOF is an idle fsdax page: idle refcount, not pinned",
	[CHECK_TRUNCATE] = "a truncate to 0 after the run finishes",
};

/* Failures per check: how many, and the first messages. */
static struct {
	long count;
	char msg[MAX_REPORTS][256];
} failures[NR_CHECKS];
static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;

static long page_size;
static uint64_t seed;
static int nr_holders = 4;
static int file_fd = -1;
static char file_path[PATH_MAX];
static char *map = MAP_FAILED;

static atomic_bool stop;
static atomic_int running;

/* What the mutators know of the file; all under file_lock. */
static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
static long file_pages;			/* its size */
static uint32_t shadow[NPAGES];		/* generation written; 0: zeroes */
static uint32_t generation;
static bool shadow_lost;		/* a file operation failed half-way */

/*
 * The size for the holders, as a seqcount: odd while a size change is in
 * progress. A hold that saw the same even count before and after its call
 * ran against a size of eof_pages throughout.
 */
static atomic_ulong eof_seq;
static atomic_long eof_pages;

/*
 * The mutators' operations, numbered from 1 in the order they run: the last
 * one started, the last one finished, and the recent ones' kind and range
 * (op_pack()). The mutators run one at a time, so started is done or done
 * + 1. check_removals() uses this to see what ran during a hold.
 */
enum op_kind { OP_WRITE, OP_PUNCH, OP_SHRINK, OP_EXTEND };
static const char *const op_names[] = {
	[OP_WRITE]	= "pwrite",
	[OP_PUNCH]	= "hole punch",
	[OP_SHRINK]	= "truncate",
	[OP_EXTEND]	= "extend",
};
static _Atomic uint64_t ops_started, ops_done;
static _Atomic uint64_t op_ring[OPLOG_SIZE];

static struct {
	atomic_long holds, pins, write_holds, releases, eof_failures;
	atomic_long efault_inside, other_errors, success_beyond;
	atomic_long waited;
	atomic_long truncates, extends, punches, writes;
} stats;

/* A holder or mutator thread. */
struct worker {
	pthread_t thread;
	const char *role;
	int idx;
	int devfd;		/* holders: their own /dev/test_devmap file */
	char *buf;		/* mutators: MAX_RANGE pages to pwrite */
	uint64_t rng;
	/* What it is doing and since when, for the watchdog. */
	_Atomic(const char *) doing;
	atomic_long first, end;
	atomic_llong since;
};

/* A uniform choice in [0, n) from a thread's own generator (splitmix64). */
static long rnd(uint64_t *state, long n)
{
	*state += SPLITMIX64_GAMMA;
	return mix64(*state) % n;
}

/*
 * The contents of page @pg after pwrite number @gen: depends on the seed,
 * the page and the generation, so data that lands on the wrong page, or
 * stale data of an earlier write, never matches. Generation 0 is zeroes.
 */
static void fill_page(void *page, long pg, uint32_t gen)
{
	uint64_t *w = page, key;
	long i;

	if (!gen) {
		memset(page, 0, page_size);
		return;
	}
	key = mix64(seed ^ mix64((uint64_t)gen << 32 | pg));
	for (i = 0; i < page_size / 8; i++)
		w[i] = mix64(key + i);
}

__attribute__((format(printf, 2, 3)))
static void fail(enum check c, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&failures_lock);
	if (failures[c].count < MAX_REPORTS) {
		va_start(ap, fmt);
		vsnprintf(failures[c].msg[failures[c].count],
			  sizeof(failures[c].msg[0]), fmt, ap);
		va_end(ap);
	}
	failures[c].count++;
	pthread_mutex_unlock(&failures_lock);
}

static void print_failures(enum check c)
{
	long i, n = failures[c].count;

	for (i = 0; i < n && i < MAX_REPORTS; i++)
		ksft_print_msg("%s\n", failures[c].msg[i]);
	if (n > MAX_REPORTS)
		ksft_print_msg("... and %ld more\n", n - MAX_REPORTS);
}

/*
 * Print the TAP line of check @c, then its failures. The checks are
 * reported in enum order: kselftest.h numbers the lines itself.
 */
static void report(enum check c)
{
	ksft_test_result(!failures[c].count, "%s\n", check_desc[c]);
	print_failures(c);
}

/* "# holds N" is summed over loops by check-debug. */
static void print_stats(double secs)
{
	ksft_print_msg("ran %.1f s, seed %llu\n", secs, (unsigned long long)seed);
	ksft_print_msg("holds %ld (pins %ld, with write %ld), releases %ld\n",
		       stats.holds, stats.pins, stats.write_holds, stats.releases);
	ksft_print_msg("holds failing with EFAULT at or across EOF (legitimate) %ld\n",
		       stats.eof_failures);
	ksft_print_msg("unexpected holds: EFAULT inside EOF %ld, other errors %ld, success beyond EOF %ld\n",
		       stats.efault_inside, stats.other_errors, stats.success_beyond);
	ksft_print_msg("truncates and hole punches still waiting for a write hold on their pages at its release: %ld\n",
		       stats.waited);
	ksft_print_msg("file operations: truncates %ld, extends %ld, hole punches %ld, pwrites %ld\n",
		       stats.truncates, stats.extends, stats.punches, stats.writes);
}

static void set_doing(struct worker *w, const char *what, long first, long end)
{
	/* since before doing: the watchdog reads them the other way round */
	atomic_store(&w->first, first);
	atomic_store(&w->end, end);
	atomic_store(&w->since, now_ms());
	atomic_store(&w->doing, what);
}

static void worker_exit(struct worker *w)
{
	atomic_store(&w->doing, NULL);
	atomic_fetch_sub(&running, 1);
}

/* Release hold @id of test_devmap file @devfd; 0 or -errno. */
static int devmap_release(int devfd, uint32_t id)
{
	struct devmap_release r = { .id = id };

	return ioctl(devfd, DEVMAP_IOC_RELEASE, &r) ? -errno : 0;
}

/* Page @pg of the mapping. */
static char *map_page(long pg)
{
	return map + pg * page_size;
}

static const char *hold_kind(unsigned int flags)
{
	static const char *const kinds[] = {
		[0]					= "get",
		[DEVMAP_HOLD_PIN]			= "pin",
		[DEVMAP_HOLD_WRITE]			= "write get",
		[DEVMAP_HOLD_PIN | DEVMAP_HOLD_WRITE]	= "write pin",
	};

	return kinds[flags & DEVMAP_HOLD_FLAGS];
}

/* The op log, see ops_started. Called with file_lock held. */
static uint64_t op_pack(uint64_t id, enum op_kind kind, long first, long end)
{
	return id << 32 | (uint64_t)kind << 24 | (uint64_t)first << 12 | end;
}

static uint64_t op_begin(enum op_kind kind, long first, long end)
{
	uint64_t id = atomic_load(&ops_started) + 1;

	atomic_store(&op_ring[id % OPLOG_SIZE], op_pack(id, kind, first, end));
	atomic_store(&ops_started, id);
	return id;
}

static void op_end(uint64_t id)
{
	atomic_store(&ops_done, id);
}

/*
 * Only truncate and hole punch remove pages. An extending ftruncate() waits
 * for idle pages too on ext4 and xfs, but frees nothing, so the guarantee
 * does not cover it.
 */
static bool op_removes(enum op_kind kind)
{
	return kind == OP_SHRINK || kind == OP_PUNCH;
}

/* A file operation failed: from here on the shadow copy is unreliable. */
static int file_op_failed(struct worker *w, enum op_kind kind, long first,
			  long end, long ret)
{
	fail(CHECK_FILE_OPS, "mutator %d: %s of pages [%ld, %ld): %s", w->idx,
	     op_names[kind], first, end,
	     ret < 0 ? strerror(errno) : "short write");
	shadow_lost = true;
	return -1;
}

static int do_write(struct worker *w)
{
	long first = rnd(&w->rng, file_pages);
	long n = 1 + rnd(&w->rng, MIN(MAX_RANGE, file_pages - first));
	uint32_t gen = ++generation;
	size_t len = n * page_size;
	uint64_t id;
	ssize_t ret;
	long i;

	for (i = 0; i < n; i++)
		fill_page(w->buf + i * page_size, first + i, gen);
	set_doing(w, "pwrite", first, first + n);
	id = op_begin(OP_WRITE, first, first + n);
	ret = pwrite(file_fd, w->buf, len, first * page_size);
	op_end(id);
	if (ret != (ssize_t)len)
		return file_op_failed(w, OP_WRITE, first, first + n, ret);
	for (i = 0; i < n; i++)
		shadow[first + i] = gen;
	atomic_fetch_add(&stats.writes, 1);
	return 0;
}

/* Anywhere in the mapping: a hole punched beyond EOF removes nothing. */
static int do_punch(struct worker *w)
{
	long n = 1 + rnd(&w->rng, MAX_RANGE);
	long first = rnd(&w->rng, NPAGES - n + 1);
	uint64_t id;
	int ret;

	set_doing(w, "hole punch", first, first + n);
	id = op_begin(OP_PUNCH, first, first + n);
	ret = fallocate(file_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			first * page_size, n * page_size);
	op_end(id);
	if (ret)
		return file_op_failed(w, OP_PUNCH, first, first + n, ret);
	memset(&shadow[first], 0, n * sizeof(shadow[0]));
	atomic_fetch_add(&stats.punches, 1);
	return 0;
}

/* Size changes bracket the call in the eof_seq seqcount. */
static int do_shrink(struct worker *w)
{
	long old = file_pages, new = rnd(&w->rng, old);
	uint64_t id;
	int ret;

	atomic_fetch_add(&eof_seq, 1);
	set_doing(w, "truncate", new, old);
	id = op_begin(OP_SHRINK, new, old);
	ret = ftruncate(file_fd, new * page_size);
	op_end(id);
	if (ret)	/* eof_seq stays odd: the size is unknown now */
		return file_op_failed(w, OP_SHRINK, new, old, ret);
	atomic_store(&eof_pages, new);
	atomic_fetch_add(&eof_seq, 1);
	memset(&shadow[new], 0, (old - new) * sizeof(shadow[0]));
	file_pages = new;
	atomic_fetch_add(&stats.truncates, 1);
	return 0;
}

/*
 * Extend with ftruncate() or with fallocate(): the new pages read as
 * zeroes either way, as the shadow beyond EOF already says, but on ext4
 * only ftruncate() waits for the file's pages to be idle first, so the two
 * meet the holders differently.
 */
static int do_extend(struct worker *w)
{
	long old = file_pages, new = old + 1 + rnd(&w->rng, NPAGES - old);
	bool by_fallocate = rnd(&w->rng, 2);
	uint64_t id;
	int ret;

	atomic_fetch_add(&eof_seq, 1);
	set_doing(w, by_fallocate ? "extend by fallocate" : "extend by ftruncate",
		  old, new);
	id = op_begin(OP_EXTEND, old, new);
	if (by_fallocate)
		ret = fallocate(file_fd, 0, old * page_size,
				(new - old) * page_size);
	else
		ret = ftruncate(file_fd, new * page_size);
	op_end(id);
	if (ret)
		return file_op_failed(w, OP_EXTEND, old, new, ret);
	atomic_store(&eof_pages, new);
	atomic_fetch_add(&eof_seq, 1);
	file_pages = new;
	atomic_fetch_add(&stats.extends, 1);
	return 0;
}

static enum op_kind pick_op(struct worker *w)
{
	long r = rnd(&w->rng, 10);

	if (r < 4)
		return file_pages ? OP_WRITE : OP_EXTEND;
	if (r < 6)
		return OP_PUNCH;
	if (r < 8)
		return file_pages ? OP_SHRINK : OP_EXTEND;
	return file_pages < NPAGES ? OP_EXTEND : OP_SHRINK;
}

static int mutate_one(struct worker *w)
{
	switch (pick_op(w)) {
	case OP_WRITE:
		return do_write(w);
	case OP_PUNCH:
		return do_punch(w);
	case OP_SHRINK:
		return do_shrink(w);
	case OP_EXTEND:
		return do_extend(w);
	}
	return 0;
}

/*
 * The mutators hold file_lock across each file operation and its shadow
 * update, so the shadow is always what the file holds once the operation
 * is done. The holders do not take it: their race with the operations is
 * what is under test.
 */
static void *mutator_run(void *arg)
{
	struct worker *w = arg;
	int ret = 0;

	while (!ret && !atomic_load(&stop)) {
		set_doing(w, "waiting for the other mutator", 0, 0);
		pthread_mutex_lock(&file_lock);
		if (!atomic_load(&stop))
			ret = mutate_one(w);
		pthread_mutex_unlock(&file_lock);
	}
	/* The file is in an unknown state after a failure: end the run. */
	if (ret)
		atomic_store(&stop, true);
	worker_exit(w);
	return NULL;
}

/*
 * A hold that failed. EFAULT is what GUP returns for a page beyond EOF (the
 * fault is SIGBUS), and the driver for a hold it got only part of: fine if
 * the range reaches EOF, or if the size changed during the call (@eof < 0).
 * Holes do not fail: a read maps the zero page, a write allocates a block.
 */
static void hold_failed(struct worker *w, int err, long first, long end,
			unsigned int flags, long eof)
{
	if (err == -EFAULT && (eof < 0 || end > eof)) {
		atomic_fetch_add(&stats.eof_failures, 1);
	} else if (err == -EFAULT) {
		atomic_fetch_add(&stats.efault_inside, 1);
		fail(CHECK_HOLDS, "holder %d: %s hold of pages [%ld, %ld) failed with EFAULT inside EOF (%ld pages)",
		     w->idx, hold_kind(flags), first, end, eof);
	} else {
		atomic_fetch_add(&stats.other_errors, 1);
		fail(CHECK_HOLDS, "holder %d: %s hold of pages [%ld, %ld) failed: %s",
		     w->idx, hold_kind(flags), first, end, strerror(-err));
	}
}

/* Take a hold, checking the result against EOF; 0 once held. */
static int take_hold(struct worker *w, long first, long end,
		     unsigned int flags, uint32_t *id)
{
	unsigned long seq = atomic_load(&eof_seq);
	long eof = atomic_load(&eof_pages);
	int ret;

	set_doing(w, "DEVMAP_IOC_HOLD", first, end);
	ret = devmap_hold(w->devfd, map_page(first), end - first, flags, id);
	if (seq & 1 || atomic_load(&eof_seq) != seq)
		eof = -1;
	if (ret) {
		hold_failed(w, ret, first, end, flags, eof);
		return ret;
	}
	atomic_fetch_add(&stats.holds, 1);
	if (flags & DEVMAP_HOLD_PIN)
		atomic_fetch_add(&stats.pins, 1);
	if (flags & DEVMAP_HOLD_WRITE)
		atomic_fetch_add(&stats.write_holds, 1);
	if (eof >= 0 && end > eof) {
		atomic_fetch_add(&stats.success_beyond, 1);
		fail(CHECK_HOLDS, "holder %d: %s hold of pages [%ld, %ld) succeeded with EOF at %ld pages",
		     w->idx, hold_kind(flags), first, end, eof);
	}
	return 0;
}

/*
 * Look at the operations that started while a write hold of [first, end)
 * was in place (ids after @started). A write hold references blocks of the
 * file; a read hold of a hole gets the shared zero page, which nothing
 * waits for, so read holds are not checked. A truncate or hole punch of
 * any of those pages must still be waiting when the hold is released: if
 * it finished (id <= @done, read just before the release), it removed
 * blocks that were still referenced. The ones still in flight (up to
 * @latest) are counted, to show that the race took place.
 */
static void check_removals(struct worker *w, long first, long end,
			   uint64_t started, uint64_t done, uint64_t latest)
{
	long op_first, op_end;
	enum op_kind kind;
	uint64_t id, e;

	if (latest - started > OPLOG_SIZE)
		started = latest - OPLOG_SIZE;
	for (id = started + 1; id <= latest; id++) {
		e = atomic_load(&op_ring[id % OPLOG_SIZE]);
		if ((uint32_t)(e >> 32) != (uint32_t)id)
			continue;	/* already overwritten */
		kind = (e >> 24) & 0xff;
		op_first = (e >> 12) & 0xfff;
		op_end = e & 0xfff;
		if (!op_removes(kind) || op_end <= first || op_first >= end)
			continue;
		if (id > done) {
			atomic_fetch_add(&stats.waited, 1);
			continue;
		}
		fail(CHECK_WAITS, "%s of pages [%ld, %ld) finished while holder %d had a write hold on pages [%ld, %ld)",
		     op_names[kind], op_first, op_end, w->idx, first, end);
	}
}

static void keep_and_release(struct worker *w, long first, long end,
			     unsigned int flags, uint32_t id)
{
	uint64_t started = atomic_load(&ops_started), done, latest;
	int ret;

	set_doing(w, "holding", first, end);
	sleep_us(rnd(&w->rng, HOLD_MAX_US + 1));
	done = atomic_load(&ops_done);
	latest = atomic_load(&ops_started);
	if (flags & DEVMAP_HOLD_WRITE)
		check_removals(w, first, end, started, done, latest);

	set_doing(w, "DEVMAP_IOC_RELEASE", first, end);
	ret = devmap_release(w->devfd, id);
	if (ret)
		fail(CHECK_RELEASES, "holder %d: release of %s hold %u on pages [%ld, %ld): %s",
		     w->idx, hold_kind(flags), id, first, end, strerror(-ret));
	else
		atomic_fetch_add(&stats.releases, 1);
}

/*
 * Where holds may end: up to MAX_RANGE pages past the current EOF, so that
 * most holds are inside the file and some reach across EOF, where they race
 * truncate and extend.
 */
static long hold_limit(void)
{
	return MIN(atomic_load(&eof_pages) + MAX_RANGE, NPAGES);
}

/*
 * ext4 and xfs wait for every page of the file to be idle before a
 * truncate or hole punch, not only for the pages it removes. Holders that
 * always had something held would starve them, a livelock of the test and
 * not the hang it looks for. So each holder pauses for 0 to 5 ms per holder
 * between holds: each is busy about 1/(HOLDERS + 1) of the time, and all
 * are idle together over a third of the time, whatever their number.
 */
static void *holder_run(void *arg)
{
	struct worker *w = arg;
	unsigned int flags;
	uint32_t id = 0;
	long first, n;

	while (!atomic_load(&stop)) {
		n = 1 + rnd(&w->rng, MAX_RANGE);
		first = rnd(&w->rng, hold_limit() - n + 1);
		flags = rnd(&w->rng, DEVMAP_HOLD_FLAGS + 1);
		if (!take_hold(w, first, first + n, flags, &id))
			keep_and_release(w, first, first + n, flags, id);
		set_doing(w, "pausing", 0, 0);
		sleep_us(rnd(&w->rng, (long)HOLD_MAX_US * nr_holders + 1));
	}
	worker_exit(w);
	return NULL;
}

/*
 * A thread in one call for HANG_MS is stuck, most likely a truncate or
 * hole punch that missed its wakeup. It sleeps in the kernel and cannot be
 * stopped or joined: say where everyone is stuck, and exit. No check has
 * been reported yet, so the hang is result 1 (CHECK_HANG) and the TAP
 * stays in order; the plan's other results are missing, for a bail-out.
 */
static void check_stuck(struct worker *workers, int nr, double secs)
{
	long long t = now_ms(), since;
	struct worker *w;
	const char *doing;
	int i, stuck = 0;

	for (i = 0; i < nr; i++) {
		w = &workers[i];
		doing = atomic_load(&w->doing);
		since = atomic_load(&w->since);
		if (!doing || t - since < HANG_MS)
			continue;
		if (!stuck++)
			ksft_test_result_fail("%s\n", check_desc[CHECK_HANG]);
		ksft_print_msg("%s %d stuck for %lld s in %s", w->role, w->idx,
			       (t - since) / 1000, doing);
		if (atomic_load(&w->end) > atomic_load(&w->first))
			printf(", pages [%ld, %ld)", atomic_load(&w->first),
			       atomic_load(&w->end));
		printf("\n");
	}
	if (!stuck)
		return;
	/* What went wrong before may be why: a failed release, say. */
	pthread_mutex_lock(&failures_lock);
	for (i = 0; i < NR_CHECKS; i++) {
		if (!failures[i].count)
			continue;
		ksft_print_msg("before that, this failed: %s\n", check_desc[i]);
		print_failures(i);
	}
	pthread_mutex_unlock(&failures_lock);
	print_stats(secs);
	/* Not bail_out(): unlink() would wait for the stuck call's inode lock. */
	ksft_exit_fail_msg("a thread is stuck in the kernel and cannot be stopped; %s is left in place\n",
			   file_path);
}

/* Run until @seconds are up and every thread has stopped. */
static void watch(struct worker *workers, int nr, int seconds)
{
	long long start = now_ms(), deadline = start + seconds * 1000LL;

	while (atomic_load(&running)) {
		sleep_us(WATCH_MS * 1000);
		if (now_ms() >= deadline)
			atomic_store(&stop, true);
		check_stuck(workers, nr, (now_ms() - start) / 1000.0);
	}
}

/* The setup failed: remove the file, if there is one yet, and bail out. */
__attribute__((format(printf, 1, 2), noreturn))
static void bail_out(const char *fmt, ...)
{
	char why[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (file_fd >= 0)
		unlink(file_path);
	ksft_exit_fail_msg("%s\n", why);
}

/* Write generation 1 to every page, so the run starts on allocated blocks. */
static void fill_file(void)
{
	char *buf = malloc(page_size);
	long pg;

	if (!buf)
		bail_out("out of memory");
	generation = 1;
	for (pg = 0; pg < NPAGES; pg++) {
		fill_page(buf, pg, generation);
		if (pwrite(file_fd, buf, page_size, pg * page_size) != page_size)
			bail_out("cannot write %s: %s", file_path, strerror(errno));
		shadow[pg] = generation;
	}
	free(buf);
	if (fsync(file_fd))
		bail_out("fsync %s: %s", file_path, strerror(errno));
	file_pages = NPAGES;
	atomic_store(&eof_pages, NPAGES);
}

static void setup_file(const char *dir)
{
	struct statx stx;

	snprintf(file_path, sizeof(file_path), "%s/devmap-stress.XXXXXX", dir);
	file_fd = mkstemp(file_path);
	if (file_fd < 0)
		bail_out("cannot create a file in %s: %s", dir, strerror(errno));
	if (statx(file_fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		bail_out("statx %s: %s", file_path, strerror(errno));
	if (!(stx.stx_attributes & STATX_ATTR_DAX))
		bail_out("%s is not on a DAX mount: a new file there is not DAX (mount ext4 or xfs with -o dax)",
			 dir);
	fill_file();
	map = mmap(NULL, NPAGES * page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, file_fd, 0);
	if (map == MAP_FAILED)
		bail_out("mmap %s: %s", file_path, strerror(errno));
}

static int open_devmap(void)
{
	int fd = open(DEVMAP_DEV, O_RDWR);

	if (fd < 0)
		bail_out("cannot open %s: %s (is the test_devmap module loaded?)",
			 DEVMAP_DEV, strerror(errno));
	return fd;
}

/* Holders come first in @workers, then the mutators. */
static void init_workers(struct worker *workers)
{
	struct worker *w;
	int i;

	for (i = 0; i < nr_holders + MUTATORS; i++) {
		w = &workers[i];
		w->idx = i < nr_holders ? i : i - nr_holders;
		w->role = i < nr_holders ? "holder" : "mutator";
		w->rng = mix64(seed + i + 1);
		if (i < nr_holders) {
			w->devfd = open_devmap();
			continue;
		}
		w->buf = malloc(MAX_RANGE * page_size);
		if (!w->buf)
			bail_out("out of memory");
	}
}

static void start_workers(struct worker *workers)
{
	int i, nr = nr_holders + MUTATORS, ret;

	atomic_store(&running, nr);
	for (i = 0; i < nr; i++) {
		set_doing(&workers[i], "starting", 0, 0);
		ret = pthread_create(&workers[i].thread, NULL,
				     i < nr_holders ? holder_run : mutator_run,
				     &workers[i]);
		if (ret)
			bail_out("pthread_create: %s", strerror(ret));
	}
}

/* Join, and close the holders' files: that drops any hold still there. */
static void stop_workers(struct worker *workers)
{
	int i;

	for (i = 0; i < nr_holders + MUTATORS; i++) {
		pthread_join(workers[i].thread, NULL);
		if (i < nr_holders)
			close(workers[i].devfd);
		else
			free(workers[i].buf);
	}
}

/* The pages both the file and the shadow copy have. */
static long checked_pages(void)
{
	struct stat st;

	if (fstat(file_fd, &st)) {
		fail(CHECK_PREAD, "fstat: %s", strerror(errno));
		return 0;
	}
	if (st.st_size != file_pages * page_size)
		fail(CHECK_PREAD, "the file has %lld bytes, the shadow copy %ld pages",
		     (long long)st.st_size, file_pages);
	return MIN(st.st_size / page_size, file_pages);
}

static void compare_page(enum check c, long pg, const char *got,
			 const char *expect)
{
	long i;

	if (!memcmp(got, expect, page_size))
		return;
	for (i = 0; got[i] == expect[i]; i++)
		;
	if (shadow[pg])
		fail(c, "page %ld: byte %ld is 0x%02x, expected 0x%02x from pwrite generation %u",
		     pg, i, (unsigned char)got[i], (unsigned char)expect[i],
		     shadow[pg]);
	else
		fail(c, "page %ld: byte %ld is 0x%02x, expected 0 (truncated or punched)",
		     pg, i, (unsigned char)got[i]);
}

static void check_contents(long pages)
{
	char *expect = malloc(page_size), *got = malloc(page_size);
	long pg;

	if (!expect || !got)
		bail_out("out of memory");
	for (pg = 0; pg < pages; pg++) {
		fill_page(expect, pg, shadow[pg]);
		if (pread(file_fd, got, page_size, pg * page_size) != page_size)
			fail(CHECK_PREAD, "page %ld: pread: %s", pg,
			     strerror(errno));
		else
			compare_page(CHECK_PREAD, pg, got, expect);
		compare_page(CHECK_MAPPING, pg, map + pg * page_size, expect);
	}
	free(expect);
	free(got);
}

/*
 * The count of an idle fsdax page on the kernel under test (1 on stock
 * v6.12, 0 with the series): page 0's, read before any worker runs.
 */
static long long idle_refcount;

static void read_idle_refcount(int devfd)
{
	struct devmap_page_state ps;
	volatile char *p = map;
	int ret;

	*p = *p;
	ret = devmap_state(devfd, map_page(0), &ps);
	if (ret)
		bail_out("DEVMAP_IOC_PAGE_STATE on page 0: %s", strerror(-ret));
	idle_refcount = ps.refcount;
	ksft_print_msg("idle fsdax page refcount: %lld\n", idle_refcount);
}

/*
 * After the run nothing may reference the file's pages any more: each must
 * be back at the count of an idle fsdax page (read_idle_refcount()), and
 * not look pinned. A hole maps the shared zero page, whose count says
 * nothing about this file, so each page is first written through the
 * mapping, with the byte it already holds, to give it a block of its own.
 */
static void check_idle(int devfd, long pages)
{
	struct devmap_page_state ps;
	volatile char *p;
	long pg;
	int ret;

	for (pg = 0; pg < pages; pg++) {
		p = map_page(pg);
		*p = *p;
		ret = devmap_state(devfd, map_page(pg), &ps);
		if (ret)
			fail(CHECK_IDLE, "page %ld: DEVMAP_IOC_PAGE_STATE: %s",
			     pg, strerror(-ret));
		else if (!ps.zone_device || ps.pgmap_type != DEVMAP_PGMAP_FS_DAX)
			fail(CHECK_IDLE, "page %ld is not an fsdax page (zone_device %u, pgmap type %u)",
			     pg, ps.zone_device, ps.pgmap_type);
		else if (ps.refcount != idle_refcount || ps.maybe_dma_pinned)
			fail(CHECK_IDLE, "page %ld: refcount %lld, maybe_dma_pinned %u; idle is %lld and 0",
			     pg, (long long)ps.refcount, ps.maybe_dma_pinned, idle_refcount);
	}
}

static atomic_bool final_done;
static int final_ret, final_errno;

static void *final_truncate_run(void *arg)
{
	(void)arg;
	final_ret = ftruncate(file_fd, 0);
	final_errno = errno;
	atomic_store(&final_done, true);
	return NULL;
}

/*
 * With every hold released, a truncate of the whole file has nothing to
 * wait for. In a thread, as a leaked reference would keep it asleep for
 * good. Returns false if it still waits: the file must stay then, as
 * unlink() would wait for the truncate's inode lock.
 */
static bool final_truncate(void)
{
	pthread_t t;
	int ms, ret;

	ret = pthread_create(&t, NULL, final_truncate_run, NULL);
	if (ret) {
		fail(CHECK_TRUNCATE, "pthread_create: %s", strerror(ret));
		return true;
	}
	for (ms = 0; ms < FINAL_TRUNCATE_MS && !atomic_load(&final_done); ms += 10)
		sleep_us(10000);
	if (!atomic_load(&final_done)) {
		fail(CHECK_TRUNCATE, "ftruncate to 0 still waits after %d s: a page is still referenced; %s is left in place",
		     FINAL_TRUNCATE_MS / 1000, file_path);
		return false;
	}
	pthread_join(t, NULL);
	if (final_ret)
		fail(CHECK_TRUNCATE, "ftruncate to 0: %s", strerror(final_errno));
	return true;
}

/* Everything after the run; true if the file may be removed. */
static bool check_file(int devfd)
{
	long pages = checked_pages();

	if (shadow_lost) {
		fail(CHECK_PREAD, "not compared: a file operation failed, what the file holds is unknown");
		fail(CHECK_MAPPING, "not compared: a file operation failed, what the file holds is unknown");
	} else {
		check_contents(pages);
	}
	check_idle(devfd, pages);
	return final_truncate();
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-t SECONDS] [-s SEED] [-j HOLDERS] DIR\n"
		"  DIR      a directory on ext4 or xfs mounted with -o dax\n"
		"  SECONDS  how long to run, 1..%d (default 20)\n"
		"  SEED     for the random choices and data patterns (default: from the clock)\n"
		"  HOLDERS  threads holding GUP references, 1..%d (default 4)\n"
		"Needs %s (the test_devmap module) and root.\n",
		prog, MAX_SECONDS, MAX_HOLDERS, DEVMAP_DEV);
	exit(2);
}

static uint64_t default_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_HOLDERS + MUTATORS];
	long seconds = 20, holders = nr_holders;
	int opt, c, devfd;
	long long start;
	char *end;

	page_size = sysconf(_SC_PAGESIZE);
	seed = default_seed();
	while ((opt = getopt(argc, argv, "t:s:j:")) != -1) {
		switch (opt) {
		case 't':
			if (!parse_long(optarg, 1, MAX_SECONDS, &seconds))
				usage(argv[0]);
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				usage(argv[0]);
			break;
		case 'j':
			if (!parse_long(optarg, 1, MAX_HOLDERS, &holders))
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc - 1)
		usage(argv[0]);
	nr_holders = holders;

	ksft_print_header();
	ksft_print_msg("devmap-stress: seed %llu (-s repeats the choices and data, not the timing), %ld s, %d holders, %d mutators\n",
		       (unsigned long long)seed, seconds, nr_holders, MUTATORS);
	setup_file(argv[optind]);
	devfd = open_devmap();
	read_idle_refcount(devfd);
	init_workers(workers);
	ksft_print_msg("%s: %d pages of %ld bytes\n", file_path, NPAGES, page_size);
	ksft_set_plan(NR_CHECKS);

	start = now_ms();
	start_workers(workers);
	watch(workers, nr_holders + MUTATORS, seconds);
	stop_workers(workers);
	print_stats((now_ms() - start) / 1000.0);

	if (check_file(devfd)) {
		munmap(map, NPAGES * page_size);
		close(file_fd);
		unlink(file_path);
	}
	for (c = 0; c < NR_CHECKS; c++)
		report(c);
	close(devfd);
	ksft_finished();
}
