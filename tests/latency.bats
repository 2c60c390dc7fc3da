#!/usr/bin/env bats
# scripts/latency-stats: devmap-tests' latency lines -> per filesystem,
# operation and hold: n, median, p90, worst (nearest rank).

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# sample_tap FILE FS US...: a devmap-tests TAP file with one truncate-pin
# case per value.
sample_tap() {
	local file=$1 fs=$2 us i=0
	shift 2
	for us in "$@"; do
		i=$((i + 1))
		printf '#  RUN           devmap.%s.truncate_waits_for_pin ...\n' "$fs"
		printf '# release-to-completion truncate pin: %s us\n' "$us"
		printf 'ok %d devmap.%s.truncate_waits_for_pin\n' "$i" "$fs"
	done >>"$file"
}

@test "latency-stats: median, p90 and worst per filesystem, loops pooled" {
	mkdir -p "$T/res"
	sample_tap "$T/res/devmap-tests.loop1.tap" ext4 50 10 40 30 20
	sample_tap "$T/res/devmap-tests.loop2.tap" ext4 100 90 80 70 60
	sample_tap "$T/res/devmap-tests.loop1.tap" xfs 7
	run "$REPO/scripts/latency-stats" "$T/res"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^ext4\ +truncate\ +pin\ +10\ +50\ +90\ +100$ ]]
	[[ "${lines[2]}" =~ ^xfs\ +truncate\ +pin\ +1\ +7\ +7\ +7$ ]]
}

@test "latency-stats fails when there is nothing to summarize" {
	mkdir -p "$T/res"
	run "$REPO/scripts/latency-stats" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no devmap-tests"* ]]
	echo "ok 1 devmap.ext4.x" >"$T/res/devmap-tests.tap"
	run "$REPO/scripts/latency-stats" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no release-to-completion samples"* ]]
	run "$REPO/scripts/latency-stats" "$T/nonesuch"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such results directory"* ]]
}
