# Shared setup for the harness tests. Each test gets a scratch directory
# and its own cache/build directories, so no test touches the real cache.

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

common_setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/hmm-devm-test.XXXXXX")
	export HMMDEVM_CACHE=$T/cache HMMDEVM_BUILD=$T/build
}

common_teardown() {
	rm -rf "$T"
}

# fake_bin NAME SCRIPT: put an executable NAME first on PATH.
fake_bin() {
	mkdir -p "$T/bin"
	printf '#!/bin/bash\n%s\n' "$2" >"$T/bin/$1"
	chmod +x "$T/bin/$1"
	PATH=$T/bin:$PATH
}

# path_without TOOL: a PATH that has everything in /usr/bin and /bin
# except TOOL, to test what a script does when TOOL is missing.
path_without() {
	mkdir -p "$T/nobin"
	local f
	for f in /usr/local/bin/* /usr/bin/* /bin/* /usr/sbin/* /sbin/*; do
		[ "${f##*/}" != "$1" ] || continue
		[ -e "$T/nobin/${f##*/}" ] || ln -s "$f" "$T/nobin/${f##*/}"
	done
	echo "$T/nobin"
}

# copy_repo: a scratch copy of the harness (scripts, configs, selftests,
# both stacks, Documentation for the cover letter text) whose series
# the test may change freely.
copy_repo() {
	mkdir -p "$T/repo"
	cp -r "$REPO/scripts" "$REPO/configs" "$REPO/selftests" "$REPO/patches" \
		"$REPO/Documentation" "$REPO/series" "$REPO/mainline" "$T/repo/"
}

# first_revision: make the copied repository's series a v1 with a short
# cover letter, so that its mails need no earlier revision.
first_revision() {
	sed -i 's/^SERIES_REVISION=.*/SERIES_REVISION=1/' "$T/repo/scripts/series.conf"
	rm -f "$T/repo/patches/"*.mbox
	printf 'tiny: the subject\n\nWhy.\n\n@base@\n' >"$T/repo/Documentation/cover-letter.txt"
}

# fake_obj: a build directory shaped like scripts/build-kernel's output.
fake_obj() {
	mkdir -p "$T/obj/arch/x86/boot" "$T/obj/modroot/lib/modules" "$T/obj/kselftest/mm"
	echo fake >"$T/obj/arch/x86/boot/bzImage"
}

# tiny_kernel_repo DIR: a small git repository standing in for a user's
# kernel tree (KSRC), on branch "work" with one uncommitted change. Its
# scripts/get_maintainer.pl names one maintainer (--nol) and one list
# (--nom) for any patch.
tiny_kernel_repo() {
	mkdir -p "$1/scripts"
	git -C "$1" init -q -b work
	printf 'line one\nline two\nline three\n' >"$1/file.c"
	cat >"$1/scripts/get_maintainer.pl" <<'PERL'
if (grep { $_ eq "--nol" } @ARGV) { print "Main Tainer <main\@example.org>\n"; }
else { print "tiny-list\@example.org\n"; }
PERL
	git -C "$1" add file.c scripts/get_maintainer.pl
	git -C "$1" -c user.name=t -c user.email=t@t commit -q -m base
	echo "local edit" >>"$1/file.c"
}

# mail_patch DIR NAME OLD NEW: a format-patch mail changing OLD to NEW in
# file.c, on top of the earlier mail_patch calls of the test (a series).
# With FRESH=1 the change is made on the bare base instead.
mail_patch() {
	local w=$T/mail-work
	[ "${FRESH:-0}" != 1 ] || rm -rf "$w"
	[ -d "$w" ] || git clone -q "$T/ksrc" "$w"
	sed -i "s/$3/$4/" "$w/file.c"
	git -C "$w" -c user.name=t -c user.email=t@t commit -q -am "change $3"
	git -C "$w" format-patch -q --stdout -1 >"$1/$2"
	[ "${FRESH:-0}" != 1 ] || rm -rf "$w"
}

# series_entries_of FILE: the patch names a series file lists.
series_entries_of() {
	sed -e 's/#.*//' "$1" | awk 'NF { print $1 }'
}

# ksrc_series_setup: a scratch copy of the harness with an empty v1 series,
# on a tiny kernel repository as KSRC.
ksrc_series_setup() {
	common_setup
	copy_repo
	: >"$T/repo/series"
	rm -f "$T/repo/patches/"*.patch
	first_revision
	tiny_kernel_repo "$T/ksrc"
	export KSRC=$T/ksrc
}

# expect_usage_error: the script refused its arguments: one line naming
# what is wrong, its usage, exit status 2.
expect_usage_error() {
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == "hmm-devm: "* ]]
	[[ "$output" == *"usage:"* ]]
}
