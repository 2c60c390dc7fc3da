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

{
	echo "TAP version 13"
	echo "1..3"
	crcs=$(modprobe --dump-modversions "$ABI_MODULE" |
		awk '$2 == "devmap_managed_key" || $2 == "__put_devmap_managed_folio_refs"' | wc -l)
	if [ "$crcs" -eq 2 ]; then
		echo "ok 1 - the module imports both symbols of the old put_page(), with CRCs"
	else
		echo "not ok 1 - the module imports $crcs of the 2 symbols of the old put_page()"
	fi
	if abi_kmod test_devmap 2>&1 | sed 's/^/# /'; [ -d /sys/module/test_devmap ]; then
		echo "ok 2 - it loads into $rel"
		abi_kmod -r test_devmap
	else
		echo "not ok 2 - it does not load into $rel"
	fi
	complaints=$(dmesg | grep -c 'test_devmap: .*symbol version')
	if [ "$complaints" -eq 0 ]; then
		echo "ok 3 - the kernel found no symbol version to complain about"
	else
		echo "not ok 3 - the kernel complained about symbol versions:"
		dmesg | grep 'test_devmap: .*symbol version' | sed 's/^/# /'
	fi
} >"$OUT/abi-module$SUFFIX.tap" 2>&1
echo 0 >"$OUT/abi-module$SUFFIX.rc"

MODPROBE="modprobe -d $moddir" run_tap devmap-tests \
	"$KSFT_DIR/test_devmap.sh" smoke /dev/pmem0 /dev/pmem1
rm -rf "$moddir"
