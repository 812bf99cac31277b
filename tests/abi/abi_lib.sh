# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# abi_lib.sh - what the ABI checks with a selftest share (sourced by
# check_drivers.sh, check_namespace.sh and check_symbols.sh, which define
# check(), selftest() and usage() before calling abi_main).
#
# Each such script is a check over some input that prints one line per
# thing it refuses and returns 1 if there is any (2 if it could not run),
# and a selftest that plants refused things in a copy of the input and
# proves the check reports exactly those: a check that cannot fail
# proves nothing.

# abi_main N_CHECK N_SELFTEST ARGS...: `--selftest` and N_SELFTEST
# arguments run selftest, N_CHECK arguments run check; anything else is
# usage().
abi_main() {
	local n_check=$1 n_selftest=$2

	shift 2
	case "${1:-}" in
	--selftest)
		shift
		[ $# -eq "$n_selftest" ] || usage
		selftest "$@" ;;
	"" | -*)
		usage ;;
	*)
		[ $# -eq "$n_check" ] || usage
		check "$@" ;;
	esac
}

# selftest_workdir WORK: WORK, empty.
selftest_workdir() {
	rm -rf "$1"
	mkdir -p "$1"
}

# selftest_failed OUT STATUS: show the check's output OUT, indented, and
# fail unless its status STATUS is 1 (it refused something).
selftest_failed() {
	echo "$1" | sed 's/^/    /'
	if [ "$2" -ne 1 ]; then
		echo "selftest FAILED: the check returned $2 on the planted input, not 1"
		return 1
	fi
}

# selftest_exactly WHAT OUT PREFIX WANT...: the check's output OUT names
# every WANT (as a line containing PREFIX WANT) and has no other line;
# WHAT ("include", "name") says what was planted.
selftest_exactly() {
	local what=$1 out=$2 prefix=$3 want missing=0

	shift 3
	for want in "$@"; do
		if ! grep -qF "$prefix$want" <<<"$out"; then
			echo "selftest FAILED: '$want' was not reported"
			missing=$((missing + 1))
		fi
	done
	if [ "$(grep -c . <<<"$out")" -ne $# ]; then
		echo "selftest FAILED: ${what}s other than the planted ones were reported"
		missing=$((missing + 1))
	fi
	[ "$missing" -eq 0 ] || return 1
	echo "ok: the check refuses every planted $what and nothing else"
}
