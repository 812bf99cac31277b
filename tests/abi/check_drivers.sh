#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_drivers.sh - the call sites under src/drivers/ reach the memory
# core only through the public API (ctest: abi.drivers).
#
#   check_drivers.sh DRIVERS_DIR
#   check_drivers.sh --selftest DRIVERS_DIR WORK_DIR
#
# CMake compiles src/drivers/*.c with only include/ and src/drivers/ on the
# include path, so <internal.h> or <model/mm.h> do not resolve there; but a
# quoted relative include ("../internal.h") would, since the compiler looks
# beside the including file first.  This reads every #include of
# DRIVERS_DIR/*.c and *.h and fails, naming file and line, on any that is
# not
#   - <pinmm/NAME.h>                  the public API,
#   - <NAME.h> or <DIR/NAME.h> of the system, except the model's own
#     directories and headers (model/..., internal.h, rcu.h),
#   - "NAME.h" naming a file directly in DRIVERS_DIR (no directory part),
# and on an #include whose operand is a macro.
#
# --selftest plants refused includes in a copy ("../internal.h",
# <model/mm_types.h>, "../include/model/gup.h", <internal.h>, a macro
# operand) beside allowed ones and checks that exactly the planted ones are
# reported.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=abi_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/abi_lib.sh"

usage() {
	echo "usage: $0 DRIVERS_DIR | --selftest DRIVERS_DIR WORK_DIR" >&2
	exit 2
}

# Headers of the core that must never be reached by name.
CORE_HEADERS="internal.h rcu.h"

# check DIR: print "file:line: #include ..." for each refused include;
# status 1 if any.
check() {
	local dir=$1 f n line op bad=0 files=0 incs=0

	for f in "$dir"/*.c "$dir"/*.h; do
		[ -e "$f" ] || continue
		files=$((files + 1))
		n=0
		while IFS= read -r line; do
			n=$((n + 1))
			[[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*(.*)$ ]] || continue
			incs=$((incs + 1))
			op=${BASH_REMATCH[1]}
			op=${op%%/\**}
			op=${op%"${op##*[![:space:]]}"}
			if [[ $op =~ ^\<pinmm/[A-Za-z0-9_.-]+\.h\>$ ]]; then
				continue
			elif [[ $op =~ ^\<([A-Za-z0-9_./-]+)\>$ ]]; then
				local sys=${BASH_REMATCH[1]}
				if [[ $sys != model/* && $sys != */model/* && $sys != *..* &&
				      " $CORE_HEADERS " != *" $sys "* ]]; then
					continue
				fi
			elif [[ $op =~ ^\"([A-Za-z0-9_.-]+\.h)\"$ ]]; then
				if [ -f "$dir/${BASH_REMATCH[1]}" ] &&
				   [[ " $CORE_HEADERS " != *" ${BASH_REMATCH[1]} "* ]]; then
					continue
				fi
			fi
			echo "$(basename "$f"):$n: #include $op"
			bad=$((bad + 1))
		done <"$f"
	done
	if [ "$files" -eq 0 ]; then
		echo "no sources under $dir" >&2
		return 2
	fi
	[ "$bad" -eq 0 ] || return 1
	echo "ok: $incs includes in $files files under src/drivers, all public or local"
}

selftest() {
	local dir=$1 work=$2 out status=0

	selftest_workdir "$work"
	cp "$dir"/*.c "$dir"/*.h "$work"/ 2>/dev/null || true
	cat >"$work/planted.c" <<-'EOF'
	/* planted by check_drivers.sh --selftest */
	#include <errno.h>
	#include <sys/types.h>
	#include <pinmm/gup.h>
	#include "planted.h"
	#include "../internal.h"
	#include <model/mm_types.h>
	#  include "../include/model/gup.h"
	#include <internal.h>
	#define HDR <pinmm/gup.h>
	#include HDR
	EOF
	echo '/* planted */' >"$work/planted.h"
	out=$(check "$work") || status=$?
	selftest_failed "$out" "$status" || return 1
	selftest_exactly include "$out" "" \
		'planted.c:6: #include "../internal.h"' \
		'planted.c:7: #include <model/mm_types.h>' \
		'planted.c:8: #include "../include/model/gup.h"' \
		'planted.c:9: #include <internal.h>' \
		'planted.c:11: #include HDR'
}

abi_main 1 2 "$@"
