#!/bin/bash
# Suite "devmap": devmap-tests through the upstream-style test_devmap.sh,
# with ext4 on /dev/pmem0 and xfs on /dev/pmem1 (legacy pmem the guest
# reserves with memmap=...!...), both mounted -o dax.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

for dev in /dev/pmem0 /dev/pmem1; do
	if [ ! -b "$dev" ]; then
		bail_out devmap-tests "no $dev: the guest has no legacy pmem"
		exit 1
	fi
done
MODPROBE="modprobe -d $MODROOT" run_tap devmap-tests \
	"$KSFT_DIR/test_devmap.sh" smoke /dev/pmem0 /dev/pmem1
