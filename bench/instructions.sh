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
PYTHONPATH="$src" PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$work/callgrind.out" "$python" "$here/instructions.py" "$what" "$n" > "$work/log" 2>&1 || {
    cat "$work/log" >&2
    rm -rf "$work"
    exit 1
}
total=$(awk '/^totals:/ {print $2; exit}' "$work/callgrind.out")
rm -rf "$work"
echo "$what${1:+ at $1}: $(( total / n )) instructions per profile"
