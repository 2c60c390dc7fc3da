#!/bin/bash
# Measurement "bench-contend" ('make compare'): selftests/progs/devmap-contend
# on one ext4 and one xfs DAX mount, hole punch and truncate, 10 s each.
# Writes contend.txt (its lines, each prefixed with the file system) and
# contend.rc.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

bench=$PROGS_DIR/devmap-contend
fail() {
	echo "$1" >&2
	echo 1 >"$OUT/contend$SUFFIX.rc"
	exit 1
}
[ -x "$bench" ] || fail "no $bench: 'make compare' builds it"
modprobe test_devmap || fail "modprobe test_devmap failed"
{ mount_dax ext4 /dev/pmem0 && mount_dax xfs /dev/pmem1; } ||
	fail "cannot make the DAX mounts on /dev/pmem0 and /dev/pmem1"
rc=0
for fs in ext4 xfs; do
	for op in punch truncate; do
		line=$("$bench" -o "$op" -s 10 "/mnt/$fs") || rc=1
		echo "$fs $line" >>"$OUT/contend$SUFFIX.txt"
	done
done
echo $rc >"$OUT/contend$SUFFIX.rc"
umount /mnt/ext4 /mnt/xfs
modprobe -r test_devmap
