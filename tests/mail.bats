#!/usr/bin/env bats
# The mails as maintainers and b4 want them (scripts/format-series,
# scripts/make-mbox): subjects that do not fold, To/Cc, the base, the
# revision with its changes and range-diff, and the sender's identity.
# These use a tiny git repository as KSRC, so they run in seconds.

load helpers

setup() {
	ksrc_series_setup
	run "$T/repo/scripts/prepare-tree" patched
	[ "$status" -eq 0 ]
	tree=${lines[-1]}
	# The sender comes from these alone; git itself commits as "t".
	unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL
	export GIT_CONFIG_GLOBAL=$T/gitconfig GIT_CONFIG_NOSYSTEM=1
	export GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
}
teardown() { common_teardown; }

# commit_change OLD NEW SUBJECT: a commit on the patched branch.
commit_change() {
	sed -i "s/$1/$2/" "$tree/file.c"
	git -C "$tree" -c user.name="hmm-devm developers" -c user.email=hmm-devm@lists.invalid \
		commit -q -am "$3" -m "Because." \
		-m "Signed-off-by: hmm-devm developers <hmm-devm@lists.invalid>"
}

@test "a subject that would fold is refused, with its length" {
	commit_change "line two" "line 2" "file: a subject long enough that git format-patch folds it"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the subject of 0001-"*"folds: '[PATCH 1/1] file: a subject long enough that git format-patch folds it' has 70 characters, at most 69 fit"* ]]
}

@test "a changelog line that starts with From is refused, with its line" {
	sed -i "s/line two/line 2/" "$tree/file.c"
	git -C "$tree" -c user.name="hmm-devm developers" -c user.email=hmm-devm@lists.invalid \
		commit -q -am "file: say 2" -m "From then on it says 2." \
		-m "Signed-off-by: hmm-devm developers <hmm-devm@lists.invalid>"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"0001-file-say-2.patch, line "*' starts with "From ", which splits the mailbox there'* ]]
}

@test "every mail gets To and Cc from get_maintainer.pl; a KSRC base is the base-commit" {
	commit_change "line two" "line 2" "file: say 2"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	for f in "$T/repo/patches/"0000-*.patch "$T/repo/patches/"0001-*.patch; do
		sed '/^$/q' "$f" | grep -qx 'To: Main Tainer <main@example.org>'
		sed '/^$/q' "$f" | grep -qx 'Cc: tiny-list@example.org'
	done
	cover=$T/repo/patches/0000-cover-letter.patch
	grep -qx "base-commit: $(git -C "$T/ksrc" rev-parse HEAD)" "$cover"
	grep -qx "change-id: $(. "$T/repo/scripts/series.conf"; echo "$SERIES_CHANGE_ID")" "$cover"
	grep -q '^The base is commit [0-9a-f]* ("base")\.$' "$cover"
}

@test "v2 names its revision and shows per patch what changed since v1" {
	commit_change "line one" "line 1" "file: say 1"
	seq -f 'l%g' 1 10 >>"$tree/file.c"
	commit_change "line two" "line 2" "file: add ten lines"
	commit_change "line three" "line 3" "file: say 3"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	cat "$T/repo/patches/"0*.patch >"$T/repo/patches/v1.mbox"
	# v2: the first patch reworded, the second's code changed, the third
	# dropped and a new one added.
	git -C "$tree" reset -q --hard HEAD~3
	commit_change "line one" "line 1" "file: say one as 1"
	seq -f 'l%g' 1 10 | sed 's/^l5$/l five/' >>"$tree/file.c"
	commit_change "line two" "line 2" "file: add ten lines"
	echo new >"$tree/other.c"
	git -C "$tree" add other.c
	commit_change "line three" "line three" "other: a new file"
	sed -i 's/^SERIES_REVISION=.*/SERIES_REVISION=2/' "$T/repo/scripts/series.conf"
	printf 'tiny: the subject\n\nWhy.\n\nChanges in v2:\n - by hand\n@changes@\n' \
		>"$T/repo/Documentation/cover-letter.txt"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	cover=$T/repo/patches/0000-cover-letter.patch
	grep -q '^Subject: \[PATCH v2 0/3\] tiny: the subject$' "$cover"
	grep -q '^Subject: \[PATCH v2 3/3\] other: a new file$' "$T/repo/patches/0003-other-a-new-file.patch"
	[ "$(sed -n '/^ - per patch/,/^$/p' "$cover")" = " - per patch, against v1 (range-diff after the diffstat):
   1/3 file: say one as 1
       changelog
   2/3 file: add ten lines
       file.c
   v1 3/3 file: say 3
       dropped
   3/3 other: a new file
       new" ]
	grep -q '^Range-diff against v1:$' "$cover"
	grep -q '^1:  ------------ ! 1:  ------------ file: say 1$' "$cover"
	# the export is the same bytes twice, whatever the commit ids
	cp -r "$T/repo/patches" "$T/first"
	run "$T/repo/scripts/check-export"
	[ "$status" -eq 0 ]
	diff -r "$T/first" "$T/repo/patches"
}

@test "an earlier revision that does not apply is an error naming the patch" {
	commit_change "line two" "line 2" "file: say 2"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	sed 's/^-line two$/-no such line/' "$T/repo/patches/"0*.patch >"$T/repo/patches/v1.mbox"
	sed -i 's/^SERIES_REVISION=.*/SERIES_REVISION=2/' "$T/repo/scripts/series.conf"
	printf 'tiny\n\n@changes@\n' >"$T/repo/Documentation/cover-letter.txt"
	cp -r "$T/repo/patches" "$T/before"
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 1 ]
	[[ "$output" == *"v1.mbox: 'file: say 2' does not apply on the base"* ]]
	diff -r "$T/before" "$T/repo/patches"
}

@test "make-mbox sends as the sender: From, Signed-off-by, MAINTAINERS" {
	printf 'TINY\nM:\thmm-devm developers <hmm-devm@lists.invalid>\n' >"$tree/MAINTAINERS"
	git -C "$tree" add MAINTAINERS
	commit_change "line two" "line 2" "file: say 2"
	"$T/repo/scripts/export-series"
	GIT_AUTHOR_NAME="Jürgen Sender" GIT_AUTHOR_EMAIL=js@example.org \
		run "$T/repo/scripts/make-mbox"
	[ "$status" -eq 0 ]
	mbox=${lines[-1]}
	grep -qx 'From: =?UTF-8?Q?J=C3=BCrgen_Sender?= <js@example.org>' "$mbox"
	[ "$(grep -c '^From: ' "$mbox")" -eq 2 ]
	[ "$(grep '^Signed-off-by: ' "$mbox" | tr '\n' '|')" = "Signed-off-by: hmm-devm developers <hmm-devm@lists.invalid>|Signed-off-by: Jürgen Sender <js@example.org>|" ]
	grep -q '^Jürgen Sender (1):$' "$mbox"
	grep -qxP '\+M:\tJürgen Sender <js\@example.org>' "$mbox"
	[ -z "$(grep '^Message-Id: .*lists\.invalid' "$mbox")" ]
	# patches/ keeps the placeholder
	run "$T/repo/scripts/export-series"
	[ "$status" -eq 0 ]
	[ -z "$(grep -l 'Jürgen' "$T/repo/patches/"*.patch)" ]
}

@test "make-mbox takes git's user.name and user.email, and refuses half an identity" {
	commit_change "line two" "line 2" "file: say 2"
	"$T/repo/scripts/export-series"
	git config --global user.name "Con Fig"
	git config --global user.email cf@example.org
	run "$T/repo/scripts/make-mbox"
	[ "$status" -eq 0 ]
	grep -qx 'From: Con Fig <cf@example.org>' "${lines[-1]}"
	git config --global --unset user.email
	GIT_AUTHOR_NAME="Only Name" run "$T/repo/scripts/make-mbox"
	[ "$status" -eq 1 ]
	[[ "$output" == *"needs a name and an email"* ]]
	run "$T/repo/scripts/make-mbox" --from "no address"
	[ "$status" -eq 2 ]
	[[ "$output" == *"the sender 'no address' is not 'Name <user@host>'"* ]]
}
