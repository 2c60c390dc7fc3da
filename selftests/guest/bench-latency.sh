#!/bin/bash
# Measurement "bench-latency" ('make compare'): devmap-tests' wait cases,
# BENCH_TRIES times, on one ext4 and one xfs DAX mount made once. Each try
# is one TAP file, devmap-tests.tryN.tap, whose "# release-to-completion"
# lines scripts/latency-stats reads. A try that fails still counts its
# samples; its rc file says it failed.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

CASES=(truncate_waits_for_pin truncate_waits_for_get punch_hole_waits_for_pin
	punch_hole_waits_for_get truncate_waits_for_vmsplice)

if ! modprobe test_devmap; then
	bail_out devmap-tests.try1 "modprobe test_devmap failed"
	exit 1
fi
if ! mount_dax ext4 /dev/pmem0 || ! mount_dax xfs /dev/pmem1; then
	bail_out devmap-tests.try1 "cannot make the DAX mounts on /dev/pmem0 and /dev/pmem1"
	exit 1
fi
export DEVMAP_EXT4_DIR=/mnt/ext4 DEVMAP_XFS_DIR=/mnt/xfs
filter=()
for c in "${CASES[@]}"; do filter+=(-t "$c"); done
for try in $(seq 1 "${BENCH_TRIES:-50}"); do
	run_tap "devmap-tests.try$try" "$KSFT_DIR/devmap-tests" "${filter[@]}"
done
umount /mnt/ext4 /mnt/xfs
modprobe -r test_devmap
