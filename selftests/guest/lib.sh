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

# run_ksft BINARY [ARGS]: run one kselftest binary; its TAP output goes to
# $OUT/BINARY$SUFFIX.tap and its exit status to the matching .rc file.
run_ksft() {
	local bin=$1
	shift
	"$KSFT_DIR/$bin" "$@" >"$OUT/$bin$SUFFIX.tap" 2>&1
	echo $? >"$OUT/$bin$SUFFIX.rc"
}

# bail_out BINARY REASON: record that BINARY could not be run at all, in
# TAP, so the host counts it as a failure instead of a missing result.
bail_out() {
	printf 'TAP version 13\nBail out! %s\n' "$2" >"$OUT/$1$SUFFIX.tap"
	echo 1 >"$OUT/$1$SUFFIX.rc"
	echo "bail out: $1: $2" >&2
}
