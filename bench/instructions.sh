#!/bin/sh
# Instructions per profile through recommend_many on the bundled knowledge, counted by callgrind.
#
# Timings on a shared machine swing by +-30%; an instruction count does not, so compare changes with this.
# The profiles counted are new to the engine: it first answers 5,000 others (so its memo tables are
# in the state of a long batch), then 1,000 fresh ones are counted, garbage collection included.
#
# Usage: sh bench/instructions.sh [GIT-REVISION]   (default: the working tree). Takes 3-8 minutes.
# NOGC=1 sh bench/instructions.sh ...  leaves garbage collection out: a full collection costs about
# 300 million instructions here, so whether one falls in the counted window moves the default count.
set -e
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../src"
work=$(mktemp -d)
if [ -n "$1" ]; then
    git -C "$here/.." archive "$1" | tar -x -C "$work"
    src="$work/src"
fi
cat > "$work/count.py" <<PY
import collections, gc, os, sys
sys.path.insert(0, "$here")
import run
import massage_rules as mr
kb = mr.load_knowledge()
collections.deque(mr.recommend_many(run.realistic_profiles(kb, 5000, seed=8), kb), maxlen=0)
fresh = run.realistic_profiles(kb, 1000, seed=100)
gc.collect()
if os.environ.get("NOGC"):  # NOGC=1: the engine's own work, without the collector's lumpy full collections
    gc.disable()
if sys.argv[1] == "1":
    collections.deque(mr.recommend_many(fresh, kb), maxlen=0)
PY
python=$(command -v python || command -v python3)  # run it with the project's virtual environment active
count() {
    PYTHONPATH="$src" PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$python" "$work/count.py" "$1" > "$work/out.$1" 2>&1
    awk '/Collected/ {print $4}' "$work/out.$1"
}
base=$(count 0)
more=$(count 1)
if [ -z "$base" ] || [ -z "$more" ]; then
    cat "$work/out.0" "$work/out.1" >&2
    rm -rf "$work"
    exit 1
fi
rm -rf "$work"
echo "instructions per fresh profile: $(( (more - base) / 1000 ))"
