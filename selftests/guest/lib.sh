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

# module_text MODULE [KALLSYMS]: "LO HI", the range of MODULE's text as
# 16-digit hex (HI: 64 KiB past its last text symbol), from /proc/kallsyms
# or the file KALLSYMS, to recognise the module's frames in a kmemleak
# report after it is unloaded (they are bare addresses then). Nothing if
# the module has no text symbol or kallsyms hides the addresses (zeros).
module_text() {
	local lo hi
	read -r lo hi < <(awk -v mod="[$1]" '$4 == mod && $2 ~ /^[tT]$/ {
		if (lo == "" || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { print lo, hi }' "${2:-/proc/kallsyms}")
	[ -n "$hi" ] && [ "$hi" != 0000000000000000 ] || return 0
	printf '%s %016x\n' "$lo" $((0x$hi + 0x10000))
}

# kmemleak_records FILE LO HI NAMES: the objects of kmemleak report FILE
# that are a module's: a line of the object matches the extended regular
# expression NAMES (the module's name or its functions' prefix: a frame
# while it was loaded) or a frame lies in [LO, HI) (its text, after
# unload; LO and HI 16-digit hex, as module_text gives them).
kmemleak_records() {
	awk -v lo="$2" -v hi="$3" -v names="$4" '
	function flush() { if (rec != "" && hit) printf "%s", rec; rec = ""; hit = 0 }
	/^unreferenced object/ { flush() }
	{ rec = rec $0 "\n" }
	$0 ~ names { hit = 1 }
	{
		for (i = 1; i <= NF; i++) {
			a = $i
			gsub(/^(\[<|0x)|>\]$|\+.*$/, "", a)
			if (length(a) == 16 && a !~ /[^0-9a-f]/ &&
			    "x" a >= "x" lo && "x" a < "x" hi)
				hit = 1
		}
	}
	END { flush() }' "$1"
}
