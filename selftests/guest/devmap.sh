#!/bin/bash
# Suite "devmap": devmap-tests the way upstream runs it, through the devmap
# category of run_vmtests.sh and test_devmap.sh, which puts ext4 on
# /dev/pmem0 and xfs on /dev/pmem1 (legacy pmem the guest reserves with
# memmap=...!...) and mounts both with -o dax.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

for dev in /dev/pmem0 /dev/pmem1; do
	if [ ! -b "$dev" ]; then
		bail_out devmap-tests "no $dev: the guest has no legacy pmem"
		exit 1
	fi
done
DEVMAP_EXT4_PMEM=/dev/pmem0 DEVMAP_XFS_PMEM=/dev/pmem1 run_vmtests devmap devmap-tests
