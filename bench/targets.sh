#!/bin/sh
# targets.sh - run the commands of docs/performance.md's "Results and targets"
# table, each RUNS times (default 3), and keep their output in OUT (default
# ./bench-targets).  The machine should be otherwise idle: see that page on
# why figures come in two sets.  Usage: bench/targets.sh [PINMM [OUT [RUNS]]]
set -eu
PINMM=${1:-build/release/pinmm}
OUT=${2:-bench-targets}
RUNS=${3:-3}
mkdir -p "$OUT"
uptime > "$OUT/uptime-start.txt"
i=1
while [ "$i" -le "$RUNS" ]; do
	taskset -c 1 "$PINMM" bench -a -T -t -n 1,512 -j 1 -r 15 > "$OUT/gup-$i.txt" 2>&1
	"$PINMM" bench scale -m 256 -r 15 > "$OUT/scale-$i.txt" 2>&1
	i=$((i + 1))
done
taskset -c 1 "$PINMM" bench -a -t -n 512 -j 1 -m 512 -r 9 --no-host > "$OUT/thp-512m.txt" 2>&1
"$PINMM" bench fork -m 1024 -r 7 > "$OUT/fork-on.txt" 2>&1
"$PINMM" bench fork -m 1024 -r 7 --registry off > "$OUT/fork-off.txt" 2>&1
"$PINMM" bench dio -r 9 > "$OUT/dio.txt" 2>&1
"$PINMM" bench fault migrate movable layout -r 9 > "$OUT/more.txt" 2>&1
"$PINMM" bench -a -T -t -j 1 -n 1,2,4,8,16,32,64,128,256,512,1024 -r 7 --json --quiet \
	> "$OUT/per-call.json"
uptime > "$OUT/uptime-end.txt"
# The targets judged by each run: grep ' NO$\| yes$' "$OUT"/*.txt
echo "$OUT: done; python3 bench/plot.py $OUT/per-call.json docs/bench-per-call.svg draws the plot"
