# hmm-devm: the user interface. Every verb is a script in scripts/; the
# variables below (TARGET, KSRC, SUITES, LOOPS, ACCEL, ...) pass through the
# environment. "make help" lists the verbs.

SHELL := /bin/bash

.PHONY: help run baseline compare compare-kernels check-debug check-full tree export mbox each-patch check deps clean distclean

help:
	@echo "make run        build base + series, boot it, run the kselftests (the main job)"
	@echo "make baseline   the same on the unpatched base, results kept apart"
	@echo "make compare    base vs series measured side by side: build/results/compare/"
	@echo "make compare-kernels  fsdax latency on 6.12 test-only, 6.12 stack, 7.3 test-only"
	@echo "make tree       fetch the base and apply the series; prints the tree's path"
	@echo "make export     regenerate patches/ and series from the patched tree's branch"
	@echo "make mbox       the series as one threaded mailbox (build/mbox/hmm-devm.mbox)"
	@echo "make each-patch build every state base..base+N; W=1 + sparse on touched files"
	@echo "make check      the harness's own tests, series checks, then the runs"
	@echo "make check-debug  the series on a debug kernel (KASAN, lockdep, ...), LOOPS=20"
	@echo "make check-full make check, then the mainline per-patch builds and stock baseline"
	@echo "make deps       install missing Debian packages"
	@echo "make clean      remove build/ (results, objects); distclean also cache/"
	@echo "                (or HMMDEVM_BUILD, HMMDEVM_CACHE where they are set)"
	@echo "Variables: TARGET=6.12|mainline (which stack; 6.12 by default)"
	@echo "           KSRC=/path/to/linux KSRC_BASE=REV SUITES='hmm' LOOPS=N"
	@echo "           ACCEL=tcg|kvm|auto THP=madvise RUN_TIMEOUT=s FORCE=1"
	@echo "           compare: BENCH_TRIES=50 BENCH_REPS=10 BENCH_SIZES_KB='64 ...' DOC=1"

run:
	@scripts/run patched

baseline:
	@scripts/run baseline

compare:
	@scripts/compare

compare-kernels:
	@scripts/compare-kernels

tree:
	@scripts/install-deps run
	@scripts/prepare-tree patched

export:
	@scripts/export-series

mbox:
	@scripts/install-deps run
	@scripts/make-mbox

each-patch:
	@scripts/install-deps
	@scripts/build-each-patch

check:
	@scripts/check

check-debug:
	@scripts/check-debug

check-full:
	@scripts/check-full

deps:
	@scripts/install-deps

# Where the scripts put them (scripts/lib.sh): HMMDEVM_BUILD, HMMDEVM_CACHE.
clean:
	rm -rf "$${HMMDEVM_BUILD:-build}"

distclean: clean
	rm -rf "$${HMMDEVM_CACHE:-cache}"
