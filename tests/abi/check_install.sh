#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_install.sh - install the build, then build and run an embedder
# against the installed headers and library, as a user of the package
# would (ctest: abi.install.shared, abi.install.static).
#
#   check_install.sh shared|static CMAKE BUILD_DIR CC SOURCE_DIR [LINK_FLAGS]
#
#   CMAKE       the cmake that configured BUILD_DIR (for `cmake --install`)
#   CC          the C compiler
#   SOURCE_DIR  the source tree (for tests/abi/embed_example.c and the list
#               of public headers)
#   LINK_FLAGS  extra compile and link flags (the build's sanitizer flags)
#
# Steps: `cmake --install BUILD_DIR --prefix TMP` into a fresh temporary
# prefix; the installed include/pinmm must hold exactly the public headers
# and pinmm.pc's version must be PINMM_VERSION; then tests/abi/embed_example.c is compiled and linked with
#   shared: `pkg-config --cflags --libs pinmm`, and run with
#           LD_LIBRARY_PATH set to the prefix (the binary must need
#           libpinmm.so.0);
#   static: `pkg-config --static --cflags --libs pinmm` with the shared
#           library taken out of the prefix, so that -lpinmm is libpinmm.a
#           and pkg-config's Libs.private / Requires.private must supply
#           what it needs (the binary must not need libpinmm.so).
# PKG_CONFIG_PATH points into the prefix only (plus the system's
# directories, for liburcu).  Needs no root; the prefix is removed at exit.
set -euo pipefail

if [ $# -lt 5 ]; then
	echo "usage: $0 shared|static CMAKE BUILD_DIR CC SOURCE_DIR [LINK_FLAGS]" >&2
	exit 2
fi
mode=$1 cmake=$2 build=$3 cc=$4 src=$5 linkflags=${6:-}
case "$mode" in shared | static) ;; *) echo "mode must be shared or static" >&2; exit 2 ;; esac
command -v pkg-config >/dev/null || { echo "pkg-config not found" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinmm-abi-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

if ! "$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
	echo "FAIL: cmake --install $build --prefix $prefix:"
	sed 's/^/    /' "$tmp/install.log"
	exit 1
fi

# The installed headers are the public ones, nothing more, nothing less.
pcfile=$(find "$prefix" -name pinmm.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pcfile" ] || { echo "FAIL: no pinmm.pc installed under $prefix"; exit 1; }
diff <(cd "$src/include/pinmm" && ls) <(cd "$prefix/include/pinmm" && ls) >"$tmp/hdr.diff" || {
	echo "FAIL: installed include/pinmm differs from the source's public headers:"
	sed 's/^/    /' "$tmp/hdr.diff"
	exit 1
}
if [ -n "$(find "$prefix" -name internal.h -o -path '*/model/*' | head -n 1)" ]; then
	echo "FAIL: internal headers were installed:"
	find "$prefix" -name internal.h -o -path '*/model/*' | sed 's/^/    /'
	exit 1
fi

export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pcfile")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
libdir=$(pkg-config --variable=libdir pinmm)
# The package's version is the headers' version.
hdr_version=$(sed -nE 's/^#define[[:space:]]+PINMM_VERSION[[:space:]]+"([^"]*)".*/\1/p' \
	"$prefix/include/pinmm/pinmm.h")
pc_version=$(pkg-config --modversion pinmm)
if [ "$hdr_version" != "$pc_version" ]; then
	echo "FAIL: pinmm.pc says version $pc_version, <pinmm/pinmm.h> says PINMM_VERSION $hdr_version"
	exit 1
fi
pc_flags=(--cflags --libs)
if [ "$mode" = static ]; then
	pc_flags=(--static --cflags --libs)
	# -lpinmm must find libpinmm.a: the shared library leaves the prefix.
	rm -f "$libdir"/libpinmm.so*
fi
pkgflags=$(pkg-config "${pc_flags[@]}" pinmm)
echo "pkg-config ${pc_flags[*]} pinmm: $pkgflags"

# Nothing from the source tree on the include path: only what pkg-config says.
unset CPATH C_INCLUDE_PATH
exe=$tmp/embed_example
# shellcheck disable=SC2086 # pkg-config's output and LINK_FLAGS are flag lists
if ! "$cc" -std=gnu11 -Wall -Wextra -Werror -pedantic -o "$exe" \
	"$src/tests/abi/embed_example.c" $pkgflags $linkflags 2>"$tmp/cc.log"; then
	echo "FAIL: embed_example.c does not build against the installed $mode library:"
	sed 's/^/    /' "$tmp/cc.log"
	exit 1
fi

needed=$(LC_ALL=C readelf -d "$exe" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ "$mode" = shared ]; then
	grep -qx 'libpinmm\.so\.0' <<<"$needed" || {
		echo "FAIL: the shared build does not need libpinmm.so.0 (NEEDED: $needed)"
		exit 1
	}
	run_env=(env "LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
else
	if grep -q '^libpinmm' <<<"$needed"; then
		echo "FAIL: the static build still needs $(grep '^libpinmm' <<<"$needed")"
		exit 1
	fi
	run_env=(env)
fi
if ! (cd "$tmp" && "${run_env[@]}" "$exe") >"$tmp/run.log" 2>&1; then
	echo "FAIL: embed_example ($mode) failed:"
	sed 's/^/    /' "$tmp/run.log"
	exit 1
fi
sed 's/^/    /' "$tmp/run.log"
echo "ok: installed headers, pkg-config and the $mode library work for an embedder"
