#!/bin/sh
# Instructions per profile through recommend_many on the bundled knowledge, counted by callgrind.
# Timings on a shared machine swing by +-30%; an instruction count does not, so compare changes with this.
# Takes about two minutes. Usage: sh bench/instructions.sh
set -e
here=$(dirname "$0")
script=$(mktemp)
cat > "$script" <<PY
import sys
sys.path.insert(0, "$here")
import run
import massage_rules as mr
kb = mr.load_knowledge()
profiles = run.realistic_profiles(kb, 1000)
list(mr.recommend_many(profiles, kb))
for _ in range(int(sys.argv[1])):
    list(mr.recommend_many(profiles, kb))
PY
count() {
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null python "$script" "$1" 2>&1 \
        | awk '/Collected/ {print $4}'
}
base=$(count 0)
more=$(count 1)
rm -f "$script"
echo "instructions per profile: $(( (more - base) / 1000 ))"
