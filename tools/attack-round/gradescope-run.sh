#!/bin/bash
# usage: tools/attack-round/gradescope-run.sh ROOT SUBMISSION_SETUP_CMD  -- builds a bundle in ROOT, runs run_autograder without user namespaces
set -e
ROOT=$1; shift
rm -rf "$ROOT"; mkdir -p "$ROOT"; chmod 755 "$ROOT"
cd "$(dirname "$0")/../.."
REPO=$(pwd)
.venv/bin/python -c "
import os, stat, zipfile, sys
from pathlib import Path
from bpteach.grading.gradescope import bundle
root = Path('$ROOT')
z, _ = bundle(root / 'autograder.zip', seed=11)
with zipfile.ZipFile(z) as f:
    f.extractall(root / 'source')
    for info in f.infolist():
        os.chmod(root / 'source' / info.filename, (info.external_attr >> 16) & 0o777)
(root / 'submission').mkdir(); (root / 'results').mkdir()
"
eval "$@"
env -i PATH=/usr/bin:/bin AUTOGRADER_ROOT="$ROOT" BPTEACH_PYTHON="$REPO/.venv/bin/python" BPTEACH_STUDENT_UID=64999 \
  nice -n 10 "$REPO/.venv/bin/python" tests/grading/no_userns.py "$ROOT/source/run_autograder"
python3 -c "
import json; r = json.load(open('$ROOT/results/results.json')); print('score', r['score']); print(r['output'][:300])"
