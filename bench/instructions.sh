#!/bin/sh
# Instructions per profile, counted by callgrind: compare two versions of the code on a noisy machine.
#
# Timings on a shared machine swing by +-30%; an instruction count does not, so compare changes with this.
# Only the counted profiles are instrumented (bench/instructions.py switches callgrind on and off around
# them), and each is new to the engine: a warm-up batch comes first, so the memo tables are as in a long
# batch. A count takes 15-60 seconds.
#
# Usage: sh bench/instructions.sh [GIT-REVISION] [WHAT] [N]
#   GIT-REVISION  a commit to count instead of the working tree ("" or "." for the working tree)
#   WHAT          bundled (default), bundled-floor, full:SIZE, match:SIZE, naive:SIZE or zen:SIZE (see bench/instructions.py)
#   N             profiles counted (default 300)
# NOGC=1 sh bench/instructions.sh ...  leaves garbage collection out: a full collection costs about
# 300 million instructions here, so whether one falls in the counted window moves the count.
# CACHE=1 sh bench/instructions.sh ...  also simulates the caches and reports the data reads and writes per
# profile that miss a 512 KB last-level cache (this machine's per-core L2): each costs a trip to memory,
# which instruction counts do not show. It is how the large synthetic bases lose time (docs/performance.md).
# The simulation is about four times slower than a plain count.
# Run it with the project's virtual environment active.
set -e
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../src"
work=$(mktemp -d)
if [ -n "$1" ] && [ "$1" != "." ]; then
    git -C "$here/.." archive "$1" | tar -x -C "$work"
    src="$work/src"
fi
what=${2:-bundled}
n=${3:-300}
python=$(command -v python || command -v python3)
cache=""
if [ -n "$CACHE" ]; then
    cache="--cache-sim=yes --LL=524288,8,64"
fi
# shellcheck disable=SC2086  # $cache is empty or several options
PYTHONPATH="$src" PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no $cache \
    --callgrind-out-file="$work/callgrind.out" "$python" "$here/instructions.py" "$what" "$n" > "$work/log" 2>&1 || {
    cat "$work/log" >&2
    rm -rf "$work"
    exit 1
}
# The totals line: Ir, then with the cache simulated Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw.
totals=$(awk '/^totals:/ {print $2, $9 + $10; exit}' "$work/callgrind.out")
rm -rf "$work"
instructions=${totals%% *}
line="$what${1:+ at $1}: $(( instructions / n )) instructions per profile"
if [ -n "$CACHE" ]; then
    line="$line, $(( ${totals##* } / n )) last-level misses per profile"
fi
echo "$line"
