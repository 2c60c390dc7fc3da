#!/usr/bin/env bats
# Reading results: every failure, missing result and kernel splat fails the
# run and is quoted; skips are counted apart and fail unless ALLOW_SKIPS=1.

load helpers

setup() {
	common_setup
	R=$T/res
	mkdir -p "$R"
	printf 'SUITES="hmm"\nLOOPS=1\n' >"$R/plan"
	printf 'HMMDEVM: tests start\nHMMDEVM: tests end\n' >"$R/console.log"
	: >"$R/dmesg.txt"
}
teardown() { common_teardown; }

tap() { printf '%s\n' "$@" >"$R/hmm-tests.tap"; echo "${RC:-0}" >"$R/hmm-tests.rc"; }

@test "all cases passing is a pass, with the closing line" {
	tap "TAP version 13" "1..2" "ok 1 hmm.a" "ok 2 hmm.b"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "4 passed, 0 failed, 0 skipped" ]
	[ -f "$R/summary.txt" ]
}

@test "a failing case fails the run and is quoted" {
	RC=1 tap "1..2" "ok 1 hmm.a" "not ok 2 hmm.b"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hmm-tests: not ok 2 hmm.b"* ]]
	[ "${lines[-1]}" = "3 passed, 1 failed, 0 skipped" ]
}

@test "results missing against the plan count as failures" {
	tap "1..5" "ok 1 hmm.a" "ok 2 hmm.b"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"3 of 5 results missing"* ]]
	[ "${lines[-1]}" = "4 passed, 3 failed, 0 skipped" ]
}

@test "a skip is counted as skipped, never passed, and fails by default" {
	tap "1..2" "ok 1 hmm.a" "ok 2 hmm.b # SKIP no device"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"3 passed, 0 failed, 1 skipped"* ]]
	[[ "${lines[-1]}" == *"1 case(s) skipped"* ]]
	ALLOW_SKIPS=1 run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 0 ]
}

@test "a bail-out and a bad exit status are failures" {
	tap "TAP version 13" "Bail out! modprobe test_hmm failed"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Bail out! modprobe test_hmm failed"* ]]
	RC=139 tap "1..1" "ok 1 hmm.a"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exit status 139 with no failing case"* ]]
}

@test "a missing TAP file is a failure" {
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hmm-tests: no results"* ]]
}

@test "each kind of kernel splat fails a run whose cases all passed" {
	tap "1..1" "ok 1 hmm.a"
	for splat in "WARNING: CPU: 0 PID: 1 at mm/memremap.c:1" "BUG: unable to handle page fault" \
		"Oops: 0000 [#1] SMP" "BUG: KASAN: use-after-free in x" "kernel BUG at mm/gup.c:12!" \
		"INFO: task truncate:99 blocked for more than 10 seconds." \
		"WARNING: possible recursive locking detected" \
		"WARNING: suspicious RCU usage" "INFO: lockdep is turned off."; do
		printf '[    1.0] %s\n' "$splat" >"$R/dmesg.txt"
		run "$REPO/scripts/summarize" "$R"
		[ "$status" -eq 1 ]
		[[ "$output" == *"kernel log has bug reports"*"$splat"* ]]
	done
}

@test "kmemleak's note fails a run, unless boot-guest was told to report leaks" {
	tap "1..1" "ok 1 hmm.a"
	printf '[ 9.0] %s\n' "kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)" >"$R/dmesg.txt"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kernel log has bug reports"*"suspected memory leak"* ]]
	echo ON_LEAK=report >>"$R/plan"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 0 ]
}

@test "the debug kernel's boot banners are not splats" {
	tap "1..1" "ok 1 hmm.a"
	printf '[ 0.0] %s\n' "rcu: 	RCU lockdep checking is enabled." \
		"Lock dependency validator: Copyright (c) 2006 Red Hat, Inc., Ingo Molnar" \
		"kmemleak: Kernel memory leak detector initialized (mem pool available: 15676)" \
		"KASAN initialized" >"$R/dmesg.txt"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "3 passed, 0 failed, 0 skipped" ]
}

@test "a splat on the console alone (no dmesg saved) is caught too" {
	tap "1..1" "ok 1 hmm.a"
	rm "$R/dmesg.txt"
	printf 'HMMDEVM: tests start\n[ 2.0] Oops: general protection fault\n' >"$R/console.log"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"guest stopped during the tests"* ]]
	[[ "$output" == *"Oops: general protection fault"* ]]
}

@test "every loop's results are read" {
	printf 'SUITES="hmm"\nLOOPS=2\n' >"$R/plan"
	printf '1..1\nok 1 hmm.a\n' >"$R/hmm-tests.loop1.tap"
	echo 0 >"$R/hmm-tests.loop1.rc"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hmm-tests.loop2: no results"* ]]
}

@test "the failures of every TAP file are quoted, not only the last one's" {
	printf 'SUITES="hmm"\nLOOPS=3\n' >"$R/plan"
	for i in 1 2 3; do
		printf '1..1\nnot ok 1 hmm.case%s\n' "$i" >"$R/hmm-tests.loop$i.tap"
		echo 1 >"$R/hmm-tests.loop$i.rc"
	done
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hmm-tests.loop1: not ok 1 hmm.case1"* ]]
	[[ "$output" == *"hmm-tests.loop2: not ok 1 hmm.case2"* ]]
	[[ "$output" == *"hmm-tests.loop3: not ok 1 hmm.case3"* ]]
	[ "${lines[-1]}" = "2 passed, 3 failed, 0 skipped" ]
}

@test "a guest with fewer CPUs than the run asked for fails the run" {
	tap "1..1" "ok 1 hmm.a"
	echo "CPUS=2" >>"$R/plan"
	echo "cpus: 1" >"$R/guest-setup.txt"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 1 ]
	[[ "$output" == *"harness: the guest had 1 CPU(s), the run asked for 2"* ]]
	echo "cpus: 2" >"$R/guest-setup.txt"
	run "$REPO/scripts/summarize" "$R"
	[ "$status" -eq 0 ]
	[[ "$output" == *"guest-cpus "*"ok"* ]]
}

@test "closing_counts reads a closing line and refuses anything else" {
	# shellcheck source=scripts/lib.sh
	. "$REPO/scripts/lib.sh"
	printf 'log\n12 passed, 1 failed, 2 skipped\n' >"$T/ok.log"
	run closing_counts "$T/ok.log"
	[ "$status" -eq 0 ]
	[ "$output" = "12 1 2" ]
	printf '12 passed, 1 failed, 2 skipped\nmake: *** Error 1\n' >"$T/bad.log"
	run closing_counts "$T/bad.log"
	[ "$status" -eq 1 ]
	run closing_counts "$T/missing.log"
	[ "$status" -eq 1 ]
}
