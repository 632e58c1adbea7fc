"""bubblewrap hides every bpteach copy it binds, not only the running one (a second install in the
grader's venv, or one under /usr, would otherwise show its solution notebooks to a submission)."""

import os
import subprocess
import sys

import pytest

from bpteach.grading import quotas, sandbox

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


def _slab_kib() -> int:
    return next(int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("Slab:"))


def test_a_folder_flood_stops_at_the_scratch_inode_cap():
    """Empty folders cost kernel memory no rlimit counts: the sandbox's /tmp caps their number."""
    if os.geteuid() != 0:
        pytest.skip("only a grader running as root can mount the capped tmpfs")
    flood = ("import errno, os, time\nn, end = 0, time.monotonic() + 20\n"
             "try:\n    while time.monotonic() < end:\n        os.mkdir(f'/tmp/d{n}'); n += 1\n"
             "except OSError as e:\n    print(n, errno.errorcode[e.errno])\nelse:\n    print(n, 'none')\n")
    scratch = quotas.scratch()
    assert scratch is not None, "root, yet the capped tmpfs could not be mounted"
    before = _slab_kib()
    try:
        done = subprocess.run(sandbox.command(sys.executable, flood, "{}", scratch), capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
        grown = _slab_kib() - before
    finally:
        quotas.release_scratch(scratch)
    made, why = done.stdout.split()
    assert why == "ENOSPC" and int(made) < quotas.TMPFS_INODES, done.stdout + done.stderr
    assert grown < 256 * 1024, f"the host's slab grew by {grown / 1024:.0f} MiB"
