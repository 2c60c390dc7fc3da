#!/bin/bash
# Suite "abi" (scripts/check-abi): the series keeps devmap_managed_key and
# __put_devmap_managed_folio_refs() exported for modules built against
# v6.12's headers. Load such a module, test_devmap.ko built against the
# unpatched base ($ABI_MODULE), into this kernel, where CONFIG_MODVERSIONS
# checks its CRCs, and run devmap-tests with it: its put_page() is the old
# inline one, and truncate and hole punch must still be woken by it.
set -u
# shellcheck source=selftests/guest/lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -f "${ABI_MODULE:-}" ]; then
	bail_out abi-module "no module built against the base: '${ABI_MODULE:-}'"
	bail_out devmap-tests "no module to test"
	exit 1
fi
# modprobe -d wants a module tree with a modules.dep: make one holding
# only the module under test, so that the kernel's own is never picked.
moddir=$(mktemp -d)
rel=$(uname -r)
mkdir -p "$moddir/lib/modules/$rel/extra"
cp "$ABI_MODULE" "$moddir/lib/modules/$rel/extra/"
depmod -b "$moddir" "$rel"
abi_kmod() {
	modprobe -d "$moddir" "$@"
}

tap_begin abi-module
crcs=$(modprobe --dump-modversions "$ABI_MODULE" |
	awk '$2 == "devmap_managed_key" || $2 == "__put_devmap_managed_folio_refs"' | wc -l)
if [ "$crcs" -eq 2 ]; then
	tap_case abi-module ok "the module imports both symbols of the old put_page(), with CRCs"
else
	tap_case abi-module fail "the module imports $crcs of the 2 symbols of the old put_page()"
fi
out=$(abi_kmod test_devmap 2>&1)
if [ -d /sys/module/test_devmap ]; then
	tap_case abi-module ok "it loads into $rel" "$out"
	abi_kmod -r test_devmap
else
	tap_case abi-module fail "it does not load into $rel" "$out"
fi
complaints=$(dmesg | grep 'test_devmap: .*symbol version')
if [ -z "$complaints" ]; then
	tap_case abi-module ok "the kernel found no symbol version to complain about"
else
	tap_case abi-module fail "the kernel complained about symbol versions:" "$complaints"
fi
tap_end abi-module

MODPROBE="modprobe -d $moddir" run_tap devmap-tests \
	"$KSFT_DIR/test_devmap.sh" smoke /dev/pmem0 /dev/pmem1
rm -rf "$moddir"
