#!/usr/bin/env bats
# The guest's kmemleak attribution (selftests/guest/lib.sh): after test_hmm
# is unloaded, kmemleak shows its frames as bare addresses, so a leak is
# the module's when a frame lies in the module area (hmm.sh makes sure no
# other module was loaded), or when the object names the module.

load helpers

setup() {
	common_setup
	# shellcheck source=selftests/guest/lib.sh
	. "$REPO/selftests/guest/lib.sh"
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

@test "kmemleak_records: objects with a frame in the module area, or naming the module" {
	{
		leak in-area device_add+0x3f5/0x750 0xffffffffa000c165
		leak first-byte 0xffffffffa0000000
		leak last-byte 0xfffffffffeffffff
		leak bracketed '[<ffffffffa000c0f0>] 0xffffffffa000c0f0'
		leak named 'dmirror_fops_open+0x10/0x40 [test_hmm]'
		leak kernel-only device_add+0x3f5/0x750 kvasprintf+0x57/0xa0
		leak below 0xffffffff9fffffff
		leak at-end 0xffffffffff000000
	} >"$T/kmemleak"
	run kmemleak_records "$T/kmemleak" "$MODULE_AREA_LO" "$MODULE_AREA_HI" 'test_hmm|dmirror'
	[ "$status" -eq 0 ]
	comms=$(sed -n 's/^  comm "\(.*\)",.*/\1/p' <<<"$output" | xargs)
	[ "$comms" = "in-area first-byte last-byte bracketed named" ]
	# each object comes whole: its header and every frame
	[ "$(grep -c '^unreferenced object' <<<"$output")" -eq 5 ]
	[ "$(grep -c 'do_one_initcall' <<<"$output")" -eq 5 ]
}
