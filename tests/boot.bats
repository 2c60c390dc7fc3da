#!/usr/bin/env bats
# The guest boot, with a stand-in for qemu that plays a guest which dies,
# hangs or finishes: a boot that dies before its tests is retried once and
# then reported as an error, never as a pass.

load helpers

setup() {
	common_setup
	fake_obj
	export ACCEL=tcg
}
teardown() { common_teardown; }

# fake_qemu BODY: qemu-system-x86_64 that counts its calls in $T/calls.
fake_qemu() {
	fake_bin qemu-system-x86_64 "echo x >>'$T/calls'; $1"
}

calls() { wc -l <"$T/calls"; }

@test "a guest that oopses before its tests is retried once, then an error" {
	fake_qemu 'echo "BUG: int3 in sched_clock_cpu"; echo "Kernel panic"'
	run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 3 ]
	[ "$(calls)" -eq 2 ]
	[[ "$output" == *"guest died before its tests started, twice"* ]]
	[ -f "$T/res/console.attempt1.log" ]
	run "$REPO/scripts/summarize" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"guest never reached its tests"* ]]
	[[ "${lines[-1]}" == *"passed, "[1-9]*" failed, "* ]]
}

@test "a guest that dies once and then boots is a normal run" {
	fake_qemu '[ "$(wc -l <'"'$T/calls'"')" -gt 1 ] || exit 1
echo "HMMDEVM: tests start"; echo "HMMDEVM: tests end"'
	run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 0 ]
	[ "$(calls)" -eq 2 ]
	[ -f "$T/res/console.attempt1.log" ]
}

@test "a guest that hangs during its tests is cut off by RUN_TIMEOUT" {
	fake_qemu 'echo "HMMDEVM: tests start"; echo "HMMDEVM: suite hmm loop 1"; exec sleep 60'
	RUN_TIMEOUT=2 run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 4 ]
	[ "$(calls)" -eq 1 ]
	grep -q "timed out after 2s" "$T/res/console.log"
	run "$REPO/scripts/summarize" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"guest stopped during the tests"* ]]
	[[ "$output" == *"hmm-tests: no results"* ]]
}

@test "the guest gets the plan and the memory map the suites need" {
	fake_qemu 'echo "$*" >'"'$T/args'"'; echo "HMMDEVM: tests start"; echo "HMMDEVM: tests end"'
	LOOPS=3 THP=never run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 0 ]
	grep -q 'memmap=1G\$0x140000000' "$T/args"
	grep -q 'memmap=512M!0x180000000' "$T/args"
	grep -q "init=$REPO/selftests/guest/init" "$T/args"
	grep -q "path=$T/res,.*mount_tag=results" "$T/args"
	grep -qx 'LOOPS=3' "$T/res/plan"
	grep -qx 'THP=never' "$T/res/plan"
	grep -qx 'SPM_ADDR_DEV0=0x140000000' "$T/res/plan"
}
