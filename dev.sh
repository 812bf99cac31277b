#!/usr/bin/env bash
# dev.sh - the two Quick start commands of README.md, plus the CI tiers.
#
#   ./dev.sh demo            install missing packages, build, run `pinmm demo`
#   ./dev.sh test            install missing packages, build, run every test (ctest, dev preset)
#   ./dev.sh sanitizers      unit + scenario + stress tiers under asan and under tsan
#   ./dev.sh release-test    build the release preset (optimised, NDEBUG), run every test
#   ./dev.sh host-diff       pinmm diff of scenarios/linux/ against the host kernel (release
#                            build): the summary, or why the host cannot run it (a skip)
#   ./dev.sh fuzz            build the libFuzzer targets (fuzz preset: clang, asan) and run
#                            each for PINMM_FUZZ_SECONDS (default 60) over the seed corpora
#   ./dev.sh deps            only install the Debian packages the build needs
#
# Works as root on a fresh Debian 12 machine; as another user it uses sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config libcmocka-dev liburcu-dev liburing-dev python3
	coccinelle)

# Only for ./dev.sh fuzz: clang and its libFuzzer runtime.
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

deps() {
	local missing=()
	for p in "${PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "dev.sh: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

build() {
	local preset=$1
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset"
}

case "${1:-}" in
deps)
	deps ;;
demo)
	deps
	build release
	shift
	exec build/release/pinmm demo "$@" ;;
test)
	deps
	build dev
	ctest --preset dev ;;
sanitizers)
	deps
	build asan
	ctest --preset asan
	build tsan
	ctest --preset tsan ;;
release-test)
	deps
	build release
	ctest --preset release ;;
fuzz)
	deps "${FUZZ_PACKAGES[@]}"
	cmake --preset fuzz -DPINMM_FUZZ_SECONDS="${PINMM_FUZZ_SECONDS:-60}" >/dev/null
	cmake --build --preset fuzz
	ctest --preset fuzz ;;
host-diff)
	deps
	build release
	if [ "$(id -u)" -ne 0 ]; then
		echo "dev.sh: host diff skipped: it needs root (pagemap PFNs, stat_refresh, the hugetlb pool, swapon)"
		exit 0
	fi
	# Bounded: a run that hangs is killed; 77 is the host's "cannot run
	# scenarios here" (io_uring disabled, no pagemap, no liburing, not root).
	rc=0
	timeout 900 build/release/pinmm diff scenarios/linux/*.scn > build/release/host-diff.txt \
		2> build/release/host-diff.err || rc=$?
	if [ "$rc" -eq 77 ]; then
		echo "dev.sh: host diff skipped: $(cat build/release/host-diff.err)"
		exit 0
	fi
	grep -E "DIFFER|^    (model|host):" build/release/host-diff.txt || true
	tail -n 1 build/release/host-diff.txt
	cat build/release/host-diff.err >&2
	exit "$rc" ;;
*)
	echo "usage: ./dev.sh demo|test|sanitizers|release-test|host-diff|fuzz|deps" >&2
	exit 2 ;;
esac
