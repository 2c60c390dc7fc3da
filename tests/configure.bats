#!/usr/bin/env bats
# configure-kernel's check of what Kconfig granted, on a stand-in kernel
# tree: its merge_config.sh reports the options it did not set, as the
# kernel's does, and its Kconfig files define some of them.

load helpers

setup() {
	common_setup
	mkdir -p "$T/src/scripts/kconfig" "$T/src/mm"
	cat >"$T/src/mm/Kconfig" <<'KCONFIG'
config ZONE_DEVICE
	bool "Device memory (pmem, HMM, etc...) hotplug support"

menuconfig TRANSPARENT_HUGEPAGE
	bool "Transparent Hugepage Support"

choice
	prompt "Transparent Hugepage Support sysfs defaults"
	config TRANSPARENT_HUGEPAGE_ALWAYS
		bool "always"
	config TRANSPARENT_HUGEPAGE_MADVISE
		bool "madvise"
endchoice

config HAVE_LEGACY_THING # TODO: remove
	bool
KCONFIG
}
teardown() { common_teardown; }

# merge_reports SYM...: the stand-in merge_config.sh says that each SYM
# asked for by a fragment is not in the final .config (with 6.12's words,
# or, with PREFIX='WARNING: ', with 7.3's).
merge_reports() {
	{
		echo '#!/bin/bash'
		echo 'echo "Using .config as base"'
		for s in "$@"; do
			echo "echo '${PREFIX:-}Value requested for $s not in final .config'"
			echo "echo 'Requested value:  $s=y'"
			echo "echo 'Actual value:     '"
			echo "echo"
		done
	} >"$T/src/scripts/kconfig/merge_config.sh"
	chmod +x "$T/src/scripts/kconfig/merge_config.sh"
}

@test "configure-kernel: options Kconfig refused are an error naming them" {
	merge_reports CONFIG_ZONE_DEVICE CONFIG_TRANSPARENT_HUGEPAGE
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "hmm-devm: configure-kernel: Kconfig refused option(s) asked for by the fragments: CONFIG_ZONE_DEVICE CONFIG_TRANSPARENT_HUGEPAGE"* ]]
	[[ "$output" == *"Requested value:  CONFIG_ZONE_DEVICE=y"* ]]
}

@test "configure-kernel: 7.3's report, which opens with WARNING:, is read too" {
	PREFIX='WARNING: ' merge_reports CONFIG_ZONE_DEVICE CONFIG_TEST_DEVMAP
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"by the fragments: CONFIG_ZONE_DEVICE (see"* ]]
	[[ "$output" == *"CONFIG_TEST_DEVMAP is not defined in this tree; left out"* ]]
}

@test "configure-kernel: 7.3's 'differs' report (an option set otherwise) is an error" {
	cat >"$T/src/scripts/kconfig/merge_config.sh" <<'MERGE'
#!/bin/bash
echo "WARNING: CONFIG_TRANSPARENT_HUGEPAGE_MADVISE differs:"
echo "Requested value: CONFIG_TRANSPARENT_HUGEPAGE_MADVISE=y"
echo "Actual value:    # CONFIG_TRANSPARENT_HUGEPAGE_MADVISE is not set"
MERGE
	chmod +x "$T/src/scripts/kconfig/merge_config.sh"
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"by the fragments: CONFIG_TRANSPARENT_HUGEPAGE_MADVISE (see"* ]]
	[[ "$output" == *"Actual value:    # CONFIG_TRANSPARENT_HUGEPAGE_MADVISE is not set"* ]]
}

@test "configure-kernel: a refused choice entry (an indented config line) is an error" {
	# 6.12's mm/Kconfig defines TRANSPARENT_HUGEPAGE_MADVISE this way.
	merge_reports CONFIG_TRANSPARENT_HUGEPAGE_MADVISE
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"by the fragments: CONFIG_TRANSPARENT_HUGEPAGE_MADVISE"* ]]
}

@test "configure-kernel: a refused symbol with a comment on its config line is an error" {
	merge_reports CONFIG_HAVE_LEGACY_THING
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"by the fragments: CONFIG_HAVE_LEGACY_THING"* ]]
}

@test "configure-kernel: an option this tree does not define is left out, not an error" {
	merge_reports CONFIG_TEST_DEVMAP CONFIG_TRANSPARENT
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CONFIG_TEST_DEVMAP is not defined in this tree; left out"* ]]
	[[ "$output" == *"CONFIG_TRANSPARENT is not defined in this tree; left out"* ]]
}
