#!/bin/bash
# Measurement "bench-migrate" ('make compare'): HMM migration throughput,
# system -> device-private -> system, through test_hmm's first dmirror
# device, over a range of sizes (BENCH_SIZES_KB), BENCH_REPS round trips
# each. Writes migrate.txt (the benchmark's lines) and migrate.rc.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

bench=$PROGS_DIR/hmm-migrate-bench
if [ ! -x "$bench" ]; then
	echo "no $bench: 'make compare' builds it" >&2
	echo 1 >"$OUT/migrate$SUFFIX.rc"
	exit 1
fi
if ! modprobe test_hmm; then
	echo "modprobe test_hmm failed" >&2
	echo 1 >"$OUT/migrate$SUFFIX.rc"
	exit 1
fi
# shellcheck disable=SC2086 # a list of sizes
"$bench" -r "${BENCH_REPS:-10}" ${BENCH_SIZES_KB:-64 256 1024 4096 16384 65536} \
	>"$OUT/migrate$SUFFIX.txt"
echo $? >"$OUT/migrate$SUFFIX.rc"
modprobe -r test_hmm
