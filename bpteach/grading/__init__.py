"""Auto-grading of the exercise notebooks (notebooks/exercises/): `bpteach assign` and `bpteach grade`.

The rule: no score is decided by a process that ran student code. Each exercise
runs in a fresh, resource-limited kernel that only writes plain .npy arrays; the
grader's own process loads them (allow_pickle=False) and judges them against the
reference in bpteach on hidden inputs.
"""

from .assign import assign
from .grade import grade_path, grade_submission

__all__ = ["assign", "grade_path", "grade_submission"]
