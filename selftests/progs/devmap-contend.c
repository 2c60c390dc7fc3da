// SPDX-License-Identifier: GPL-2.0
/*
 * devmap-contend: how often a truncate or hole punch of a DAX file gets
 * through while other threads keep taking and dropping GUP references on
 * its pages. For SECONDS, HOLDERS threads each loop over test_devmap holds
 * of one random page of the file, alternating a pin and a get, released at
 * once; one more thread splices a page into a pipe and drains it (a real
 * FOLL_GET user). The main thread meanwhile punches the whole file, or
 * truncates it to zero, then writes it back, as often as it can.
 *
 * A kernel that notices every release at once lets the file operation
 * through whenever the holders happen to hold nothing; one that notices
 * some releases only at a periodic re-check starves it. 'make compare'
 * runs this on both kernels and compares the completion rates.
 *
 * usage: devmap-contend -o punch|truncate [-s SECONDS] [-t HOLDERS] DIR
 * Prints one line:
 *   contend OP: N completed in S s, M holds, V splices, E hold errors
 * Exit: 0 measured; 1 the setup failed; 2 bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "test_devmap_uapi.h"
#include "progs.h"

#define DEVMAP_DEV	"/dev/test_devmap"
#define FILE_PAGES	16
#define MAX_HOLDERS	16

static int devfd, fd;
static long page_size;
static char *map;
static int stop;

struct holder {
	pthread_t thread;
	unsigned int seed;
	unsigned long holds, errors;
};

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s -o punch|truncate [-s SECONDS] [-t HOLDERS] DIR\n",
		prog);
	exit(2);
}

/*
 * Hold one random page, a pin or a get in turn, and release it. A hold
 * can fail while the file is being truncated (the page is beyond the end
 * of the file for a moment): that is counted, not fatal.
 */
static void *holder_run(void *arg)
{
	struct holder *h = arg;
	unsigned int kind = 0;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct devmap_hold hold = {
			.addr = (uintptr_t)(map + (rand_r(&h->seed) % FILE_PAGES) * page_size),
			.npages = 1,
			.flags = DEVMAP_HOLD_WRITE | (kind++ & 1 ? DEVMAP_HOLD_PIN : 0),
		};
		struct devmap_release rel = { 0 };

		if (ioctl(devfd, DEVMAP_IOC_HOLD, &hold)) {
			h->errors++;
			continue;
		}
		rel.id = hold.id;
		if (ioctl(devfd, DEVMAP_IOC_RELEASE, &rel)) {
			perror("DEVMAP_IOC_RELEASE");
			exit(1);
		}
		h->holds++;
	}
	return NULL;
}

/* Splice the first page into a pipe and drain it, again and again. */
static void *splicer_run(void *arg)
{
	unsigned long *splices = arg;
	struct iovec iov = { .iov_base = map, .iov_len = page_size };
	char *buf = malloc(page_size);
	int p[2];

	if (!buf || pipe(p)) {
		perror("splicer setup");
		exit(1);
	}
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (vmsplice(p[1], &iov, 1, 0) != page_size)
			continue;	/* the page was beyond EOF for a moment */
		if (read(p[0], buf, page_size) != page_size) {
			perror("read from pipe");
			exit(1);
		}
		(*splices)++;
	}
	close(p[0]);
	close(p[1]);
	free(buf);
	return NULL;
}

/* Give the file FILE_PAGES allocated pages again. */
static void refill(const char *buf)
{
	int i;

	for (i = 0; i < FILE_PAGES; i++) {
		if (pwrite(fd, buf, page_size, i * page_size) != page_size) {
			perror("pwrite");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	struct holder holders[MAX_HOLDERS];
	unsigned long done = 0, holds = 0, errors = 0, splices = 0;
	const char *op = NULL;
	double seconds = 10, start;
	pthread_t splicer;
	int nholders = 3, i, c;
	char path[4096], *buf;

	while ((c = getopt(argc, argv, "o:s:t:")) != -1) {
		switch (c) {
		case 'o':
			op = optarg;
			break;
		case 's':
			seconds = atof(optarg);
			break;
		case 't':
			nholders = atoi(optarg);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc - 1 || !op || (strcmp(op, "punch") && strcmp(op, "truncate")) ||
	    seconds <= 0 || nholders < 1 || nholders > MAX_HOLDERS)
		usage(argv[0]);

	page_size = sysconf(_SC_PAGESIZE);
	devfd = open(DEVMAP_DEV, O_RDWR);
	if (devfd < 0) {
		perror(DEVMAP_DEV);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/contend.XXXXXX", argv[optind]);
	fd = mkstemp(path);
	buf = malloc(page_size);
	if (fd < 0 || !buf) {
		perror(path);
		return 1;
	}
	unlink(path);
	memset(buf, 'c', page_size);
	refill(buf);
	map = mmap(NULL, FILE_PAGES * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	for (i = 0; i < nholders; i++) {
		holders[i] = (struct holder){ .seed = i + 1 };
		if (pthread_create(&holders[i].thread, NULL, holder_run, &holders[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	if (pthread_create(&splicer, NULL, splicer_run, &splices)) {
		perror("pthread_create");
		return 1;
	}

	start = now_s();
	while (now_s() - start < seconds) {
		int ret = strcmp(op, "punch") ?
			ftruncate(fd, 0) :
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  0, FILE_PAGES * page_size);

		if (ret) {
			perror(op);
			return 1;
		}
		done++;
		refill(buf);
	}
	seconds = now_s() - start;

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < nholders; i++) {
		pthread_join(holders[i].thread, NULL);
		holds += holders[i].holds;
		errors += holders[i].errors;
	}
	pthread_join(splicer, NULL);
	printf("contend %s: %lu completed in %.1f s, %lu holds, %lu splices, %lu hold errors\n",
	       op, done, seconds, holds, splices, errors);
	return 0;
}
