"""Grade one notebook and print score, statuses and messages: `python drive.py ROUTE NOTEBOOK [--nonroot]`
(--nonroot: sandbox.os.geteuid patched to 1000, as a non-root grader's bwrap command; no scratch tmpfs)."""

import json
import sys

from bpteach.grading import quotas, sandbox
from bpteach.grading.grade import grade_submission

if "--nonroot" in sys.argv:
    sandbox.os.geteuid = lambda: 1000
    quotas.os.geteuid = lambda: 1000
report = grade_submission(sys.argv[2], seed=1, sandbox=sys.argv[1])
print(json.dumps({"score": report["score"], "sandbox": report["sandbox"],
                  "status": {e["grade_id"]: [e["status"], e["points"]] for e in report["exercises"]},
                  "says": [c["message"] for e in report["exercises"] for c in e["checks"] if not c["passed"]][:6],
                  "notes": report["notes"]}))
