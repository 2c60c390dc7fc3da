#!/usr/bin/env bats
# A missing tool is named in one error line, before anything is changed.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "boot-guest names a missing qemu" {
	fake_obj
	PATH=$(path_without qemu-system-x86_64) run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing tool(s): qemu-system-x86_64"* ]]
	[ ! -e "$T/res" ]
}

@test "prepare-tree names a missing git" {
	PATH=$(path_without git) run "$REPO/scripts/prepare-tree" patched
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing tool(s): git"* ]]
}

@test "build-kernel names a missing ccache" {
	mkdir -p "$T/obj" "$T/src"
	touch "$T/obj/.config"
	PATH=$(path_without ccache) run "$REPO/scripts/build-kernel" "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing tool(s): ccache"* ]]
}
