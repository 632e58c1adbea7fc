"""Grade one notebook on a route and print its score and statuses: `python drive.py ROUTE NOTEBOOK`
(ROUTE bwrap, user or none; for user: as root, BPTEACH_STUDENT_UID set, under tests/grading/no_userns.py)."""

import json
import sys

from bpteach.grading.grade import grade_submission

report = grade_submission(sys.argv[2], seed=11, sandbox=sys.argv[1])
print(json.dumps({"score": report["score"], "sandbox": report["sandbox"],
                  "status": {e["grade_id"]: e["status"] for e in report["exercises"]},
                  "says": [c["message"] for e in report["exercises"] for c in e["checks"] if not c["passed"]][:12],
                  "notes": report["notes"]}, indent=1))
