#!/bin/bash
# Suite "robust": the series under concurrency, hostile input and module
# unloads, with the harness's programs (selftests/progs):
#   devmap-stress      holders pin and get pages of a DAX file while others
#                      truncate, punch, extend and write it (ext4, then xfs)
#   ioctl-fuzz         seeded random ioctls against test_devmap and test_hmm's
#                      mirrors (ioctl-fuzz.coherent: the device-coherent ones)
#   module-lifetime    unload test_hmm/test_devmap under open files and
#                      device pages, reload, repeat
# and, after all of them with both modules unloaded, kmemleak.tap: the
# kernel holds no leaked object at all. Each loop uses another fuzz seed.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak
loop=${SUFFIX#.loop}
[ -n "$loop" ] || loop=1

[ ! -w "$KMEMLEAK" ] || { kmemleak_scan && echo clear >"$KMEMLEAK"; }

if ! modprobe test_devmap || ! modprobe test_hmm spm_addr_dev0="$SPM_ADDR_DEV0" spm_addr_dev1="$SPM_ADDR_DEV1"; then
	bail_out devmap-stress "modprobe test_devmap or test_hmm failed"
	exit 1
fi

# Concurrency, one file system after the other.
if mount_dax ext4 /dev/pmem0 && mount_dax xfs /dev/pmem1; then
	run_tap devmap-stress "$PROGS_DIR/devmap-stress" -t "${STRESS_SECONDS:-10}" \
		-s "$loop" /mnt/ext4
	run_tap devmap-stress.xfs "$PROGS_DIR/devmap-stress" -t "${STRESS_SECONDS:-10}" \
		-s "$loop" /mnt/xfs
	umount /mnt/ext4 /mnt/xfs
else
	bail_out devmap-stress "cannot make the DAX mounts"
	bail_out devmap-stress.xfs "cannot make the DAX mounts"
fi

# Hostile input: test_devmap and the device-private dmirror devices, then
# the device-coherent ones without random exclusive access (-E): a coherent
# page under it cannot be evicted in 6.12, and RELEASE would wait for it
# forever, on the base-tests kernel too (Documentation/testing.md).
run_tap ioctl-fuzz "$PROGS_DIR/ioctl-fuzz" -s "$loop" -n "${FUZZ_CALLS:-5000}" \
	/dev/test_devmap /dev/hmm_dmirror0 /dev/hmm_dmirror1
run_tap ioctl-fuzz.coherent "$PROGS_DIR/ioctl-fuzz" -E -s "$loop" \
	-n "${FUZZ_CALLS:-5000}" /dev/hmm_dmirror2 /dev/hmm_dmirror3

# Unloads under load; it loads and unloads the modules itself.
modprobe -r test_hmm
modprobe -r test_devmap
HMM_MODULE_ARGS="spm_addr_dev0=$SPM_ADDR_DEV0 spm_addr_dev1=$SPM_ADDR_DEV1" \
	run_tap module-lifetime "$PROGS_DIR/module-lifetime" -n "${LIFETIME_ROUNDS:-3}"
modprobe -r test_hmm 2>/dev/null
modprobe -r test_devmap 2>/dev/null

# Nothing leaked, by anyone, during all of the above.
if [ ! -w "$KMEMLEAK" ]; then
	tap_line kmemleak fail "kmemleak finds no leak" "no $KMEMLEAK"
elif ! kmemleak_scan; then
	tap_line kmemleak fail "kmemleak finds no leak" "kmemleak scan failed"
else
	cat "$KMEMLEAK" >"$OUT/kmemleak-robust$SUFFIX.txt"
	n=$(grep -c '^unreferenced object' "$OUT/kmemleak-robust$SUFFIX.txt")
	if [ "$n" -eq 0 ]; then
		tap_line kmemleak ok "kmemleak finds no leak after the robust suite"
	else
		tap_line kmemleak fail "kmemleak finds no leak after the robust suite" \
			"$n objects: see kmemleak-robust$SUFFIX.txt"
	fi
fi
