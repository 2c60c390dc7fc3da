#!/usr/bin/env bats
# scripts/fetch-base against a stand-in Debian archive: apt-get and
# apt-cache on PATH answer from $FAKE_ARCHIVE (the source index that
# "apt-cache showsrc" prints, and one directory per version holding what
# "apt-get source --download-only" downloads). Nothing reaches the network
# or the system's apt state.

load helpers

setup() {
	common_setup
	# shellcheck source=scripts/base.conf
	. "$REPO/scripts/base.conf"
	export FAKE_ARCHIVE=$T/archive
	mkdir -p "$FAKE_ARCHIVE"
	: >"$FAKE_ARCHIVE/showsrc"
	fake_bin apt-get '
echo "apt-get $*" >>"$FAKE_ARCHIVE/calls"
while [ $# -gt 0 ]; do
	case $1 in
	-o) shift ;;
	indextargets) echo "http://deb.example.invalid/debian bookworm main"; exit 0 ;;
	update) exit 0 ;;
	source)
		ver=${!#}
		ver=${ver#*=}
		[ -d "$FAKE_ARCHIVE/$ver" ] || { echo "E: cannot download $ver" >&2; exit 100; }
		cp "$FAKE_ARCHIVE/$ver"/* .
		exit 0 ;;
	esac
	shift
done
exit 100'
	fake_bin apt-cache '
for a in "$@"; do
	[ "$a" != showsrc ] || { cat "$FAKE_ARCHIVE/showsrc"; exit 0; }
done
exit 100'
}
teardown() { common_teardown; }

# orig_tarball UPSTREAM FILE: a tiny "kernel" tarball whose Makefile says
# it is Linux UPSTREAM.
orig_tarball() {
	local d=$T/src-$1
	mkdir -p "$d/linux-$1"
	printf 'kernelversion:\n\t@echo %s\n' "$1" >"$d/linux-$1/Makefile"
	tar -cJf "$2" -C "$d" "linux-$1"
}

# in_archive VERSION [download]: VERSION of linux-6.12 in the source index,
# with its orig tarball's sha256; with "download", the archive also has
# the tarball (otherwise it is listed but does not download).
in_archive() {
	local ver=$1 up=${1%%-*} file sha
	file=linux-6.12_$up.orig.tar.xz
	mkdir -p "$T/files"
	[ -f "$T/files/$file" ] || orig_tarball "$up" "$T/files/$file"
	sha=$(sha256sum "$T/files/$file" | cut -d' ' -f1)
	printf 'Package: linux-6.12\nVersion: %s\nChecksums-Sha256:\n %s 1000 linux-6.12_%s.dsc\n %s 2000 %s\nFiles:\n x 1 y\n\n' \
		"$ver" "$sha" "$ver" "$sha" "$file" >>"$FAKE_ARCHIVE/showsrc"
	if [ "${2:-}" = download ]; then
		mkdir -p "$FAKE_ARCHIVE/$ver"
		cp "$T/files/$file" "$FAKE_ARCHIVE/$ver/"
	fi
}

@test "fetch-base: the pin gone from the archive, it falls back to the newest 6.12.y that downloads" {
	in_archive 6.13.2-1 download
	in_archive 6.12.120-1
	in_archive 6.12.118-1 download
	in_archive 6.12.90-1 download
	run "$REPO/scripts/fetch-base"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pinned $BASE_PIN_VERSION cannot be downloaded; trying the newest 6.12.y"* ]]
	[ "${lines[-1]}" = "$HMMDEVM_CACHE/linux" ]
	[ "$(git -C "$HMMDEVM_CACHE/linux" log -1 --format=%s base)" = "Linux 6.12.118" ]
	grep -q "from linux-6.12 6.12.118-1 (fallback, pin $BASE_PIN_VERSION unavailable), sha256 " \
		"$HMMDEVM_CACHE/linux/.git/hmm-devm-base"
	[ "$(grep -c '=6\.13' "$FAKE_ARCHIVE/calls")" -eq 0 ]
}

@test "fetch-base: a pinned download whose sha256 is not the pin's is refused and removed" {
	in_archive "$BASE_PIN_VERSION" download
	in_archive 6.12.118-1 download
	run "$REPO/scripts/fetch-base"
	[ "$status" -eq 1 ]
	up=${BASE_PIN_VERSION%%-*}
	[[ "${lines[-1]}" == "hmm-devm: fetch-base: sha256 mismatch for linux-6.12_$up.orig.tar.xz (wanted $BASE_PIN_SHA256); removed the download" ]]
	[ ! -e "$HMMDEVM_CACHE/dl/linux-6.12_$up.orig.tar.xz" ]
	[ ! -e "$HMMDEVM_CACHE/linux" ]
	# no fallback to another version after a mismatch
	[ "$(grep -c '=6\.12\.118-1' "$FAKE_ARCHIVE/calls")" -eq 0 ]
}

@test "fetch-base: a fallback download that does not match the index is refused" {
	in_archive 6.12.118-1 download
	echo tampered >"$FAKE_ARCHIVE/6.12.118-1/linux-6.12_6.12.118.orig.tar.xz"
	run "$REPO/scripts/fetch-base"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "hmm-devm: fetch-base: sha256 mismatch for linux-6.12_6.12.118.orig.tar.xz (wanted "*"); removed the download" ]]
	[ ! -e "$HMMDEVM_CACHE/linux" ]
}
