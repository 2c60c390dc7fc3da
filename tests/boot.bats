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
teardown() {
	# A boot-guest that failed to stop its stand-in qemu leaves it behind.
	local f
	for f in "$T"/*.pid; do
		[ ! -f "$f" ] || kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	common_teardown
}

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
	grep -qx 'ON_LEAK=fail' "$T/res/plan"
	grep -qx 'VMTESTS_CATEGORY_SECONDS=1200' "$T/res/plan"
	run "$REPO/scripts/boot-guest" --report-leaks "$T/obj" "$T/res"
	[ "$status" -eq 0 ]
	grep -qx 'ON_LEAK=report' "$T/res/plan"
}

@test "one CPU boots SeaBIOS; SMP=2 boots qboot, whose MP table lists both CPUs" {
	fake_qemu 'echo "$*" >'"'$T/args'"'; echo "HMMDEVM: tests start"; echo "HMMDEVM: tests end"'
	run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 0 ]
	grep -q -- '-smp 1 ' "$T/args"
	[ "$(grep -c -- '-bios' "$T/args")" -eq 0 ]
	grep -qx 'CPUS=1' "$T/res/plan"
	SMP=2 run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 0 ]
	grep -q -- '-bios /usr/share/qemu/qboot.rom -smp 2 ' "$T/args"
	grep -qx 'CPUS=2' "$T/res/plan"
}

@test "SMP must be a positive number" {
	fake_qemu 'echo x'
	SMP=0 run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 2 ]
	[[ "$output" == *"SMP must be a positive number"* ]]
	[ ! -f "$T/calls" ]
}

# hanging_qemu: a qemu stand-in whose guest reaches its tests and hangs
# there, in a process and a child process (QEMU's process group must go,
# not only QEMU), recording both pids. With RETRY=1 its first boot dies
# before the tests, so boot-guest saves that console log and boots again.
hanging_qemu() {
	local first=
	[ "${RETRY:-0}" != 1 ] || first='[ "$(wc -l <'"'$T/calls'"')" -gt 1 ] || exit 1'
	fake_qemu "$first
echo \$\$ >'$T/qemu.pid'
echo 'HMMDEVM: tests start'
sleep 300 &
echo \$! >'$T/child.pid'
wait"
}

# boot_in_background [ENV...]: boot-guest in the background (pid in $bg),
# its output in $T/out; returns once the hanging guest runs. fd 3 is
# closed so that a qemu left behind cannot hold bats' output open.
boot_in_background() {
	env "$@" RUN_TIMEOUT=600 "$REPO/scripts/boot-guest" "$T/obj" "$T/res" \
		>"$T/out" 2>&1 3>&- &
	bg=$!
	local i
	for i in $(seq 100); do
		[ ! -s "$T/child.pid" ] || return 0
		sleep 0.1
	done
	echo "the stand-in qemu never started" >&2
	return 1
}

# ended PID SECONDS: PID exits within SECONDS (a zombie waiting for its
# parent has exited).
ended() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ -d "/proc/$1" ] || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.1
	done
	echo "process $1 still runs after $2 s" >&2
	return 1
}

# gone PID: a stand-in's process has exited.
gone() { ended "$1" 5; }

# stopped_status: boot-guest's exit status ($rc); it must end within 15 s
# of the signal (it gives QEMU 10 s to go after a TERM).
stopped_status() {
	ended "$bg" 15 || { kill -KILL "$bg"; return 1; }
	rc=0
	wait "$bg" || rc=$?
}

@test "SIGTERM stops QEMU's process group, notes it in the console log, exits 143" {
	hanging_qemu
	boot_in_background
	kill -TERM "$bg"
	stopped_status
	[ "$rc" -eq 143 ]
	gone "$(cat "$T/qemu.pid")"
	gone "$(cat "$T/child.pid")"
	grep -qx "HMMDEVM: host: stopped by SIGTERM" "$T/res/console.log"
	grep -q "hmm-devm: boot-guest: stopped by SIGTERM" "$T/out"
}

@test "SIGTERM during the second boot removes the first boot's saved console log" {
	mkdir "$T/tmp"
	RETRY=1 hanging_qemu
	boot_in_background TMPDIR="$T/tmp"
	[ "$(calls)" -eq 2 ]
	[ -n "$(ls -A "$T/tmp")" ]
	kill -TERM "$bg"
	stopped_status
	[ "$rc" -eq 143 ]
	gone "$(cat "$T/qemu.pid")"
	[ -z "$(ls -A "$T/tmp")" ]
}

@test "SIGINT stops QEMU's process group and exits 130" {
	hanging_qemu
	# A background job starts with SIGINT ignored; give it back.
	boot_in_background --default-signal=INT
	kill -INT "$bg"
	stopped_status
	[ "$rc" -eq 130 ]
	gone "$(cat "$T/qemu.pid")"
	gone "$(cat "$T/child.pid")"
}
