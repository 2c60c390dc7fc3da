#!/usr/bin/env bats
# Bad arguments: every script says what is wrong in one line, prints its
# usage and exits 2, before doing any work.

load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "run rejects an unknown run kind" {
	run "$REPO/scripts/run" nonsense
	expect_usage_error
	[[ "${lines[0]}" == *"unknown run 'nonsense'"* ]]
}

@test "an unknown TARGET stops every script before it does anything" {
	TARGET=7.3 run "$REPO/scripts/prepare-tree" patched
	expect_usage_error
	[[ "${lines[0]}" == *"TARGET=7.3: unknown stack"* ]]
	[ ! -e "$T/cache" ]
}

@test "prepare-tree rejects an unknown tree" {
	run "$REPO/scripts/prepare-tree" sideways
	expect_usage_error
}

@test "prepare-tree rejects a missing argument" {
	run "$REPO/scripts/prepare-tree"
	expect_usage_error
}

@test "boot-guest rejects a non-numeric LOOPS" {
	fake_obj
	LOOPS=many run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	expect_usage_error
	[[ "${lines[0]}" == *"LOOPS"* ]]
}

@test "boot-guest rejects an unknown ACCEL" {
	fake_obj
	ACCEL=warp run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	expect_usage_error
}

@test "boot-guest rejects an unknown suite" {
	fake_obj
	SUITES=nosuch run "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown suite 'nosuch'"* ]]
}

@test "boot-guest refuses a build directory without a kernel" {
	mkdir -p "$T/empty"
	run "$REPO/scripts/boot-guest" "$T/empty" "$T/res"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bzImage missing"* ]]
}

@test "configure-kernel refuses a directory that is not a kernel tree" {
	run "$REPO/scripts/configure-kernel" "$T" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a kernel source tree"* ]]
}

@test "configure-kernel refuses a missing config fragment" {
	mkdir -p "$T/src/scripts/kconfig"
	printf '#!/bin/sh\n' >"$T/src/scripts/kconfig/merge_config.sh"
	chmod +x "$T/src/scripts/kconfig/merge_config.sh"
	run "$REPO/scripts/configure-kernel" "$T/src" "$T/obj" "$T/none.config"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such config fragment: $T/none.config"* ]]
}

@test "summarize refuses a directory that holds no run" {
	run "$REPO/scripts/summarize" "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a results directory"* ]]
}

@test "make rejects an unknown verb" {
	run make -C "$REPO" no-such-verb
	[ "$status" -ne 0 ]
}

@test "the reviewer scripts take no arguments" {
	local s
	for s in make-mbox check-mbox check-patches check-maintainers build-each-patch; do
		run "$REPO/scripts/$s" extra
		expect_usage_error
	done
}

@test "install-deps rejects an unknown package set" {
	run "$REPO/scripts/install-deps" everything
	expect_usage_error
	[[ "${lines[0]}" == *"unknown package set 'everything'"* ]]
}

@test "latency-stats needs a results directory" {
	run "$REPO/scripts/latency-stats"
	expect_usage_error
}

@test "run refuses an object directory without a tree, or one that is not configured" {
	run "$REPO/scripts/run" baseline "$T/obj"
	expect_usage_error
	[[ "${lines[0]}" == *"expects a run, and optionally SRC and OBJ"* ]]
	mkdir -p "$T/obj"
	run "$REPO/scripts/run" baseline "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/src is not a source tree"* ]]
	mkdir -p "$T/src"
	run "$REPO/scripts/run" baseline "$T/src" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/obj is not a configured build directory"* ]]
}

@test "boot-guest rejects bad sizes for the robust and bench suites" {
	fake_obj
	mkdir -p "$T/obj/modroot/lib/modules"
	for v in STRESS_SECONDS=0 FUZZ_CALLS=x LIFETIME_ROUNDS=abc BENCH_TRIES=-1 BENCH_SIZES_KB=64k; do
		run env "$v" "$REPO/scripts/boot-guest" "$T/obj" "$T/res"
		expect_usage_error
	done
}

@test "list-suites: kselftests, programs and checks of a suite" {
	run "$REPO/scripts/list-suites" progs robust
	[ "$status" -eq 0 ]
	[[ "$output" == *devmap-stress* ]]
	[[ "$output" != *kmemleak* ]]
	run "$REPO/scripts/list-suites" results robust
	[[ "$output" == *kmemleak* ]]
	[[ "$output" == *devmap-stress.xfs* ]]
	[[ "$output" != *progs/* ]]
	run "$REPO/scripts/list-suites" binaries robust
	[ -z "$output" ]
}

@test "build-each-patch: --abi-module needs a directory" {
	run "$REPO/scripts/build-each-patch" --abi-module
	expect_usage_error
	[[ "${lines[0]}" == *"--abi-module expects a directory"* ]]
}

@test "build-abi-module: refuses a base build it cannot check CRCs against" {
	run "$REPO/scripts/build-abi-module" "$T" "$T/obj"
	expect_usage_error
	mkdir -p "$T/obj"
	run "$REPO/scripts/build-abi-module" "$T" "$T/obj" HEAD "$T/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no Module.symvers: build the base there first"* ]]
	touch "$T/obj/Module.symvers"
	echo '# CONFIG_MODVERSIONS is not set' >"$T/obj/.config"
	run "$REPO/scripts/build-abi-module" "$T" "$T/obj" HEAD "$T/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not built with CONFIG_MODVERSIONS=y"* ]]
	[ ! -e "$T/out" ]
}

@test "check-abi: needs the module and the patched kernel's kselftests" {
	run "$REPO/scripts/check-abi" "$T/none.ko"
	expect_usage_error
	run "$REPO/scripts/check-abi" "$T/none.ko" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no module $T/none.ko"* ]]
	touch "$T/test_devmap.ko"
	mkdir -p "$T/obj"
	run "$REPO/scripts/check-abi" "$T/test_devmap.ko" "$T/obj"
	[ "$status" -eq 1 ]
	[[ "$output" == *"devmap-tests missing"* ]]
}

@test "check-distro takes no arguments" {
	run "$REPO/scripts/check-distro" extra
	expect_usage_error
}

@test "check-full takes no arguments" {
	run "$REPO/scripts/check-full" extra
	expect_usage_error
}

@test "make clean and distclean remove HMMDEVM_BUILD and HMMDEVM_CACHE" {
	copy_repo
	cp "$REPO/Makefile" "$T/repo/"
	mkdir -p "$HMMDEVM_BUILD/obj" "$HMMDEVM_CACHE/linux" "$T/repo/build" "$T/repo/cache"
	run make -s -C "$T/repo" distclean
	[ "$status" -eq 0 ]
	[ ! -e "$HMMDEVM_BUILD" ]
	[ ! -e "$HMMDEVM_CACHE" ]
	# The defaults are left alone when the variables point elsewhere.
	[ -d "$T/repo/build" ]
	[ -d "$T/repo/cache" ]
}

@test "compare-kernels takes no arguments" {
	run "$REPO/scripts/compare-kernels" extra
	expect_usage_error
}

@test "compare-kernels without make compare's 6.12 measurements says so" {
	run "$REPO/scripts/compare-kernels"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no 6.12 measurements in $HMMDEVM_BUILD/results/compare/base-tests: run 'make compare' first"* ]]
}

@test "build-kselftests: a compiler warning is an error" {
	mkdir -p "$T/src/tools/testing/selftests/mm" "$T/obj/usr/include/linux"
	printf '%%:\n\t@echo "devmap-tests.c:1:2: warning: x may be used uninitialized"; touch $@\n' \
		>"$T/src/tools/testing/selftests/mm/Makefile"
	run "$REPO/scripts/build-kselftests" "$T/src" "$T/obj" devmap
	[ "$status" -eq 1 ]
	[[ "$output" == *"built with compiler warnings"* ]]
	[[ "$output" == *"devmap-tests.c:1:2: warning: x"* ]]
	# Not left behind for the next build to find up to date.
	[ ! -e "$T/obj/kselftest/mm/devmap-tests" ]
}
