#!/bin/sh
# run_fuzz.sh TARGET SECONDS DICT|- SEED_DIR... - run a libFuzzer target for
# SECONDS over a scratch copy of the seed directories (they are never
# written), with DICT as its dictionary.  Exit status: libFuzzer's (0: no
# crash, leak, timeout or out-of-memory; the input that failed is left in
# the working directory as crash-*, leak-*, timeout-* or oom-*).
set -eu
target=$1 seconds=$2 dict=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/pinmm-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
for d in "$@"; do
	[ -d "$d" ] && cp "$d"/* "$work"/ 2>/dev/null || true
done
set -- -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4096 \
	-print_final_stats=1 "$work"
[ "$dict" != "-" ] && set -- -dict="$dict" "$@"
rc=0
"$target" "$@" || rc=$?
exit "$rc"
