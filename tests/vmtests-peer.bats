#!/usr/bin/env bats
# check-full's peer check: the guest's suite vmtests (selftests/guest/
# vmtests.sh) runs run_vmtests.sh -a category by category, and
# scripts/vmtests-peer compares a base run's results with a patched one's.

load helpers

setup() {
	common_setup
	B=$T/base P=$T/patched
	mkdir -p "$B" "$P"
}
teardown() { common_teardown; }

# results DIR LINE...: an mm-vmtests.tap of these result lines.
results() {
	local d=$1
	shift
	{
		echo "TAP version 13"
		printf '%s\n' "$@"
		echo "1..$#"
	} >"$d/mm-vmtests.tap"
}

@test "vmtests-peer: the same results on both sides are 0 newly failing" {
	results "$B" "ok 1 mmap: map_fixed_noreplace" "ok 2 cow: cow # SKIP" "not ok 3 ksm: ksm_tests -U # exit=1"
	results "$P" "ok 1 mmap: map_fixed_noreplace" "ok 2 cow: cow # SKIP" "not ok 3 ksm: ksm_tests -U # exit=1"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mm-vmtests: 3 cases, 1 pass on base, 0 newly failing on patched" ]
}

@test "vmtests-peer: a temporary path in a case's arguments is not part of its name" {
	results "$B" "ok 1 thp: split_huge_page_test /tmp/xfs_dir_pmDnvv"
	results "$P" "ok 1 thp: split_huge_page_test /tmp/xfs_dir_Q2xk9a"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mm-vmtests: 1 cases, 1 pass on base, 0 newly failing on patched" ]
}

@test "vmtests-peer: a case that fails, skips or is missing on patched is newly failing" {
	results "$B" "ok 1 mmap: map_fixed_noreplace" "ok 2 gup_test: gup_test -u -n 1" \
		"ok 3 gup_test: gup_test -u -n 1" "ok 4 cow: cow" "ok 5 thp: khugepaged"
	results "$P" "ok 1 mmap: map_fixed_noreplace" "ok 2 gup_test: gup_test -u -n 1" \
		"not ok 3 gup_test: gup_test -u -n 1 # exit=1" "ok 4 cow: cow # SKIP"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "mm-vmtests: 5 cases, 5 pass on base, 3 newly failing on patched" ]
	[[ "$output" == *"gup_test: gup_test -u -n 1 (2): passes on base, fail on patched"* ]]
	[[ "$output" == *"cow: cow: passes on base, skip on patched"* ]]
	[[ "$output" == *"thp: khugepaged: passes on base, missing on patched"* ]]
}

@test "vmtests-peer: a new kind of kernel bug report on patched is newly failing" {
	results "$B" "ok 1 mmap: map_fixed_noreplace"
	results "$P" "ok 1 mmap: map_fixed_noreplace"
	printf '[ 10.1] WARNING: CPU: 0 PID: 12 at mm/gup.c:345 foo+0x1/0x20\n' >"$B/dmesg.txt"
	printf '[ 99.9] WARNING: CPU: 1 PID: 77 at mm/gup.c:351 foo+0x3/0x20\n' >"$P/dmesg.txt"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 0 ]
	printf '[ 99.9] BUG: Bad page state in process cow  pfn:1234\n' >>"$P/dmesg.txt"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 1 ]
	[[ "$output" == *"kernel log: only on patched: BUG: Bad page state in process cow  pfn:_"* ]]
}

@test "vmtests-peer: a program that builds on base and not on patched is newly failing" {
	results "$B" "ok 1 mmap: map_fixed_noreplace"
	results "$P" "ok 1 mmap: map_fixed_noreplace"
	echo protection_keys_32 >"$B/mm-unbuilt.txt"
	printf 'protection_keys_32\ncow\n' >"$P/mm-unbuilt.txt"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mm target: builds on base, not on patched: cow"* ]]
	[ "$(grep -c protection_keys_32 <<<"$output")" -eq 0 ]
}

@test "vmtests-peer: nothing passing on base tested nothing; a missing or unfinished run is an error" {
	results "$B" "not ok 1 mmap: map_fixed_noreplace # exit=1"
	results "$P" "not ok 1 mmap: map_fixed_noreplace # exit=1"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 1 ]
	[[ "$output" == *"tested nothing"* ]]
	run "$REPO/scripts/vmtests-peer" "$B" "$T/none"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no mm-vmtests.tap"* ]]
	# A boot cut short: the guest never wrote the plan.
	results "$P" "ok 1 mmap: map_fixed_noreplace"
	sed -i '/^1\.\./d' "$P/mm-vmtests.tap"
	run "$REPO/scripts/vmtests-peer" "$B" "$P"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no plan: the guest did not finish the suite"* ]]
	run "$REPO/scripts/vmtests-peer" "$B"
	expect_usage_error
}

@test "vmtests.sh: each category of run_vmtests.sh -a, its own result lines, a timeout" {
	# shellcheck source=selftests/guest/lib.sh
	. "$REPO/selftests/guest/lib.sh"
	export OUT=$T/out KSFT_DIR=$T/ksft SUFFIX= VMTESTS_CATEGORY_SECONDS=2
	mkdir -p "$OUT" "$KSFT_DIR"
	echo cow >"$KSFT_DIR/unbuilt.txt"
	# A stand-in with three categories (one left out) and 7.3's output.
	cat >"$KSFT_DIR/run_vmtests.sh" <<'SCRIPT'
#!/bin/bash
echo "$*" >>"$OUT/calls"
touch ./written-here
CATEGORY="mmap" run_test ./map_fixed_noreplace
CATEGORY="ksm_numa" run_test ./ksm_tests -N -m 1
	CATEGORY="thp" run_test ./khugepaged
case $3 in
mmap) printf '# running ./map_fixed_noreplace\n# ok 1 nested\nok 1 map_fixed_noreplace\nnot ok 2 map_populate # exit=1\n' ;;
thp) printf 'ok 1 khugepaged # SKIP\n'; exec sleep 30 ;;
esac
SCRIPT
	chmod +x "$KSFT_DIR/run_vmtests.sh"
	bash "$REPO/selftests/guest/vmtests.sh"
	[ "$(cat "$OUT/calls")" = "$(printf -- '-a -t mmap\n-a -t thp')" ]
	grep -qx 'ok 1 mmap: map_fixed_noreplace' "$OUT/mm-vmtests.tap"
	grep -qx 'not ok 2 mmap: map_populate # exit=1' "$OUT/mm-vmtests.tap"
	grep -qx 'ok 3 thp: khugepaged # SKIP' "$OUT/mm-vmtests.tap"
	grep -qx 'not ok 4 thp: timed out after 2 s' "$OUT/mm-vmtests.tap"
	grep -qx '# left out: ksm_numa' "$OUT/mm-vmtests.tap"
	grep -qx '1..4' "$OUT/mm-vmtests.tap"
	[ "$(grep -c nested "$OUT/mm-vmtests.tap")" -eq 0 ]
	[ "$(cat "$OUT/mm-unbuilt.txt")" = cow ]
	[ ! -e "$KSFT_DIR/written-here" ]
}
