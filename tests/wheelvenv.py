"""bpteach as a learner or an instructor installs it: its wheel, in a fresh venv (tests only).

The wheel is built from a copy of the sources, so building leaves nothing in the checkout; the
venv gets its dependencies from this venv's site-packages (a .pth line: no download, no copy) and
bpteach itself only from the wheel.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, **kwargs)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def install_wheel(base: Path) -> dict:
    """Build the wheel under `base` and install it into base/venv: its python, bin folder and purelib."""
    tree = base / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    for name in ("bpteach", "notebooks"):  # the package, and the executed series it ships as data
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "my-exercises"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base / "dist"), str(tree)])
    wheel = next((base / "dist").glob("bpteach-*.whl"))
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    Path(purelib, "deps-from-the-test-venv.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)])
    return {"python": python, "bin": venv / "bin", "purelib": Path(purelib), "wheel": wheel}


def shared_wheel(tmp_path_factory) -> dict:
    """One wheel install per test run, for every test that needs it (the learner's `bpteach lab`, the
    instructor's grading), whichever pytest-xdist worker asks first: built under a lock in the run's
    common temporary folder, read by the others. The tests only read it (they work in folders of
    their own), so sharing it tests the same thing as building it twice."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' basetemps are folders of one run's
    base, record = root / "bpteach-wheel", root / "bpteach-wheel.json"
    with open(root / "bpteach-wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            base.mkdir()
            record.write_text(json.dumps({k: str(v) for k, v in install_wheel(base).items()}))
    return {k: Path(v) for k, v in json.loads(record.read_text()).items()}
