# shellcheck shell=bash
# Helpers for the guest's suite scripts (selftests/guest/SUITE.sh).
# The init script exports OUT (results directory), SUFFIX (loop tag),
# KSFT_DIR (the kselftest binaries), MODROOT (the modules of the kernel
# under test, installed by the host) and the plan's settings.

# run_tap NAME COMMAND [ARGS]: run a command that prints kselftest TAP;
# the output goes to $OUT/NAME$SUFFIX.tap, the exit status to NAME$SUFFIX.rc.
run_tap() {
	local name=$1
	shift
	"$@" >"$OUT/$name$SUFFIX.tap" 2>&1
	echo $? >"$OUT/$name$SUFFIX.rc"
}

# run_vmtests CATEGORY NAME: run_vmtests.sh -t CATEGORY, as upstream runs
# it. The kselftest TAP it nests (each line prefixed "# ") goes, prefix
# removed, to $OUT/NAME$SUFFIX.tap; its own exit status (1 for a failure,
# 4 for a skip) to NAME$SUFFIX.rc, and its whole output to
# NAME$SUFFIX.vmtests.log. Its own result lines and plan are not kept: the
# nested results are what is counted.
run_vmtests() {
	local log=$OUT/$2$SUFFIX.vmtests.log rc=0
	(cd "$KSFT_DIR" && ./run_vmtests.sh -t "$1") >"$log" 2>&1 || rc=$?
	sed -n 's/^# //p' "$log" >"$OUT/$2$SUFFIX.tap"
	echo "$rc" >"$OUT/$2$SUFFIX.rc"
}

# run_ksft BINARY [ARGS]: run_tap for one kselftest binary.
run_ksft() {
	local bin=$1
	shift
	run_tap "$bin" "$KSFT_DIR/$bin" "$@"
}

# The guest's TAP writers: the TAP the suite scripts write themselves
# (not the test programs') comes from these.

# bail_out NAME REASON: record that NAME could not be run at all, in TAP,
# so the host counts it as a failure instead of a missing result.
bail_out() {
	printf 'TAP version 13\nBail out! %s\n' "$2" >"$OUT/$1$SUFFIX.tap"
	echo 1 >"$OUT/$1$SUFFIX.rc"
	echo "bail out: $1: $2" >&2
}

# bail_out_after NAME REASON: NAME ran, but a check after it failed:
# append "Bail out!" to its TAP and fail it.
bail_out_after() {
	echo "Bail out! $2" >>"$OUT/$1$SUFFIX.tap"
	echo 1 >"$OUT/$1$SUFFIX.rc"
	echo "bail out after: $1: $2" >&2
}

# tap_note NAME TEXT: append a diagnostic line to NAME.tap.
tap_note() {
	echo "# $2" >>"$OUT/$1$SUFFIX.tap"
}

# tap_begin NAME: start NAME.tap, a TAP file of the suite's own checks;
# tap_case NAME OK DESCRIPTION [DIAGNOSTIC] adds a case to it (OK is "ok",
# or anything else for a failure); tap_end NAME writes its plan, and
# NAME.rc: 1 if a case failed.
tap_begin() {
	echo "TAP version 13" >"$OUT/$1$SUFFIX.tap"
}

tap_case() {
	local f=$OUT/$1$SUFFIX.tap n
	n=$(grep -cE '^(not )?ok ' "$f") || true
	n=$((n + 1))
	if [ "$2" = ok ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; fi >>"$f"
	[ -z "${4:-}" ] || printf '%s\n' "$4" | sed 's/^/# /' >>"$f"
}

tap_end() {
	local f=$OUT/$1$SUFFIX.tap
	echo "1..$(grep -cE '^(not )?ok ' "$f" || true)" >>"$f"
	if grep -q '^not ok' "$f"; then echo 1; else echo 0; fi >"$OUT/$1$SUFFIX.rc"
}

# tap_line NAME OK DESCRIPTION [DIAGNOSTIC]: NAME.tap with that one case.
tap_line() {
	tap_begin "$1"
	tap_case "$@"
	tap_end "$1"
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

# The x86-64 module mapping space, [MODULES_VADDR, MODULES_END) without
# KASLR (Documentation/arch/x86/x86_64/mm.rst; the guest kernel is not
# relocatable). After a module is unloaded, kmemleak shows its frames as
# bare addresses in this range.
# shellcheck disable=SC2034 # the suites' (hmm.sh)
MODULE_AREA_LO=ffffffffa0000000 MODULE_AREA_HI=ffffffffff000000

# kmemleak_records FILE LO HI NAMES: the objects of kmemleak report FILE
# that are a module's: a line of the object matches the extended regular
# expression NAMES (the module's name or its functions' prefix: a frame
# while it was loaded) or a frame lies in [LO, HI) (16-digit hex: the
# module area, where an unloaded module's frames are bare addresses).
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
