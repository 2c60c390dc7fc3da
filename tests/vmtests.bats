#!/usr/bin/env bats
# The guest's run_vmtests helper (selftests/guest/lib.sh): run_vmtests.sh
# prefixes the TAP of the test it runs with "# " and adds its own result
# line and plan; the host must count the nested results, not that line.

load helpers

setup() {
	common_setup
	# shellcheck source=selftests/guest/lib.sh
	. "$REPO/selftests/guest/lib.sh"
	export OUT=$T/out KSFT_DIR=$T/ksft SUFFIX=
	mkdir -p "$OUT" "$KSFT_DIR"
	# A stand-in run_vmtests.sh: one category, hmm-tests with one pass
	# and one failure, as 7.3's prints them; it records its arguments
	# and the directory it ran in.
	cat >"$KSFT_DIR/run_vmtests.sh" <<'SCRIPT'
#!/bin/bash
echo "$* $PWD" >"$OUT/args"
cat <<'TAP'
TAP version 13
# ------------------------------
# running bash ./test_hmm.sh smoke
# ------------------------------
# Running smoke test. Note, this test provides basic coverage.
# TAP version 13
# 1..2
# ok 1 hmm.hmm_device_private.open_close
# not ok 2 hmm.hmm_device_private.anon_read
# # FAILED: 1 / 2 tests passed.
# [FAIL]
not ok 1 test_hmm.sh smoke # exit=1
# SUMMARY: PASS=0 SKIP=0 FAIL=1
1..1
TAP
exit 1
SCRIPT
	chmod +x "$KSFT_DIR/run_vmtests.sh"
}
teardown() { common_teardown; }

@test "run_vmtests: the nested TAP, unprefixed, and run_vmtests' exit status" {
	run_vmtests hmm hmm-tests
	[ "$(cat "$OUT/args")" = "-t hmm $KSFT_DIR" ]
	grep -qx 'ok 1 hmm.hmm_device_private.open_close' "$OUT/hmm-tests.tap"
	grep -qx 'not ok 2 hmm.hmm_device_private.anon_read' "$OUT/hmm-tests.tap"
	# its own plan and result line are not the suite's
	[ "$(grep -c '^1\.\.' "$OUT/hmm-tests.tap")" -eq 1 ]
	grep -qx '1..2' "$OUT/hmm-tests.tap"
	[ "$(grep -c 'test_hmm.sh smoke # exit' "$OUT/hmm-tests.tap")" -eq 0 ]
	[ "$(cat "$OUT/hmm-tests.rc")" = 1 ]
	grep -q '^not ok 1 test_hmm.sh smoke' "$OUT/hmm-tests.vmtests.log"
}
