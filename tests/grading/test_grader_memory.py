"""The grader's own memory per submission (it runs outside every limit, once per `--jobs`): a
submission that forges one 64 MiB result record whose header is `[{},{},...]` JSON costs the
grader at most twice what an honest full workbook does.

Only the grader process is measured (its own RUSAGE_SELF peak, written as it exits): the
exercise processes it starts hold the forged bytes too, but under their own limits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shared import SOURCE

STUDENT = SOURCE.parent / "student" / SOURCE.name
RECORD_BYTES = 64 * 1024**2 - 64 * 1024  # one record, just inside the result limit (MAX_RESULT_BYTES)

FORGE = f"""
import os, struct

_n = {RECORD_BYTES} - 8
_text = b"[" + b"{{}}," * ((_n - 4) // 3) + b"{{}}]"
_blob = memoryview(struct.pack("<II", len(_text), 0) + _text)
del _text
while _blob:
    _blob = _blob[os.write(3, _blob):]
_status = b'{{"kind": "status", "status": "ok"}}'
os.write(3, struct.pack("<II", len(_status), 0) + _status)
os._exit(0)
"""

MEASURE = """
import resource, sys
from bpteach.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""


def _peak_kib(notebook: Path, tmp: Path) -> tuple[int, subprocess.CompletedProcess]:
    """The grader's own peak resident set, in KiB, grading NOTEBOOK."""
    peak = tmp / f"{notebook.stem}.peak"
    done = subprocess.run([sys.executable, "-c", MEASURE, str(peak), "grade", str(notebook), "--out",
                           str(tmp / f"{notebook.stem}-reports"), "--no-sandbox"],
                          capture_output=True, text=True, timeout=600)
    return int(peak.read_text()), done


def test_forged_record_costs_the_grader_at_most_twice_an_honest_workbook(tmp_path: Path) -> None:
    nb = json.loads(STUDENT.read_text())
    ids = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb["cells"]]
    cell = nb["cells"][ids.index("ex1-output-delta")]
    cell["source"] = FORGE.strip() + "\n"
    forged = tmp_path / "forged.ipynb"
    forged.write_text(json.dumps(nb))
    honest = tmp_path / "honest.ipynb"
    honest.write_text(SOURCE.read_text())

    honest_kib, done = _peak_kib(honest, tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(next((tmp_path / "honest-reports").rglob("report.json")).read_text())
    assert report["score"] == report["max_score"] > 0  # the measure is of a full grading
    forged_kib, done = _peak_kib(forged, tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(next((tmp_path / "forged-reports").rglob("report.json")).read_text())
    ex1 = next(e for e in report["exercises"] if e["grade_id"] == "ex1-output-delta")
    assert ex1["points"] == 0  # the forged record was refused, not graded
    print(f"grader peak RSS: honest {honest_kib / 1024:.0f} MiB, forged {forged_kib / 1024:.0f} MiB")
    assert forged_kib <= 2 * honest_kib, (honest_kib, forged_kib)
