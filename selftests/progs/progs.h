/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the harness's guest programs (the .c files of selftests/progs):
 * a monotonic clock and a sleep that survives signals.
 */
#ifndef HMM_DEVM_PROGS_H
#define HMM_DEVM_PROGS_H

#include <errno.h>
#include <time.h>

/* now_ms: CLOCK_MONOTONIC in milliseconds. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* sleep_us: sleep that long, whatever signals arrive meanwhile. */
static inline void sleep_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#endif
