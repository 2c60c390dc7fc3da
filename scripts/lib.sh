# shellcheck shell=bash
# shellcheck disable=SC2034 # CACHE, BUILD: used by the scripts that source this
# Shared helpers for the hmm-devm scripts. Source it; it runs nothing.
#
# Every script prints errors as one line, "hmm-devm: <script>: <why>", and
# exits non-zero. Paths default to directories inside the repository that
# .gitignore covers; each can be moved with an environment variable.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${HMMDEVM_CACHE:-$REPO/cache}
BUILD=${HMMDEVM_BUILD:-$REPO/build}
PROG=$(basename "$0")

# The two stacks. TARGET=6.12 (the default) is the card's layout: series
# and patches/ at the top, its base and mail settings in scripts/. The
# mainline stack (TARGET=mainline, on Linux 7.3.y) keeps the same files
# under mainline/, and its trees and build output apart from 6.12's.
#   STACK      the directory holding series and patches/ (STACK_REL: the
#              same, relative to the repository, for messages)
#   CONF       base.conf (what the stack applies to), series.conf (mail)
#   COVER      the cover letter's template
#   BASE_REPO  the base as a git repository (scripts/fetch-base)
#   TREES      the worktrees prepare-tree makes from it (KSRC_TREES from
#              the user's own repository, KSRC=)
TARGET=${TARGET:-6.12}
case $TARGET in
6.12)
	STACK=$REPO STACK_REL='' CONF=$REPO/scripts COVER=$REPO/Documentation/cover-letter.txt
	BASE_REPO=$CACHE/linux TREES=$CACHE/trees KSRC_TREES=$CACHE/ksrc-trees
	;;
mainline)
	STACK=$REPO/mainline STACK_REL=mainline/ CONF=$REPO/mainline
	COVER=$REPO/mainline/cover-letter.txt
	BASE_REPO=$CACHE/linux-mainline TREES=$CACHE/trees-mainline
	KSRC_TREES=$CACHE/ksrc-trees-mainline
	BUILD=$BUILD/mainline
	;;
*)
	printf 'hmm-devm: %s: TARGET=%s: unknown stack\nusage: TARGET=6.12 (the default) or TARGET=mainline\n' \
		"$PROG" "$TARGET" >&2
	exit 2
	;;
esac
# Author and Signed-off-by of the patches in patches/: nobody's address.
# make-mbox puts the sender's identity in the mails instead.
PLACEHOLDER_IDENT="hmm-devm developers <hmm-devm@lists.invalid>"

die() {
	printf 'hmm-devm: %s: %s\n' "$PROG" "$*" >&2
	exit "${DIE_STATUS:-1}"
}

log() {
	printf '>>> %s\n' "$*" >&2
}

# usage_error MSG: a bad argument; print the script's usage and exit 2.
usage_error() {
	printf 'hmm-devm: %s: %s\n' "$PROG" "$1" >&2
	usage >&2
	exit 2
}

# need_tools TOOL...: fail with one line naming every missing command.
need_tools() {
	local t missing=
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -z "$missing" ] ||
		die "missing tool(s):$missing (run 'make deps' or scripts/install-deps)"
}

# series_entries: the patch file names in the series file, in order,
# without comments, blank lines or quilt options such as -p1.
series_entries() {
	sed -e 's/#.*//' "$STACK/series" | awk 'NF { print $1 }'
}

# series_hash: one hash over the series file and every patch it names.
series_hash() {
	local p
	{
		series_entries
		series_entries | while read -r p; do
			cat "$STACK/patches/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

# test_only_entries: the series entries that touch nothing but the test
# drivers, their selftests and documentation. 'make compare' puts them on
# the base too, so that both kernels it measures run the same tests and
# differ only in mm. A patch whose files git apply cannot list (corrupt, or
# a mail it cannot read, such as a base64 body that git am would decode)
# is an error: taken as touching nothing, it would count as test-only and
# put its changes on the base. git apply runs from /: in a subdirectory
# of a git repository (a script started from Documentation/, say) it
# leaves out every file outside that directory.
test_only_entries() {
	local p files
	for p in $(series_entries); do
		files=$(cd / && git apply --numstat "$STACK/patches/$p" 2>/dev/null) ||
			die "${STACK_REL}patches/$p: git apply --numstat cannot read it ($(cd / && git apply --numstat "$STACK/patches/$p" 2>&1 >/dev/null | head -n 1)); re-export the series with 'make export'"
		[ -n "$files" ] ||
			die "${STACK_REL}patches/$p: git apply --numstat lists no file in it; re-export the series with 'make export'"
		echo "$files" | cut -f3 |
			grep -qvE '^(lib/test_[^/]*|lib/Kconfig\.debug|lib/Makefile|tools/testing/.*|Documentation/.*|MAINTAINERS)$' ||
			echo "$p"
	done
}

# prog_headers C-FILE: the driver uapi headers ("foo_uapi.h", found in a
# kernel tree's lib/) that a harness program of selftests/progs includes.
prog_headers() {
	sed -n 's/^#include "\([a-z_]*_uapi\.h\)"/\1/p' "$1"
}

# check_series: every entry has a file; otherwise die naming the entry.
check_series() {
	local p
	[ -f "$STACK/series" ] || die "no series file at ${STACK_REL}series"
	for p in $(series_entries); do
		[ -f "$STACK/patches/$p" ] ||
			die "series names '$p' but ${STACK_REL}patches/$p does not exist"
	done
}

# patched_tree: where prepare-tree keeps the patched worktree.
patched_tree() {
	if [ -n "${KSRC:-}" ]; then echo "$KSRC_TREES/patched"; else
		echo "$TREES/patched"
	fi
}

# applied_stamp REPO [KIND]: the file where prepare-tree records what it
# applied to the KIND tree (default patched) as "BASE SERIES-HASH HEAD", in
# the repository shared by all its worktrees.
applied_stamp() {
	local suffix=
	[ "${2:-patched}" = patched ] || suffix=-$2
	echo "$(git -C "$1" rev-parse --path-format=absolute --git-common-dir)/hmm-devm-applied$suffix"
}

# tree_base TREE: the base commit of a patched tree (what prepare-tree
# recorded when it applied the series).
tree_base() {
	local stamp
	stamp=$(applied_stamp "$1")
	[ -f "$stamp" ] || die "$1 was not made by prepare-tree (no $stamp)"
	cut -d' ' -f1 "$stamp"
}

# record_applied TREE BASE: note that the patched TREE's HEAD is what
# series describes.
record_applied() {
	echo "$2 $(series_hash) $(git -C "$1" rev-parse HEAD)" >"$(applied_stamp "$1")"
}

# format_series TREE BASE DIR [ARGS]: the series' mails of BASE..HEAD of
# TREE into DIR (scripts/format-series says how they are made).
format_series() {
	"$REPO/scripts/format-series" "$@"
}

# KERNEL_BUGS: an extended regex for the kernel log lines that mean the
# kernel hit a bug (summarize fails a run on them; vmtests-peer compares
# them). Lockdep's reports open with "WARNING:" (circular or recursive
# locking, inconsistent lock state, suspicious RCU usage) or "BUG:"; a
# bare "lockdep" would match the debug kernel's boot banner ("RCU lockdep
# checking is enabled"), so only its "turned off" note is added.
# shellcheck disable=SC2034 # used by the scripts that source this file
KERNEL_BUGS='WARNING:|BUG:|Oops|KASAN:|kernel BUG|UBSAN:|general protection fault|Kernel panic|blocked for more than|unreferenced object|possible circular locking|lockdep is turned off'

# tap_counts FILE NAME: "pass fail skip" of one TAP file; every case that
# did not pass, a bail-out and results missing against the plan are also
# written, prefixed with NAME, to fd 3 (which the caller must open).
# awk appends (>>): its > would open /dev/fd/3 anew with O_TRUNC and wipe
# what earlier calls wrote to the same file.
tap_counts() {
	awk -v name="$2" '
	/^1\.\.[0-9]+/ { split($0, a, "."); plan = a[3] + 0 }
	/^Bail out!/ { bail = $0 }
	/^(not )?ok [0-9]+/ {
		n++
		if ($0 ~ /^not ok/ && $0 !~ /# *TODO/) { f++; print name ": " $0 >> "/dev/fd/3" }
		else if (toupper($0) ~ /# *SKIP/) { s++; print name ": " $0 >> "/dev/fd/3" }
		else p++
	}
	END {
		if (bail != "") { f++; print name ": " bail >> "/dev/fd/3" }
		else if (n < plan) { f += plan - n; print name ": " plan - n " of " plan " results missing" >> "/dev/fd/3" }
		else if (n == 0) { f++; print name ": no test results" >> "/dev/fd/3" }
		printf "%d %d %d\n", p, f, s
	}' "$1"
}

# closing_counts FILE: "pass fail skip" from FILE's last line if it is a
# closing "N passed, N failed, N skipped" line; status 1 if it is not.
closing_counts() {
	local line
	line=$(tail -n 1 "$1" 2>/dev/null) || return 1
	[[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]] || return 1
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
}

# tap RESULT DESCRIPTION [LOG]: print the next TAP line of a check script;
# RESULT is ok or fail. A failure is counted in TAP_BAD and quotes the
# first 20 lines of LOG, if given, as diagnostics. tap_done prints the
# plan and returns non-zero if anything failed.
TAP_N=0 TAP_BAD=0
tap() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = ok ]; then echo "ok $TAP_N - $2"; else
		echo "not ok $TAP_N - $2"
		TAP_BAD=$((TAP_BAD + 1))
		[ -z "${3:-}" ] || sed 's/^/# /' "$3" | head -n 20
	fi
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_BAD" -eq 0 ]
}

# kmake SRC OBJ ARGS...: make in kernel tree SRC, out of tree in OBJ, with
# ccache: one cache for every clone and tree on this machine, paths taken
# relative to SRC, and depend mode (dependencies from the compiler's own
# -MMD output instead of a preprocessor run: cheaper on a cold cache).
# LOCALVERSION= keeps setlocalversion from adding "+" for a git tree.
kmake() {
	local src=$1 obj=$2
	shift 2
	CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/hmm-devm-ccache} \
	CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=1 CCACHE_DEPEND=1 \
		make -s -C "$src" O="$obj" CC="ccache gcc" LOCALVERSION= \
		-j"${JOBS:-$(($(nproc) + 1))}" "$@"
}
