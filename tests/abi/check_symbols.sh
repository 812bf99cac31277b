#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_symbols.sh - libpinmm.so exports exactly the functions its public
# headers declare PNM_API (ctest: abi.symbols).
#
#   check_symbols.sh LIBRARY INCLUDE_DIR NM
#   check_symbols.sh --selftest LIBRARY INCLUDE_DIR NM WORK_DIR
#
# The library is built with hidden visibility, so only declarations marked
# PNM_API should leave it.  This lists the dynamic symbols LIBRARY defines
# (`NM -D --defined-only`) and the functions declared `PNM_API <type>
# name(` in INCLUDE_DIR/pinmm/*.h (comments and preprocessor lines
# stripped; a declaration may span lines), and fails, naming each, on
#   - an exported symbol no header declares PNM_API (an internal function
#     that leaked, or a public one whose declaration lost PNM_API), and
#   - a PNM_API function the library does not export (declared but not
#     implemented, or implemented without PNM_API visibility).
#
# --selftest runs the check on a copy of the headers with one declaration
# removed and one invented, and checks that it fails naming both.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=abi_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/abi_lib.sh"

usage() {
	echo "usage: $0 LIBRARY INCLUDE_DIR NM | --selftest LIBRARY INCLUDE_DIR NM WORK_DIR" >&2
	exit 2
}

ident='[A-Za-z_][A-Za-z0-9_]*'

# The functions declared PNM_API under $1/pinmm, one per line, sorted.
declared() {
	local h
	for h in "$1"/pinmm/*.h; do
		# Comments out (awk), preprocessor lines and their continuations
		# out, one line, then each `PNM_API ... name(`.
		awk '
		BEGIN { inc = 0 }
		{
			line = $0; out = ""; n = length(line); i = 1
			while (i <= n) {
				c2 = substr(line, i, 2)
				if (inc) { if (c2 == "*/") { inc = 0; i += 2 } else i++; continue }
				if (c2 == "/*") { inc = 1; i += 2; continue }
				if (c2 == "//") break
				out = out substr(line, i, 1); i++
			}
			print out
		}' "$h" | awk '
			cont { cont = /\\$/; next }
			/^[ \t]*#/ { cont = /\\$/; next }
			{ print }' | tr '\n\t' '  ' |
			{ grep -oE "\\bPNM_API[[:space:]][^;(]*\\(" || true; } |
			sed -E "s/.*[^A-Za-z0-9_]($ident)[[:space:]]*\\($/\\1/"
	done | sort -u
}

# The symbols the library defines and exports, one per line, sorted
# (version-definition entries, type A, are not symbols of the code).
exported() {
	"$2" -D --defined-only "$1" |
		awk 'NF >= 3 && $2 != "A" { print $3 }' | sed 's/@.*//' | sort -u
}

# check LIBRARY INCLUDE_DIR NM: report both differences; status 1 if any.
check() {
	local lib=$1 incdir=$2 nm=$3 decl exp only_exp only_decl ndecl nexp

	[ -f "$lib" ] || { echo "no library at $lib" >&2; return 2; }
	decl=$(declared "$incdir")
	exp=$(exported "$lib" "$nm")
	ndecl=$(grep -c . <<<"$decl" || true)
	nexp=$(grep -c . <<<"$exp" || true)
	if [ "$ndecl" -eq 0 ] || [ "$nexp" -eq 0 ]; then
		echo "found $ndecl PNM_API declarations and $nexp exported symbols:" \
		     "the extraction is broken" >&2
		return 2
	fi
	only_exp=$(comm -13 <(echo "$decl") <(echo "$exp"))
	only_decl=$(comm -23 <(echo "$decl") <(echo "$exp"))
	if [ -n "$only_exp" ]; then
		echo "exported by $(basename "$lib") but not declared PNM_API in include/pinmm:"
		sed 's/^/    /' <<<"$only_exp"
	fi
	if [ -n "$only_decl" ]; then
		echo "declared PNM_API in include/pinmm but not exported by $(basename "$lib"):"
		sed 's/^/    /' <<<"$only_decl"
	fi
	if [ -n "$only_exp" ] || [ -n "$only_decl" ]; then
		echo "($ndecl declared, $nexp exported)"
		return 1
	fi
	echo "ok: $(basename "$lib") exports exactly the $ndecl functions declared PNM_API"
}

# The indented lines under the heading that starts with $1.
section() {
	awk -v h="$1" 'index($0, h) == 1 { on = 1; next } /^[^ ]/ { on = 0 } on'
}

selftest() {
	local lib=$1 incdir=$2 nm=$3 work=$4 out status=0 victim

	selftest_workdir "$work"
	cp -R "$incdir/pinmm" "$work/pinmm"
	# Drop a declaration the library certainly exports, invent one it
	# certainly does not.
	victim=pnm_strerror
	grep -q "PNM_API const char \*$victim(" "$work/pinmm/pinmm.h" ||
		{ echo "selftest: $victim's declaration not found in pinmm.h" >&2; return 2; }
	sed -i "s/^PNM_API const char \*$victim(/const char *$victim(/" "$work/pinmm/pinmm.h"
	printf 'PNM_API int\npnm_selftest_not_exported(\n\tvoid);\n' >>"$work/pinmm/dma.h"
	out=$(check "$lib" "$work" "$nm") || status=$?
	selftest_failed "$out" "$status" || return 1
	if ! section "exported by" <<<"$out" | grep -qx "    $victim"; then
		echo "selftest FAILED: $victim (exported, declaration without PNM_API) not reported"
		return 1
	fi
	if ! section "declared PNM_API" <<<"$out" | grep -qx "    pnm_selftest_not_exported"; then
		echo "selftest FAILED: pnm_selftest_not_exported (declared, not exported) not reported"
		return 1
	fi
	echo "ok: the check reports an undeclared export and an unexported declaration"
}

abi_main 3 4 "$@"
