#!/bin/bash
# usage: tools/attack-round2/parent-oom.sh BATCH_DIR OUT LIMIT_BYTES -- `bpteach grade BATCH_DIR --jobs 2` run inside a
# memory cgroup of LIMIT_BYTES (a grader's container or small VM), made under this shell's own; removed after.
set -u
BATCH=$1; OUT=$2; LIMIT=$3
G=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
P=$G/k24c-parent-$$
mkdir "$P" && echo "$LIMIT" > "$P/memory.limit_in_bytes"
cd "$(dirname "$0")/../.."
rm -rf "$OUT"
( echo $BASHPID > "$P/cgroup.procs"; exec env PYTHONPATH="$PWD" "${PYTHON:-.venv/bin/python}" -m bpteach.cli grade "$BATCH" --out "$OUT" --jobs 2 --seed 1 )
echo "grader exit code: $?"
echo "parent cgroup: $(grep oom_kill "$P/memory.oom_control"), max usage $(( $(cat $P/memory.max_usage_in_bytes) >> 20 )) MiB"
cat "$OUT/summary.csv" 2>/dev/null | grep -E "total|ex1" || echo "no summary.csv"
for r in "$OUT"/*/report.json; do echo "$r: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['score'], [c['message'][:160] for e in d['exercises'] for c in e['checks'] if not c['passed']][:2])" "$r")"; done
rmdir "$P"
