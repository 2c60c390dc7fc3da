#!/bin/bash
# Suite "hmm": the upstream hmm-tests against test_hmm. Device 0/1 are
# device-private; 2/3 device-coherent on the memory the guest reserved
# (memmap=...$SPM_ADDR_DEV0) and handed to the module.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

if ! kmod test_hmm spm_addr_dev0="$SPM_ADDR_DEV0" spm_addr_dev1="$SPM_ADDR_DEV1"; then
	bail_out hmm-tests "modprobe test_hmm failed"
	exit 1
fi
run_ksft hmm-tests
kmod -r test_hmm || echo "modprobe -r test_hmm failed" >&2
