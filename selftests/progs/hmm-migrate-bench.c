// SPDX-License-Identifier: GPL-2.0
/*
 * hmm-migrate-bench: HMM migration throughput through test_hmm's dmirror
 * device, for 'make compare'. A benchmark, not a test: it times, and fails
 * only when a migration does not do what it should (moves fewer pages than
 * asked, or brings the data back changed), because a number from a broken
 * migration means nothing.
 *
 * For each SIZE (KiB, a multiple of the page size) and each of REPS
 * repetitions: map anonymous memory, fill it, time HMM_DMIRROR_MIGRATE_TO_DEV
 * (system -> device-private; test_hmm also copies the data into the mirror
 * buffer, as a device would) and HMM_DMIRROR_MIGRATE_TO_SYS (device-private
 * -> system), check the data, unmap. Prints, per size and direction:
 *
 *   migrate SIZE_KB to_dev|to_sys REPS MEDIAN_MBPS MIN_MBPS MAX_MBPS
 *
 * Build against the kernel under test: gcc -O2 -I$KSRC/lib -o ... this.c
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "test_hmm_uapi.h"
#include "progs.h"

#define MAX_REPS 1000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void report(unsigned long kb, const char *dir, double *mbps, int reps)
{
	qsort(mbps, reps, sizeof(*mbps), cmp_double);
	printf("migrate %lu %s %d %.1f %.1f %.1f\n", kb, dir, reps,
	       reps % 2 ? mbps[reps / 2] : (mbps[reps / 2 - 1] + mbps[reps / 2]) / 2,
	       mbps[0], mbps[reps - 1]);
}

/* bench_size: REPS round trips of KB KiB; 0, or 1 after printing why not. */
static int bench_size(int fd, unsigned long kb, int reps, long page)
{
	static double to_dev[MAX_REPS], to_sys[MAX_REPS];
	unsigned long size = kb * 1024, npages = size / page, i;
	unsigned char *buf, *mirror;
	double mb = size / 1e6, t;
	long moved;
	int r;

	mirror = malloc(size);
	if (!mirror) {
		fprintf(stderr, "out of memory for a %lu KiB mirror\n", kb);
		return 1;
	}
	for (r = 0; r < reps; r++) {
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (buf == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (i = 0; i < size; i++)
			buf[i] = (unsigned char)(i * 7 + r);

		t = now_s();
		moved = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, buf, mirror, npages);
		to_dev[r] = mb / (now_s() - t);
		if (moved != (long)npages) {
			fprintf(stderr, "%lu KiB to device: %ld of %lu pages moved\n",
				kb, moved, npages);
			return 1;
		}

		t = now_s();
		moved = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, buf, mirror, npages);
		to_sys[r] = mb / (now_s() - t);
		if (moved != (long)npages) {
			fprintf(stderr, "%lu KiB to system: %ld of %lu pages moved\n",
				kb, moved, npages);
			return 1;
		}

		for (i = 0; i < size; i++) {
			if (buf[i] != (unsigned char)(i * 7 + r) ||
			    mirror[i] != buf[i]) {
				fprintf(stderr, "%lu KiB: byte %lu changed in the round trip\n",
					kb, i);
				return 1;
			}
		}
		munmap(buf, size);
	}
	free(mirror);
	report(kb, "to_dev", to_dev, reps);
	report(kb, "to_sys", to_sys, reps);
	return 0;
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-d DEVICE] [-r REPS] SIZE_KB...\n"
		"  DEVICE  dmirror device (default /dev/hmm_dmirror0)\n"
		"  REPS    round trips per size, 1..%d (default 10)\n"
		"  SIZE_KB buffer sizes in KiB, multiples of the page size\n",
		prog, MAX_REPS);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/hmm_dmirror0";
	long page = sysconf(_SC_PAGESIZE);
	int opt, fd, i, reps = 10, ret = 0;
	unsigned long kb;
	char *end;

	while ((opt = getopt(argc, argv, "d:r:")) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'r':
			reps = strtol(optarg, &end, 10);
			if (*end || reps < 1 || reps > MAX_REPS)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind == argc)
		usage(argv[0]);
	for (i = optind; i < argc; i++) {
		errno = 0;
		kb = strtoul(argv[i], &end, 10);
		if (errno || *end || !kb || kb > (1UL << 30) || (kb * 1024) % page) {
			fprintf(stderr, "bad size '%s'\n", argv[i]);
			usage(argv[0]);
		}
	}
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (i = optind; i < argc; i++)
		ret |= bench_size(fd, strtoul(argv[i], NULL, 10), reps, page);
	close(fd);
	return ret;
}
