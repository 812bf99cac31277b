#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# check_namespace.sh - the public headers define nothing outside pinmm's
# namespace (ctest: abi.namespace).
#
#   check_namespace.sh INCLUDE_DIR
#   check_namespace.sh --selftest INCLUDE_DIR WORK_DIR
#
# An embedder includes <pinmm/pinmm.h> beside its own code and other
# libraries' headers; a public header that defines `current`, `PAGE_MASK`
# or an enum constant `R_OK`-like `R_X` takes those names from everyone.
# From every include/pinmm/*.h (comments stripped) this extracts
#   - #define names,
#   - enum constants,
#   - typedef names,
#   - struct, union and enum tags declared or defined,
#   - the names of the functions declared (PNM_API) or defined (static
#     inline),
# and fails, naming each, on any that is not
#   - PNM_..., PINMM_... or pnm_... (the library's namespace),
#   - FOLL_... (the kernel's GUP flags, pinmm/gup.h),
#   - a function that pinmm/gup.h or pinmm/task.h declares with PNM_API
#     (the kernel-named GUP, pin and accessor API, get_task_mm(), mmput()
#     ...), or, in pinmm/gup.h, the call-site macro of such a function,
#   - one of the kernel-named opaque objects of pinmm/types.h: struct page,
#     folio, mm_struct, task_struct, file,
#   - a kernel name a header is listed for in KERNEL_NAMED below: in
#     pinmm/vaddr_pin.h the 2019 proposal's wrapper (vaddr_pin...,
#     vaddr_unpin..., VADDR_PIN_...); a call site's header (pinmm/<site>.h,
#     src/drivers/) may list the kernel names it deliberately keeps.
#
# --selftest plants names that must be refused (a #define `current` and
# `PAGE_MASK`, enum constants R_X and SC_X, a typedef, a struct tag, a
# kernel-named macro in a header other than gup.h), and one name that is
# allowed, in a copy of the headers and checks that the check fails naming
# exactly the planted names.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=abi_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/abi_lib.sh"

# Kernel-named objects that pinmm/types.h declares (opaque) on purpose.
KERNEL_STRUCTS="page folio mm_struct task_struct file"

# Per header, the shell patterns of the kernel names it may define on
# purpose (any kind of name).  A call site that keeps Linux's names for its
# public calls adds its header here, with the narrowest patterns it can.
declare -A KERNEL_NAMED=(
	[pinmm/vaddr_pin.h]="vaddr_pin vaddr_pin_* vaddr_unpin_* VADDR_PIN_*"
	[pinmm/mmu_notifier.h]="mmu_notifier mmu_notifier_* MMU_NOTIFY_* MMU_NOTIFIER_*"
)

# kernel_named HEADER NAME: is NAME one of HEADER's listed kernel names?
kernel_named() {
	local pat pats
	read -r -a pats <<<"${KERNEL_NAMED[$1]:-}"	# no pathname expansion
	for pat in "${pats[@]}"; do
		# shellcheck disable=SC2053 # $pat is a glob on purpose
		[[ $2 == $pat ]] && return 0
	done
	return 1
}

usage() {
	echo "usage: $0 INCLUDE_DIR | --selftest INCLUDE_DIR WORK_DIR" >&2
	exit 2
}

# Strip /* */ and // comments, keeping string and character literals.
strip_comments() {
	awk '
	BEGIN { inc = 0 }
	{
		line = $0; out = ""; n = length(line); i = 1; instr = 0
		while (i <= n) {
			c = substr(line, i, 1); c2 = substr(line, i, 2)
			if (inc) {
				if (c2 == "*/") { inc = 0; i += 2; out = out " " } else i++
				continue
			}
			if (instr) {
				out = out c
				if (c == "\\") { out = out substr(line, i + 1, 1); i += 2; continue }
				if (c == q) instr = 0
				i++
				continue
			}
			if (c2 == "/*") { inc = 1; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "\047") { instr = 1; q = c }
			out = out c
			i++
		}
		print out
	}' "$1"
}

# The declarations of a header as one line: comments and preprocessor
# directives (with their continuation lines) removed.
decl_text() {
	strip_comments "$1" | awk '
		cont { cont = /\\$/; next }
		/^[ \t]*#/ { cont = /\\$/; next }
		{ print }' | tr '\n\t' '  '
}

ident='[A-Za-z_][A-Za-z0-9_]*'

# "<kind> <name>" lines for everything a header defines.
names_of() {
	local h=$1 text
	strip_comments "$h" | sed -nE "s/^[[:space:]]*#[[:space:]]*define[[:space:]]+($ident).*/define \\1/p"
	text=$(decl_text "$h")
	# struct/union/enum tags declared (`struct x;`) or defined (`struct x {`)
	grep -oE "\\b(struct|union|enum)[[:space:]]+$ident[[:space:]]*[{;]" <<<"$text" |
		sed -E "s/^(struct|union|enum)[[:space:]]+($ident).*/\\1-tag \\2/" || true
	# enum constants: the first identifier of each item of an enum body
	grep -oE "\\benum[[:space:]]*($ident)?[[:space:]]*\\{[^}]*\\}" <<<"$text" |
		sed -E 's/^[^{]*\{//; s/\}$//' | tr ',' '\n' |
		sed -nE "s/^[[:space:]]*($ident).*/enum-constant \\1/p" || true
	# typedef names: `typedef T (*name)(...)`, `typedef T name(...)`, `typedef T name;`
	grep -oE '\btypedef[^;]*;' <<<"$text" | while IFS= read -r td; do
		if [[ $td =~ \([[:space:]]*\*[[:space:]]*($ident)[[:space:]]*\) ]]; then
			echo "typedef ${BASH_REMATCH[1]}"
		elif [[ $td =~ ($ident)[[:space:]]*\( ]]; then
			echo "typedef ${BASH_REMATCH[1]}"
		elif [[ $td =~ ($ident)[[:space:]]*(\[[^]]*\])*[[:space:]]*\;$ ]]; then
			echo "typedef ${BASH_REMATCH[1]}"
		else
			echo "typedef ?($td)"
		fi
	done || true
	# functions: PNM_API declarations and static inline definitions
	grep -oE "\\bPNM_API[[:space:]][^;(]*\\(" <<<"$text" |
		sed -E "s/.*[^A-Za-z0-9_]($ident)[[:space:]]*\\($/function \\1/" || true
	grep -oE "\\bstatic[[:space:]]+inline[[:space:]][^;{(]*\\(" <<<"$text" |
		sed -E "s/.*[^A-Za-z0-9_]($ident)[[:space:]]*\\($/inline-function \\1/" || true
}

# check INCLUDE_DIR: print the refused names, one per line; status 1 if any.
check() {
	local incdir=$1 h base kind name bad=0 count=0
	local -A kernel_api=()
	local gup_task=("$incdir/pinmm/gup.h" "$incdir/pinmm/task.h")

	for h in "${gup_task[@]}"; do
		[ -f "$h" ] || { echo "missing $h" >&2; return 2; }
		while read -r kind name; do
			[ "$kind" = function ] && kernel_api[$name]=1
		done < <(names_of "$h")
	done
	if [ ${#kernel_api[@]} -eq 0 ]; then
		echo "no PNM_API functions found in gup.h and task.h: the extraction is broken" >&2
		return 2
	fi
	for h in "$incdir"/pinmm/*.h; do
		base=pinmm/$(basename "$h")
		while read -r kind name; do
			count=$((count + 1))
			case "$name" in
			PNM_* | PINMM_* | pnm_* | FOLL_*) continue ;;
			esac
			if kernel_named "$base" "$name"; then
				continue
			fi
			case "$kind" in
			function)
				if [ "$base" = pinmm/gup.h ] || [ "$base" = pinmm/task.h ]; then
					continue
				fi ;;
			define)
				# the call-site macros of gup.h's entry points
				if [ "$base" = pinmm/gup.h ] && [ -n "${kernel_api[$name]:-}" ]; then
					continue
				fi ;;
			struct-tag)
				if [ "$base" = pinmm/types.h ] && [[ " $KERNEL_STRUCTS " == *" $name "* ]]; then
					continue
				fi ;;
			esac
			echo "$base: $kind $name"
			bad=$((bad + 1))
		done < <(names_of "$h" | sort -u)
	done
	if [ "$count" -eq 0 ]; then
		echo "no names found under $incdir/pinmm: the extraction is broken" >&2
		return 2
	fi
	if [ "$bad" -ne 0 ]; then
		return 1
	fi
	echo "ok: $count names in $(ls "$incdir"/pinmm/*.h | wc -l) public headers, all in pinmm's namespace"
}

selftest() {
	local incdir=$1 work=$2 out status=0

	selftest_workdir "$work"
	cp -R "$incdir/pinmm" "$work/pinmm"
	cat >>"$work/pinmm/types.h" <<-'EOF'
	/* planted by check_namespace.sh --selftest */
	#define current		pnm_current_task()
	#  define PAGE_MASK	(~(PNM_PAGE_SIZE - 1))
	enum { R_X, SC_X = 2, PNM_SELFTEST_OK };
	typedef unsigned long pgoff_selftest_t;
	typedef int (*selftest_fn)(void);
	struct selftest_tag { int x; };
	static inline int selftest_inline(void) { return 0; }
	EOF
	cat >>"$work/pinmm/dma.h" <<-'EOF'
	#define pin_user_pages(...)	0	/* a kernel-named macro outside gup.h */
	EOF
	out=$(check "$work") || status=$?
	selftest_failed "$out" "$status" || return 1
	# Exactly the nine planted names.
	selftest_exactly name "$out" "pinmm/" \
		"types.h: define current" "types.h: define PAGE_MASK" \
		"types.h: enum-constant R_X" "types.h: enum-constant SC_X" \
		"types.h: typedef pgoff_selftest_t" "types.h: typedef selftest_fn" \
		"types.h: struct-tag selftest_tag" "types.h: inline-function selftest_inline" \
		"dma.h: define pin_user_pages"
}

abi_main 1 2 "$@"
