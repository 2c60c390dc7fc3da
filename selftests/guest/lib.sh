# shellcheck shell=bash
# Helpers for the guest's suite scripts (selftests/guest/SUITE.sh).
# The init script exports OUT (results directory), SUFFIX (loop tag),
# KSFT_DIR (the kselftest binaries), MODROOT (the modules of the kernel
# under test, installed by the host) and the plan's settings.

# kmod MODPROBE-ARGS: modprobe from the build's module tree (the host's
# /lib/modules holds no modules for the kernel under test).
kmod() {
	modprobe -d "$MODROOT" "$@"
}

# run_tap NAME COMMAND [ARGS]: run a command that prints kselftest TAP;
# the output goes to $OUT/NAME$SUFFIX.tap, the exit status to NAME$SUFFIX.rc.
run_tap() {
	local name=$1
	shift
	"$@" >"$OUT/$name$SUFFIX.tap" 2>&1
	echo $? >"$OUT/$name$SUFFIX.rc"
}

# run_ksft BINARY [ARGS]: run_tap for one kselftest binary.
run_ksft() {
	local bin=$1
	shift
	run_tap "$bin" "$KSFT_DIR/$bin" "$@"
}

# bail_out BINARY REASON: record that BINARY could not be run at all, in
# TAP, so the host counts it as a failure instead of a missing result.
bail_out() {
	printf 'TAP version 13\nBail out! %s\n' "$2" >"$OUT/$1$SUFFIX.tap"
	echo 1 >"$OUT/$1$SUFFIX.rc"
	echo "bail out: $1: $2" >&2
}

# mount_dax FS DEVICE: make FS on DEVICE (destroying it) and mount it with
# -o dax on /mnt/FS.
mount_dax() {
	case $1 in
	ext4) mkfs.ext4 -q -F -b 4096 "$2" ;;
	xfs) mkfs.xfs -q -f -m reflink=0 "$2" ;;
	*) return 1 ;;
	esac || return 1
	mkdir -p "/mnt/$1" && mount -t "$1" -o dax "$2" "/mnt/$1"
}

# kmemleak_scan: kmemleak reports an object only when it is older than
# 5 s and unchanged since the previous scan.
kmemleak_scan() {
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak && echo scan >/sys/kernel/debug/kmemleak
}
