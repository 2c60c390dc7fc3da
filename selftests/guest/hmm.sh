#!/bin/bash
# Suite "hmm": the upstream hmm-tests against test_hmm. Device 0/1 are
# device-private; 2/3 device-coherent on the memory the guest reserved
# (memmap=...$SPM_ADDR_DEV0) and handed to the module.
#
# Some cases unload and reload test_hmm (HMM_DMIRROR_MODPROBE) and inject
# slab failures into its chunk setup (failslab). After the suite and an
# unload, kmemleak must hold nothing that test_hmm allocated; a leak, or a
# check that cannot run, is appended to the TAP as "Bail out!". With
# LEAK_CHECK=0 (the baseline run: stock 6.12 test_hmm never drops its
# device reference and leaks on every unload) leaks are only reported.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak
FAILSLAB=/sys/kernel/debug/failslab
TAP=$OUT/hmm-tests$SUFFIX.tap

# How hmm-tests loads and unloads test_hmm itself.
export HMM_DMIRROR_MODPROBE="modprobe -d $MODROOT"

# fail_after REASON: the suite ran, but a check after it failed.
fail_after() {
	echo "Bail out! $1" >>"$TAP"
	echo 1 >"$OUT/hmm-tests$SUFFIX.rc"
	echo "hmm: $1" >&2
}

# failslab_off: failslab as the boot left it. hmm-tests' chunk_alloc_fault
# restores it itself, but not when the harness kills it at its timeout,
# and its stack filter would then keep later suites' fault injection
# (devmap-faults) from ever firing.
failslab_off() {
	local kv
	for kv in probability=0 require-start=0 require-end=0xffffffffffffffff \
		reject-start=0 reject-end=0 task-filter=N ignore-gfp-wait=Y; do
		[ ! -w "$FAILSLAB/${kv%%=*}" ] || echo "${kv#*=}" >"$FAILSLAB/${kv%%=*}"
	done
}

# plan_of TAP-FILE: the number of the file's last plan line, 0 if none.
plan_of() {
	sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1 | grep . || echo 0
}

# run_hmm_tests: hmm-tests, less the cases left out on purpose (7.3's;
# Documentation/testing.md, "hmm-tests cases left out", says why). Each is
# named in the TAP, so that a missing case is never read as a pass.
run_hmm_tests() {
	local rc=0 part=$TAP.part cases
	cases=$("$KSFT_DIR/hmm-tests" -l 2>&1)
	"$KSFT_DIR/hmm-tests" -T benchmark_thp_migration -T migrate_anon_huge_err \
		>"$TAP" 2>&1 || rc=$?
	if grep -qw migrate_anon_huge_err <<<"$cases"; then
		# Left out on the device-coherent devices only.
		"$KSFT_DIR/hmm-tests" -r hmm.hmm_device_private.migrate_anon_huge_err \
			>"$part" 2>&1 || rc=$?
		grep -v '^1\.\.[0-9]' "$part" >>"$TAP"
		# One plan for both runs, last, where the host reads it.
		echo "1..$(($(plan_of "$TAP") + $(plan_of "$part")))" >>"$TAP"
		rm -f "$part"
		echo "# left out: hmm.hmm_device_coherent.migrate_anon_huge_err (the device never has a huge page free)" >>"$TAP"
	fi
	if grep -qw benchmark_thp_migration <<<"$cases"; then
		echo "# left out: benchmark_thp_migration (a benchmark: it bounds nothing, and TCG times are noise)" >>"$TAP"
	fi
	echo "$rc" >"$OUT/hmm-tests$SUFFIX.rc"
}

have_kmemleak=0
if [ -w "$KMEMLEAK" ]; then
	have_kmemleak=1
	# Start from no suspects: only what this suite leaks counts.
	kmemleak_scan && echo clear >"$KMEMLEAK" || have_kmemleak=0
fi

if ! kmod test_hmm spm_addr_dev0="$SPM_ADDR_DEV0" spm_addr_dev1="$SPM_ADDR_DEV1"; then
	bail_out hmm-tests "modprobe test_hmm failed"
	exit 1
fi
run_hmm_tests
failslab_off

# The module's text, to recognise its frames after unload.
read -r text_lo text_hi < <(module_text test_hmm)

if ! kmod -r test_hmm; then
	fail_after "modprobe -r test_hmm failed"
	exit 1
fi
if [ -d /sys/module/test_hmm ] || grep -q hmm_dmirror /proc/iomem; then
	fail_after "test_hmm or an hmm_dmirror region is left after unload"
fi

if [ "$have_kmemleak" = 0 ]; then
	fail_after "no $KMEMLEAK: cannot check test_hmm for leaks"
	exit 1
fi
if [ -z "${text_lo:-}" ]; then
	fail_after "test_hmm text not found in /proc/kallsyms (or its addresses hidden)"
	exit 1
fi
if ! kmemleak_scan; then
	fail_after "kmemleak scan failed (kmemleak disabled itself?)"
	exit 1
fi
# Real addresses in the report (%pK) for root, instead of hashed ones.
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 >/proc/sys/kernel/kptr_restrict
cat "$KMEMLEAK" >"$OUT/kmemleak$SUFFIX.txt"
leaks=$(kmemleak_records "$KMEMLEAK" "$text_lo" "$text_hi" 'test_hmm|dmirror')
echo "$kptr" >/proc/sys/kernel/kptr_restrict
if [ -n "$leaks" ] && [ "$LEAK_CHECK" = 0 ]; then
	printf '%s\n' "$leaks" >&2
	echo "# kmemleak: $(grep -c '^unreferenced object' <<<"$leaks") objects leaked by test_hmm (LEAK_CHECK=0: reported, not failed)" >>"$TAP"
elif [ -n "$leaks" ]; then
	printf '%s\n' "$leaks" >&2
	fail_after "kmemleak: $(grep -c '^unreferenced object' <<<"$leaks") objects leaked by test_hmm (see hmm$SUFFIX.log)"
else
	echo "kmemleak: nothing from test_hmm [$text_lo, $text_hi) after unload ($(grep -c '^unreferenced object' "$OUT/kmemleak$SUFFIX.txt") unrelated)"
fi
