"""bubblewrap hides every bpteach copy it binds, not only the running one (a second install in the
grader's venv, or one under /usr, would otherwise show its solution notebooks to a submission)."""

import subprocess
import sys

import pytest

from bpteach.grading import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="bwrap unavailable here")


def test_a_second_bpteach_copy_on_a_bound_path_is_hidden(tmp_path, monkeypatch):
    site = tmp_path / "lib" / "python3" / "site-packages"
    (site / "bpteach" / "grading" / "notebooks").mkdir(parents=True)
    (site / "bpteach" / "__init__.py").write_text("")
    answers = site / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb"
    answers.write_text("the answers")
    beside = site / "other.txt"  # bound like the copy: the sandbox does see this site-packages
    beside.write_text("visible")
    monkeypatch.syspath_prepend(str(site))
    assert str(site) in sandbox.python_paths()
    assert str(site / "bpteach") in sandbox.hidden_paths(sandbox.python_paths())
    probe = f"import os; print(os.path.exists({str(beside)!r}), os.path.exists({str(answers)!r}))"
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)  # fmt: skip
    assert done.stdout.split() == ["True", "False"], done.stdout + done.stderr
