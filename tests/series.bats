#!/usr/bin/env bats
# Applying the series: bad entries and bad patches give one clear error and
# leave the base and the user's own tree as they were. These use a tiny git
# repository as KSRC, so they run in a second and touch no real cache.

load helpers

setup() {
	ksrc_series_setup
}
teardown() { common_teardown; }

user_state() {
	git -C "$T/ksrc" rev-parse HEAD
	git -C "$T/ksrc" symbolic-ref HEAD
	git -C "$T/ksrc" status --porcelain
	cat "$T/ksrc/file.c"
}

@test "a series entry without a file is an error naming it" {
	echo "0001-missing.patch" >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "hmm-devm: prepare-tree: series names '0001-missing.patch' but patches/0001-missing.patch does not exist" ]
}

@test "the patched tree is a git repo whose HEAD is the last patch" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	mail_patch "$T/repo/patches" 0002-b.patch "line two" "line 2"
	printf '0001-a.patch\n# a comment\n\n0002-b.patch -p1\n' >"$T/repo/series"
	before=$(user_state)
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	[ "$(git -C "$tree" log --format=%s -2 | tr '\n' '|')" = "change line two|change line one|" ]
	grep -q "line 1" "$tree/file.c"
	grep -q "line 2" "$tree/file.c"
	[ "$(user_state)" = "$before" ]
}

@test "a patch that does not apply is an error naming it; the base is untouched" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	FRESH=1 mail_patch "$T/repo/patches" 0002-b.patch "line one" "line uno"
	printf '0001-a.patch\n0002-b.patch\n' >"$T/repo/series"
	before=$(user_state)
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "hmm-devm: prepare-tree: patch 2 (0002-b.patch) does not apply"* ]]
	[ "$(user_state)" = "$before" ]
	# the failed tree was put back on the base, not left half-applied
	tree=$HMMDEVM_CACHE/ksrc-trees/patched
	[ "$(git -C "$tree" rev-parse HEAD)" = "$(git -C "$T/ksrc" rev-parse HEAD)" ]
	[ ! -d "$(git -C "$tree" rev-parse --git-dir)/rebase-apply" ]
}

@test "re-applying refuses to drop commits made on the applied branch" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	echo 0001-a.patch >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	echo "developer work" >>"$tree/file.c"
	git -C "$tree" -c user.name=t -c user.email=t@t commit -q -am "work in progress"
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 1 ]
	[[ "$output" == *"has commits that are not in patches/"* ]]
	[ "$(git -C "$tree" log -1 --format=%s)" = "work in progress" ]
	FORCE=1 run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	[ "$(git -C "$tree" log -1 --format=%s)" = "change line one" ]
}

@test "an unchanged series is not re-applied (file times stay)" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	echo 0001-a.patch >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" patched
	tree=${lines[-1]}
	stamp=$(stat -c %Y.%N "$tree/file.c"; git -C "$tree" rev-parse HEAD)
	sleep 1
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	[[ "$output" == *"series unchanged"* ]]
	[ "$(stat -c %Y.%N "$tree/file.c"; git -C "$tree" rev-parse HEAD)" = "$stamp" ]
}

@test "the base tree stays pristine and refuses local changes" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	echo 0001-a.patch >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" base
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	grep -q "line one" "$tree/file.c"
	echo edit >>"$tree/file.c"
	run "$T/repo/scripts/prepare-tree" base
	[ "$status" -eq 1 ]
	[[ "$output" == *"must stay the pristine base"* ]]
}

@test "KSRC that is not a git repository is an error" {
	KSRC=$T/nothing run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a git repository"* ]]
}

@test "check-series flags a patch file missing from series" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	run "$T/repo/scripts/check-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 2 - patches/0001-a.patch is in series"* ]]
	echo 0001-a.patch >"$T/repo/series"
	run "$T/repo/scripts/check-series"
	[ "$status" -eq 0 ]
}

@test "check-series flags a series entry without a file and a duplicate" {
	printf 'gone.patch\ngone.patch\n' >"$T/repo/series"
	run "$T/repo/scripts/check-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 1 - series entry gone.patch has a file"* ]]
	[[ "$output" == *"patches listed twice in series: gone.patch"* ]]
}

@test "export writes the branch as format-patch mails and check-export agrees" {
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	sed -i 's/line two/line 2/' "$tree/file.c"
	git -C "$tree" -c user.name=t -c user.email=t@t commit -q -am "file: say 2"
	run "$T/repo/scripts/check-export"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 1"*"not in patches/"* ]]
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	[ "$(series_entries_of "$T/repo/series")" = "0001-file-say-2.patch" ]
	grep -q '^Subject: \[PATCH 1/1\] file: say 2' "$T/repo/patches/0001-file-say-2.patch"
	run "$T/repo/scripts/check-export"
	[ "$status" -eq 0 ]
	# a hand edit that format-patch would not write is caught
	sed -i 's/^---$/---\nA note typed into the mail by hand./' "$T/repo/patches/0001-file-say-2.patch"
	run "$T/repo/scripts/check-export"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok 2 - patches/ is what format-patch makes"* ]]
}

@test "the cover letter takes make compare's numbers, or says they are missing" {
	run "$T/repo/scripts/prepare-tree" patched
	tree=${lines[-1]}
	sed -i 's/line two/line 2/' "$tree/file.c"
	git -C "$tree" -c user.name=t -c user.email=t@t commit -q -am "file: say 2"
	printf 'the subject\n\nWhy.\n@compare-summary@\nThe end.\n' \
		>"$T/repo/Documentation/cover-letter.txt"
	echo " - 42 measured things" >"$T/repo/Documentation/compare-summary.txt"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	grep -q '^ - 42 measured things$' "$T/repo/patches/0000-cover-letter.patch"
	[ -z "$(grep '@compare-summary@' "$T/repo/patches/0000-cover-letter.patch")" ]
	rm "$T/repo/Documentation/compare-summary.txt"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DOC=1 make compare"* ]]
}

@test "export refuses a tree with uncommitted changes and keeps patches/" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	echo 0001-a.patch >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" patched
	tree=${lines[-1]}
	echo dirty >>"$tree/file.c"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uncommitted changes"* ]]
	[ -f "$T/repo/patches/0001-a.patch" ]
}

@test "a run stops at a series that does not apply, before building" {
	mail_patch "$T/repo/patches" 0001-a.patch "line one" "line 1"
	FRESH=1 mail_patch "$T/repo/patches" 0002-b.patch "line one" "line uno"
	printf '0001-a.patch\n0002-b.patch\n' >"$T/repo/series"
	run "$T/repo/scripts/run" patched
	[ "$status" -eq 1 ]
	[[ "$output" == *"patch 2 (0002-b.patch) does not apply"* ]]
	[ ! -e "$HMMDEVM_BUILD/obj" ]
}

# file_patch NAME PATH: a format-patch mail in the copied patches/ that
# adds PATH to the tiny kernel repository (each on the bare base).
file_patch() {
	local w=$T/file-work
	rm -rf "$w"
	git clone -q "$T/ksrc" "$w"
	mkdir -p "$w/$(dirname "$2")"
	echo "/* $1 */" >"$w/$2"
	git -C "$w" add "$2"
	git -C "$w" -c user.name=t -c user.email=t@t commit -q -m "add $2"
	git -C "$w" format-patch -q --stdout -1 >"$T/repo/patches/$1"
	rm -rf "$w"
}

# base64_mail FILE: the same mail with its body base64-encoded, as some
# mailers send it: git am decodes it, git apply cannot read it.
base64_mail() {
	{
		sed -n '1,/^$/p' "$1" | sed '$d'
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		sed '1,/^$/d' "$1" | base64
	} >"$1.b64"
	mv "$1.b64" "$1"
}

@test "base-tests: the base plus only the patches that touch nothing but tests" {
	file_patch 0001-test.patch lib/test_x.c
	file_patch 0002-mm.patch mm/x.c
	file_patch 0003-selftest.patch tools/testing/selftests/mm/x.c
	printf '0001-test.patch\n0002-mm.patch\n0003-selftest.patch\n' >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" base-tests
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	[ -f "$tree/lib/test_x.c" ]
	[ -f "$tree/tools/testing/selftests/mm/x.c" ]
	[ ! -e "$tree/mm/x.c" ]
}

@test "base-tests: a corrupt patch is an error naming it, not a test-only patch" {
	file_patch 0001-test.patch lib/test_x.c
	printf 'diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,2 +1,2 @@\n garbage\n' \
		>"$T/repo/patches/0002-corrupt.patch"
	printf '0001-test.patch\n0002-corrupt.patch\n' >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" base-tests
	[ "$status" -eq 1 ]
	[[ "$output" == *"prepare-tree: patches/0002-corrupt.patch: git apply --numstat cannot read it (error: corrupt patch at line 6)"* ]]
	[ ! -e "$HMMDEVM_CACHE/ksrc-trees/base-tests" ]
}

@test "base-tests: an mm patch git am reads but git apply cannot is an error, not on the base" {
	file_patch 0001-test.patch lib/test_x.c
	file_patch 0002-mm.patch mm/x.c
	base64_mail "$T/repo/patches/0002-mm.patch"
	printf '0001-test.patch\n0002-mm.patch\n' >"$T/repo/series"
	run "$T/repo/scripts/prepare-tree" base-tests
	[ "$status" -eq 1 ]
	[[ "$output" == *"patches/0002-mm.patch: git apply --numstat cannot read it"*"make export"* ]]
	[ ! -e "$HMMDEVM_CACHE/ksrc-trees/base-tests/mm/x.c" ]
	# git am takes it: the patched tree gets it
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	[ -f "${lines[-1]}/mm/x.c" ]
}

@test "compare stops at a patch git apply cannot read, before it touches the last results" {
	fake_bin dpkg-query 'echo "install ok installed"'
	file_patch 0001-test.patch lib/test_x.c
	printf 'diff --git a/mm/x.c b/mm/x.c\n--- a/mm/x.c\n+++ b/mm/x.c\n@@ -1,2 +1,2 @@\n garbage\n' \
		>"$T/repo/patches/0002-corrupt.patch"
	printf '0001-test.patch\n0002-corrupt.patch\n' >"$T/repo/series"
	mkdir -p "$HMMDEVM_BUILD/results/compare"
	echo "the last results" >"$HMMDEVM_BUILD/results/compare/compare.md"
	run "$T/repo/scripts/compare"
	[ "$status" -eq 1 ]
	[[ "$output" == *"compare: patches/0002-corrupt.patch: git apply --numstat cannot read it"* ]]
	[ -f "$HMMDEVM_BUILD/results/compare/compare.md" ]
}

@test "base-tests: the same patches when started from a subdirectory of a git repository" {
	file_patch 0001-test.patch lib/test_x.c
	file_patch 0002-mm.patch mm/x.c
	printf '0001-test.patch\n0002-mm.patch\n' >"$T/repo/series"
	git init -q "$T/repo"
	cd "$T/repo/Documentation"
	run "$T/repo/scripts/prepare-tree" base-tests
	[ "$status" -eq 0 ]
	[ -f "${lines[-1]}/lib/test_x.c" ]
	[ ! -e "${lines[-1]}/mm/x.c" ]
}
