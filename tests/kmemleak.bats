#!/usr/bin/env bats
# The guest's kmemleak attribution (selftests/guest/lib.sh): after test_hmm
# is unloaded, kmemleak shows its frames as bare addresses, so a leak is
# the module's when a frame lies in the module's text as /proc/kallsyms
# gave it before the unload, or when the object names the module.

load helpers

setup() {
	common_setup
	# shellcheck source=selftests/guest/lib.sh
	. "$REPO/selftests/guest/lib.sh"
	# test_hmm's text runs from ...a000b000 to its last function at
	# ...a000d010; test_devmap was loaded after it, past the 64 KiB margin.
	cat >"$T/kallsyms" <<'KALLSYMS'
ffffffff81000000 T _text
ffffffff81234560 T device_add
ffffffffa000b000 t dmirror_fops_open	[test_hmm]
ffffffffa000c000 t hmm_dmirror_init	[test_hmm]
ffffffffa000d010 T dmirror_last	[test_hmm]
ffffffffa000f000 d dmirror_data	[test_hmm]
ffffffffa0030000 t devmap_open	[test_devmap]
KALLSYMS
}
teardown() { common_teardown; }

# leak NAME FRAME...: one kmemleak object, as 6.12 reports it, whose
# comm is NAME and whose backtrace holds the given frames.
leak() {
	local name=$1 f
	shift
	printf 'unreferenced object 0xffff888100342920 (size 16):\n'
	printf '  comm "%s", pid 62, jiffies 4294895331\n' "$name"
	printf '  hex dump (first 16 bytes):\n'
	printf '    00 00 00 00 00 00 00 00 08 83 2d 01 81 88 ff ff  ..........-.....\n'
	printf '  backtrace (crc 874c96da):\n'
	printf '    __kmalloc_cache_noprof+0x17d/0x1e0\n'
	for f in "$@"; do printf '    %s\n' "$f"; done
	printf '    do_one_initcall+0x6e/0x1a0\n'
}

@test "module_text: test_hmm's text range from kallsyms, 64 KiB past its last function" {
	run module_text test_hmm "$T/kallsyms"
	[ "$status" -eq 0 ]
	[ "$output" = "ffffffffa000b000 ffffffffa001d010" ]
}

@test "module_text: nothing when kallsyms hides the addresses" {
	sed 's/^ffffffff[0-9a-f]*/0000000000000000/' "$T/kallsyms" >"$T/hidden"
	run module_text test_hmm "$T/hidden"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "kmemleak_records: objects with a frame in the unloaded module's text, or naming it" {
	{
		leak in-text device_add+0x3f5/0x750 0xffffffffa000c165
		leak first-byte 0xffffffffa000b000
		leak last-byte 0xffffffffa001d00f
		leak bracketed '[<ffffffffa000c0f0>] 0xffffffffa000c0f0'
		leak named 'dmirror_fops_open+0x10/0x40 [test_hmm]'
		leak kernel-only device_add+0x3f5/0x750 kvasprintf+0x57/0xa0
		leak below 0xffffffffa000afff
		leak at-end 0xffffffffa001d010
		leak other-module 0xffffffffa0030010
	} >"$T/kmemleak"
	read -r lo hi < <(module_text test_hmm "$T/kallsyms")
	run kmemleak_records "$T/kmemleak" "$lo" "$hi" 'test_hmm|dmirror'
	[ "$status" -eq 0 ]
	comms=$(sed -n 's/^  comm "\(.*\)",.*/\1/p' <<<"$output" | xargs)
	[ "$comms" = "in-text first-byte last-byte bracketed named" ]
	# each object comes whole: its header and every frame
	[ "$(grep -c '^unreferenced object' <<<"$output")" -eq 5 ]
	[ "$(grep -c 'do_one_initcall' <<<"$output")" -eq 5 ]
}
