#!/usr/bin/env bats
# The guest's TAP writers (selftests/guest/lib.sh): what the suite scripts
# write themselves must count on the host exactly as the programs' TAP.

load helpers

setup() {
	common_setup
	# shellcheck source=selftests/guest/lib.sh
	. "$REPO/selftests/guest/lib.sh"
	export OUT=$T/out SUFFIX=.loop2
	mkdir -p "$OUT"
}
teardown() { common_teardown; }

@test "tap_case: numbered cases, diagnostics, the plan last, rc 1 on a failure" {
	tap_begin abi
	tap_case abi ok "first"
	tap_case abi fail "second" $'why\nand more'
	tap_case abi ok "third"
	tap_end abi
	[ "$(sed -n 2p "$OUT/abi.loop2.tap")" = "ok 1 - first" ]
	grep -qx 'not ok 2 - second' "$OUT/abi.loop2.tap"
	grep -qx '# why' "$OUT/abi.loop2.tap"
	grep -qx '# and more' "$OUT/abi.loop2.tap"
	grep -qx 'ok 3 - third' "$OUT/abi.loop2.tap"
	[ "$(tail -n 1 "$OUT/abi.loop2.tap")" = "1..3" ]
	[ "$(cat "$OUT/abi.loop2.rc")" = 1 ]
}

@test "tap_line: one passing case, rc 0" {
	tap_line kmemleak ok "kmemleak finds no leak"
	[ "$(cat "$OUT/kmemleak.loop2.tap")" = $'TAP version 13\nok 1 - kmemleak finds no leak\n1..1' ]
	[ "$(cat "$OUT/kmemleak.loop2.rc")" = 0 ]
}

@test "bail_out_after: a suite that ran fails after the fact" {
	printf 'TAP version 13\nok 1 - a\n1..1\n' >"$OUT/hmm-tests.loop2.tap"
	echo 0 >"$OUT/hmm-tests.loop2.rc"
	run bail_out_after hmm-tests "test_hmm is left after unload"
	[ "$(tail -n 1 "$OUT/hmm-tests.loop2.tap")" = "Bail out! test_hmm is left after unload" ]
	[ "$(cat "$OUT/hmm-tests.loop2.rc")" = 1 ]
}
