"""bubblewrap hides every bpteach copy it binds, not only the running one (a second install in the
grader's venv, or one under /usr, would otherwise show its solution notebooks to a submission)."""

import os
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
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    assert done.stdout.split() == ["True", "False"], done.stdout + done.stderr


@pytest.mark.parametrize("euid", [0, 1000])
def test_the_cover_over_a_hidden_copy_takes_no_file(tmp_path, monkeypatch, euid):
    """bwrap's tmpfs over a hidden copy belongs to the sandbox's uid under a user namespace (a grader that
    is not root) and has no size cap: writable, it would hold half the host's memory beside /tmp's 256 MiB."""
    if euid == 0 and os.geteuid() != 0:
        pytest.skip("the root grader's command needs root")
    site = tmp_path / "lib" / "python3" / "site-packages"
    (site / "bpteach").mkdir(parents=True)
    (site / "bpteach" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)  # as root, the user namespace maps 65534 to root
    probe = (f"import errno\ntry:\n    open({str(site / 'bpteach' / 'f')!r}, 'w').write('x' * 4096)\n"
             "    print('wrote')\nexcept OSError as e:\n    print(errno.errorcode[e.errno])\n")
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    assert done.stdout.split() in (["EROFS"], ["EACCES"]), done.stdout + done.stderr
