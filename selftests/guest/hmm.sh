#!/bin/bash
# Suite "hmm": the upstream hmm-tests against test_hmm. Device 0/1 are
# device-private; 2/3 device-coherent on the memory the guest reserved
# (memmap=...$SPM_ADDR_DEV0), whose addresses test_hmm takes as parameters.
#
# With the series, the suite is the hmm category of run_vmtests.sh: its
# test_hmm.sh loads test_hmm with the addresses from HMM_SPM_ADDR_DEV0/1,
# runs hmm-tests (module_reload through the modprobe it exports) and
# unloads it. A stock base's test_hmm.sh cannot be given the addresses, so
# there the suite loads test_hmm and runs hmm-tests itself. On 7.3, one
# case cannot pass and is left out (hmm-tests-left-out stands in for
# hmm-tests in a copy of the kselftest directory; Documentation/testing.md
# says why).
#
# After the suite and the unload, kmemleak must hold nothing that test_hmm
# allocated; a leak, or a check that cannot run, is appended to the TAP as
# "Bail out!". With ON_LEAK=report (the baseline run: stock 6.12 test_hmm
# never drops its device reference and leaks on every unload) leaks are
# only reported.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak
FAILSLAB=/sys/kernel/debug/failslab

# failslab_off: failslab as the boot left it. hmm-tests' chunk_alloc_fault
# restores it itself, but not when the harness kills it at its timeout,
# and its stack filter would then keep later suites' fault injection
# (devmap-tests' devmap_faults cases) from ever firing.
failslab_off() {
	local kv
	for kv in probability=0 require-start=0 require-end=0xffffffffffffffff \
		reject-start=0 reject-end=0 task-filter=N ignore-gfp-wait=Y; do
		[ ! -w "$FAILSLAB/${kv%%=*}" ] || echo "${kv#*=}" >"$FAILSLAB/${kv%%=*}"
	done
}

# ksft_copy: a writable copy of the kselftest directory, where on 7.3
# hmm-tests-left-out stands in for hmm-tests.
ksft_copy() {
	local dir
	dir=$(mktemp -d) && cp -a "$KSFT_DIR/." "$dir/" || return 1
	if "$dir/hmm-tests" -l 2>&1 | grep -qw migrate_anon_huge_err; then
		mv "$dir/hmm-tests" "$dir/hmm-tests.real" &&
			cp "$(dirname "$0")/hmm-tests-left-out" "$dir/hmm-tests" || return 1
	fi
	echo "$dir"
}

# No module may be loaded: a leaked object's frame in the module area must
# be test_hmm's.
loaded=$(cut -d' ' -f1 /proc/modules | xargs)
if [ -n "$loaded" ]; then
	bail_out hmm-tests "modules loaded before the suite: $loaded"
	exit 1
fi
have_kmemleak=0
if [ -w "$KMEMLEAK" ]; then
	have_kmemleak=1
	# Start from no suspects: only what this suite leaks counts.
	kmemleak_scan && echo clear >"$KMEMLEAK" || have_kmemleak=0
fi

if ! ksft=$(ksft_copy); then
	bail_out hmm-tests "cannot copy $KSFT_DIR"
	exit 1
fi
if grep -q HMM_SPM_ADDR_DEV0 "$ksft/test_hmm.sh"; then
	HMM_SPM_ADDR_DEV0=$SPM_ADDR_DEV0 HMM_SPM_ADDR_DEV1=$SPM_ADDR_DEV1 \
		KSFT_DIR=$ksft run_vmtests hmm hmm-tests
elif modprobe test_hmm spm_addr_dev0="$SPM_ADDR_DEV0" spm_addr_dev1="$SPM_ADDR_DEV1"; then
	run_tap hmm-tests "$ksft/hmm-tests"
	modprobe -r test_hmm || bail_out_after hmm-tests "modprobe -r test_hmm failed"
else
	bail_out hmm-tests "modprobe test_hmm failed"
	exit 1
fi
rm -rf "$ksft"
failslab_off

if [ -d /sys/module/test_hmm ] || grep -q hmm_dmirror /proc/iomem; then
	bail_out_after hmm-tests "test_hmm or an hmm_dmirror region is left after unload"
fi

if [ "$have_kmemleak" = 0 ]; then
	bail_out_after hmm-tests "no $KMEMLEAK: cannot check test_hmm for leaks"
	exit 1
fi
if ! kmemleak_scan; then
	bail_out_after hmm-tests "kmemleak scan failed (kmemleak disabled itself?)"
	exit 1
fi
# Real addresses in the report (%pK) for root, instead of hashed ones.
kptr=$(cat /proc/sys/kernel/kptr_restrict)
echo 1 >/proc/sys/kernel/kptr_restrict
cat "$KMEMLEAK" >"$OUT/kmemleak$SUFFIX.txt"
leaks=$(kmemleak_records "$KMEMLEAK" "$MODULE_AREA_LO" "$MODULE_AREA_HI" 'test_hmm|dmirror')
echo "$kptr" >/proc/sys/kernel/kptr_restrict
if [ -n "$leaks" ] && [ "$ON_LEAK" = report ]; then
	printf '%s\n' "$leaks" >&2
	tap_note hmm-tests "kmemleak: $(grep -c '^unreferenced object' <<<"$leaks") objects leaked by test_hmm (ON_LEAK=report: reported, not failed)"
elif [ -n "$leaks" ]; then
	printf '%s\n' "$leaks" >&2
	bail_out_after hmm-tests "kmemleak: $(grep -c '^unreferenced object' <<<"$leaks") objects leaked by test_hmm (see hmm$SUFFIX.log)"
else
	echo "kmemleak: nothing from test_hmm after unload ($(grep -c '^unreferenced object' "$OUT/kmemleak$SUFFIX.txt") unrelated)"
fi
