#!/bin/bash
# Suite "vmtests": upstream's whole mm kselftest suite, run_vmtests.sh -a,
# one category at a time, for check-full's peer check (scripts/vmtests-peer
# compares the base kernel's results with the patched kernel's). Only
# run_vmtests.sh's own result lines count here, one per test program run:
# mm-vmtests.tap lists them as "CATEGORY: PROGRAM ARGS", numbered anew.
# Each category's whole output is vmtests.CATEGORY.log.
#
# Left out, because this guest cannot run them as run_vmtests.sh -a would:
#   ksm_numa     needs two NUMA nodes; the guest has one
#   hmm, devmap  need device-coherent memory and pmem devices, which
#                suites hmm and devmap give them; run_vmtests.sh -a alone
#                would skip half of hmm-tests and all of devmap-tests
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

left_out=" ksm_numa hmm devmap "
# A category that hangs must not take the whole boot's time with it.
limit=${VMTESTS_CATEGORY_SECONDS:-1200}
tap=$OUT/mm-vmtests$SUFFIX.tap

# Some programs write into the current directory, and the kselftest
# directory the host shares is read-only: run from a copy in tmpfs.
dir=$(mktemp -d /tmp/vmtests.XXXXXX)
if ! cp -a "$KSFT_DIR/." "$dir/"; then
	bail_out mm-vmtests "cannot copy $KSFT_DIR to $dir"
	exit 1
fi
cats=$(sed -n 's/^[[:space:]]*CATEGORY="\([^"]*\)".*/\1/p' "$dir/run_vmtests.sh" |
	awk '!seen[$0]++')
if [ -z "$cats" ]; then
	bail_out mm-vmtests "no category found in run_vmtests.sh"
	exit 1
fi

# What did not build (scripts/build-kselftests): the peer check compares it.
cp "$KSFT_DIR/unbuilt.txt" "$OUT/mm-unbuilt$SUFFIX.txt" 2>/dev/null || : >"$OUT/mm-unbuilt$SUFFIX.txt"

n=0
echo "TAP version 13" >"$tap"
for cat in $cats; do
	[ "${left_out#* "$cat" }" = "$left_out" ] || {
		echo "# left out: $cat" >>"$tap"
		continue
	}
	log=$OUT/vmtests.$cat$SUFFIX.log
	start=$(date +%s)
	rc=0
	(cd "$dir" && timeout -k 10 "$limit" ./run_vmtests.sh -a -t "$cat") >"$log" 2>&1 || rc=$?
	echo "# $cat: exit $rc after $(($(date +%s) - start)) s" >>"$tap"
	# run_vmtests.sh's own lines: "ok N PROGRAM ARGS[ # SKIP]",
	# "not ok N PROGRAM ARGS # exit=RC".
	while read -r line; do
		n=$((n + 1))
		case $line in
		"not ok "*) echo "not ok $n $cat: ${line#not ok * }" ;;
		*) echo "ok $n $cat: ${line#ok * }" ;;
		esac
	done < <(grep -E '^(not )?ok [0-9]+ ' "$log") >>"$tap"
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		n=$((n + 1))
		echo "not ok $n $cat: timed out after $limit s" >>"$tap"
	fi
done
echo "1..$n" >>"$tap"
echo 0 >"$OUT/mm-vmtests$SUFFIX.rc"
rm -rf "$dir"
