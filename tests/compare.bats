#!/usr/bin/env bats
# scripts/compare-report (tables, plot and claims from a 'make compare'
# directory), scripts/jump-sites (static-branch sites of a key) and the
# migration benchmark's argument checks.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# latency_tap FILE FS HOLD US...: devmap-tests lines, one truncate case
# of the given hold per value.
latency_tap() {
	local file=$1 fs=$2 hold=$3 us
	shift 3
	for us in "$@"; do
		printf '#  RUN           devmap.%s.truncate_waits_for_%s ...\n' "$fs" "$hold"
		printf '# release-to-completion truncate %s: %s us\n' "$hold" "$us"
		printf 'ok 1 devmap.%s.truncate_waits_for_%s\n' "$fs" "$hold"
	done >>"$file"
}

# side NAME TEXT DATA SITES PIN_US GET_US MBPS PUNCHES: one kernel's part
# of a compare directory; latencies are three samples from the given value
# up, PUNCHES the ext4 punches of the contention benchmark in 10 s.
side() {
	local d=$T/cmp/$1
	mkdir -p "$d/run" "$d/bench.1"
	printf '   text    data     bss     dec     hex filename\n%s %s 300 0 0 vmlinux\n' "$2" "$3" >"$d/size.txt"
	echo "$4" >"$d/jump-sites.txt"
	echo reused >"$d/build-dir"
	echo "seconds: prepare+configure 1, build 20, boot+tests 30" >"$d/run/run-info.txt"
	printf 'hmm 1 3000\n' >"$d/run/suite-ms"
	echo "uptime-at-tests: 2.5" >"$d/run/guest-setup.txt"
	echo "99 passed, 0 failed, 0 skipped" >"$d/run/summary.txt"
	cp "$d/run/guest-setup.txt" "$d/bench.1/"
	latency_tap "$d/bench.1/devmap-tests.try1.tap" ext4 pin "$5" $(($5 + 10)) $(($5 + 20))
	latency_tap "$d/bench.1/devmap-tests.try1.tap" ext4 get "$6" $(($6 + 10)) $(($6 + 20))
	printf 'migrate 64 to_dev 5 %s 1 2\nmigrate 64 to_sys 5 %s 1 2\n' "$7" "$7" >"$d/bench.1/migrate.txt"
	printf 'ext4 contend punch: %s completed in 10.0 s, 50 holds, 5 splices, 0 hold errors\n' \
		"$8" >"$d/bench.1/contend.txt"
}

compare_dir() {
	mkdir -p "$T/cmp"
	printf 'date: today\n' >"$T/cmp/info"
	printf 'add/remove: 0/1 grow/shrink: 0/0 up/down: 0/-8 (-8)\nFunction old new delta\nput_page 8 - -8\nTotal: Before=16, After=8, chg -50.00%%\n' >"$T/cmp/bloat.txt"
}

@test "compare-report: tables, plot and every claim met" {
	compare_dir
	side base-tests 1000 200 40 1000 1000 100.0 300
	side patched 900 200 0 1100 1050 99.0 290
	run "$REPO/scripts/compare-report" "$T/cmp"
	[ "$status" -eq 0 ]
	[ -s "$T/cmp/compare.png" ]
	md=$(cat "$T/cmp/compare.md")
	[[ "$md" == *"| text | 1000 | 900 | -100 |"* ]]
	[[ "$md" == *"| static-branch sites on \`devmap_managed_key\` | 40 | 0 | -40 |"* ]]
	[[ "$md" == *"| ext4 | truncate | pin | 3 | 1010 | 1020 | 1020 | 1110 | 1120 | 1120 | 1.10 |"* ]]
	[[ "$md" == *"| ext4 | punch | 300 | 10.0 | 30.00 | 290 | 10.0 | 29.00 | 0.97 |"* ]]
	[[ "$md" == *"| 64 | to_dev | 5 | 100.0 [1.0, 2.0] | 99.0 [1.0, 2.0] | 0.99 |"* ]]
	[[ "$md" == *"- met: ext4 truncate get: p90 ratio 1.05 (<= 1.5)"* ]]
	[[ "$md" != *MISSED* ]]
}

@test "compare-report: rounds are pooled (latency samples; migration medians; contention)" {
	compare_dir
	side base-tests 1000 200 40 1000 1000 100.0 300
	side patched 900 200 0 1100 1000 110.0 290
	# A second base round: three more samples, another median.
	mkdir -p "$T/cmp/base-tests/bench.2"
	latency_tap "$T/cmp/base-tests/bench.2/devmap-tests.try1.tap" ext4 pin 2000 2010 2020
	latency_tap "$T/cmp/base-tests/bench.2/devmap-tests.try1.tap" ext4 get 1000 1010 1020
	printf 'migrate 64 to_dev 5 120.0 0.5 3\nmigrate 64 to_sys 5 120.0 1 2\n' \
		>"$T/cmp/base-tests/bench.2/migrate.txt"
	echo 'ext4 contend punch: 100 completed in 10.0 s, 5 holds, 1 splices, 0 hold errors' \
		>"$T/cmp/base-tests/bench.2/contend.txt"
	run "$REPO/scripts/compare-report" "$T/cmp"
	[ "$status" -eq 0 ]
	grep -q '| ext4 | truncate | pin | 6 | 1020 | 2020 | 2020 |' "$T/cmp/compare.md"
	grep -q '| 64 | to_dev | 10 | 110.0 \[0.5, 3.0\] | 110.0 \[1.0, 2.0\] | 1.00 |' "$T/cmp/compare.md"
	grep -q '| ext4 | punch | 400 | 20.0 | 20.00 | 290 | 10.0 | 29.00 | 1.45 |' "$T/cmp/compare.md"
}

@test "compare-report: each claim can miss, and the exit status says so" {
	compare_dir
	# Text and data grew, the key is still there, pins doubled, gets
	# slowed by a fifth and more, migration lost a tenth, punches starved.
	side base-tests 1000 200 40 1000 1000 100.0 300
	side patched 1001 201 3 2100 1250 90.0 200
	run "$REPO/scripts/compare-report" "$T/cmp"
	[ "$status" -eq 3 ]
	grep -q 'MISSED\*\*: vmlinux text' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: vmlinux data' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: static-branch sites' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: ext4 truncate pin: median ratio 2.09' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: ext4 truncate pin: p90 ratio 2.08' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: ext4 truncate get: median ratio 1.25' "$T/cmp/compare.md"
	grep -q 'met: ext4 truncate get: p90 ratio 1.25' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: migration to_dev' "$T/cmp/compare.md"
	grep -q 'MISSED\*\*: ext4 punch under contention: 20.00 vs 30.00 per second, ratio 0.67' "$T/cmp/compare.md"
	[ "$(grep -c MISSED "$T/cmp/compare.md")" -eq 9 ]
}

@test "compare-report: an incomplete directory is an error naming the file" {
	compare_dir
	side base-tests 1000 200 40 1000 1000 100.0 300
	side patched 900 200 0 1100 1000 99.0 290
	rm "$T/cmp/patched/bench.1/contend.txt"
	run "$REPO/scripts/compare-report" "$T/cmp"
	[ "$status" -eq 1 ]
	[[ "$output" == *"patched/bench.1/contend.txt is missing"* ]]
	run "$REPO/scripts/compare-report"
	[ "$status" -eq 2 ]
	[[ "$output" == *usage:* ]]
}

@test "jump-sites: counts the entries keyed on a symbol, flag bits ignored" {
	# Three sites on mykey (one with the branch flag set), one on other.
	cat >"$T/jt.c" <<'C'
long mykey, other;
void _start(void) { for (;;); }
asm(".pushsection __jump_table, \"aw\"\n.balign 8\n"
    "1: .long 0, 0\n .quad mykey - .\n"
    "2: .long 0, 0\n .quad other - .\n"
    "3: .long 0, 0\n .quad mykey + 1 - .\n"
    "4: .long 0, 0\n .quad mykey - .\n"
    ".popsection\n");
C
	gcc -O1 -nostdlib -static -no-pie -o "$T/jt" "$T/jt.c"
	run "$REPO/scripts/jump-sites" "$T/jt" mykey
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	# As in vmlinux: found through the __start/__stop symbols.
	printf 'extern char __start___jump_table[], __stop___jump_table[];\nvoid *keep[] = { __start___jump_table, __stop___jump_table };\n' >>"$T/jt.c"
	gcc -O1 -nostdlib -static -no-pie -o "$T/jt2" "$T/jt.c"
	nm "$T/jt2" | grep -q __start___jump_table
	run "$REPO/scripts/jump-sites" "$T/jt2" mykey
	[ "$status" -eq 0 ]
	[ "$output" = 3 ]
	run "$REPO/scripts/jump-sites" "$T/jt" other
	[ "$output" = 1 ]
	run "$REPO/scripts/jump-sites" "$T/jt" no_such_key
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "jump-sites: bad arguments and files without a jump table" {
	run "$REPO/scripts/jump-sites" /nonexistent mykey
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such file"* ]]
	run "$REPO/scripts/jump-sites" only-one
	[ "$status" -eq 2 ]
	printf 'long mykey;\nvoid _start(void) { for (;;); }\n' >"$T/nojt.c"
	gcc -O1 -nostdlib -static -no-pie -o "$T/nojt" "$T/nojt.c"
	run "$REPO/scripts/jump-sites" "$T/nojt" mykey
	[ "$status" -eq 1 ]
	[[ "$output" == *"no __jump_table"* ]]
}

@test "hmm-migrate-bench: bad arguments are refused before any device is opened" {
	# The benchmark's own checks need no kernel: a stand-in for the uapi
	# header with the names it uses is enough to build it.
	mkdir -p "$T/lib"
	cat >"$T/lib/test_hmm_uapi.h" <<'H'
#include <linux/types.h>
#include <linux/ioctl.h>
struct hmm_dmirror_cmd { __u64 addr, ptr, npages, cpages, faults; };
#define HMM_DMIRROR_MIGRATE_TO_DEV _IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS _IOWR('H', 0x03, struct hmm_dmirror_cmd)
H
	gcc -O2 -Wall -Werror -I"$T/lib" -o "$T/bench" "$REPO/selftests/progs/hmm-migrate-bench.c"
	for args in "" "-r 0 64" "-r 1001 64" "3" "64x" "-d"; do
		# shellcheck disable=SC2086 # each case is a list of arguments
		run "$T/bench" -d /nonexistent $args
		[ "$status" -eq 2 ]
		[[ "$output" == *usage:* ]]
	done
	run "$T/bench" -d /nonexistent 64
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent: No such file"* ]]
}

@test "devmap-contend: bad arguments are refused before the device is opened" {
	mkdir -p "$T/lib"
	cat >"$T/lib/test_devmap_uapi.h" <<'H'
#include <linux/types.h>
#include <linux/ioctl.h>
struct devmap_hold { __u64 addr, npages; __u32 flags, id; };
struct devmap_release { __u32 id, pad; };
#define DEVMAP_HOLD_PIN 1
#define DEVMAP_HOLD_WRITE 2
#define DEVMAP_IOC_HOLD _IOWR('D', 0, struct devmap_hold)
#define DEVMAP_IOC_RELEASE _IOW('D', 1, struct devmap_release)
H
	gcc -O2 -Wall -Werror -pthread -I"$T/lib" -o "$T/contend" \
		"$REPO/selftests/progs/devmap-contend.c"
	for args in "" "/tmp" "-o punch" "-o chop /tmp" "-o punch -s 0 /tmp" \
		"-o punch -t 0 /tmp" "-o punch -t 17 /tmp" "-o punch /tmp /tmp"; do
		# shellcheck disable=SC2086 # each case is a list of arguments
		run "$T/contend" $args
		[ "$status" -eq 2 ]
		[[ "$output" == *usage:* ]]
	done
}
