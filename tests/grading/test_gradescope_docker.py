"""The Gradescope bundle where Gradescope really runs it: a Docker container that refuses user
namespaces, so bubblewrap cannot start. The bundle then runs student code as an unprivileged user
(the `user` route). Both attacks that scored 14/14 from an empty notebook under --no-sandbox must
score 0 here, leave no process behind and leave the grader's venv unchanged.

As on Gradescope: the bundle unpacked into an autograder root, a venv made by the bundle's own
requirements with the system's python3 (the student user cannot enter root's home, where this
checkout's interpreter may live), run_autograder started as root under no_userns.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
import processes
import pytest

from bpteach.grading.batch import sources
from bpteach.grading.gradescope import bundle

HERE = Path(__file__).resolve().parent
SOURCE = sources()["backprop-exercises"]
STUDENT = SOURCE.parent / "student" / SOURCE.name
UID = 64999  # a uid no process here has: setpriv needs no passwd entry (setup.sh makes `student` on Gradescope)
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin:/bin")

pytestmark = pytest.mark.skipif(
    (os.geteuid() != 0 or SYSTEM_PYTHON is None or shutil.which("setpriv") is None) and not os.environ.get("CI"),
    reason="needs root, setpriv and the system's python3",
)


def _uid_processes() -> list[int]:
    """This test process's own processes that run as the student user."""
    return [pid for pid in processes.own_processes() if str(UID) in processes.uids(pid)]


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if "__pycache__" in p.parts:
            continue
        h.update(str(p.relative_to(root)).encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def venv():
    """The venv setup.sh would make, from the bundle's requirements.txt, outside root's home."""
    base = Path(tempfile.mkdtemp(prefix="bpteach-gs-venv-", dir="/tmp"))
    os.chmod(base, 0o755)
    zip_path, _ = bundle(base / "req.zip", seed=1)
    with zipfile.ZipFile(zip_path) as z:
        (base / "requirements.txt").write_bytes(z.read("requirements.txt"))
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", str(base / "venv")], check=True)
    subprocess.run([str(base / "venv/bin/pip"), "install", "--quiet", "-r", str(base / "requirements.txt")],
                   check=True, timeout=900)
    yield base / "venv"
    shutil.rmtree(base, ignore_errors=True)


def run_without_namespaces(venv: Path, submission: Path, sandbox: str = "auto",
                           container: bool = False) -> tuple[dict, Path]:
    """run_autograder under no_userns.py; with `container`, under container.py: as in Gradescope's
    disposable container (the shared folders its own, so the grader locks them), /dev/shm's peak measured."""
    root = Path(tempfile.mkdtemp(prefix="bpteach-gs-", dir="/tmp"))
    os.chmod(root, 0o755)
    zip_path, _ = bundle(root / "autograder.zip", seed=11, sandbox=sandbox)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        for info in z.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    for name in ("submission", "results"):
        (root / name).mkdir()
    text = submission.read_text().replace("@ROOT@", str(root)).replace("@VENV@", str(venv))
    (root / "submission" / "answers.ipynb").write_text(text)
    env = {"PATH": "/usr/bin:/bin", "AUTOGRADER_ROOT": str(root), "BPTEACH_PYTHON": str(venv / "bin/python"),
           "BPTEACH_STUDENT_UID": str(UID)}
    wrapper = [str(HERE / "no_userns.py")]
    if container:
        wrapper = [str(HERE / "container.py"), f"{root}:{venv.parent}"]
        env["BPTEACH_DISPOSABLE"] = "1"
    done = subprocess.run([sys.executable, *wrapper, str(root / "source" / "run_autograder")],
                          env=env, capture_output=True, text=True, timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    peak = int(done.stdout.split()[-1]) if container else None
    return {"done": done, "results": results, "peak": peak}, root


def _attack(path: Path, body: str) -> Path:
    """The student version with every solution cell replaced by `body` (which knows the layout)."""
    nb = nbformat.read(STUDENT, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = body.replace("@ID@", cell.metadata["nbgrader"]["grade_id"])
    nbformat.write(nb, path)
    return path


READ_ANSWERS = '''
import json, glob
for _p in ["@ROOT@/source/vendor/bpteach/grading/notebooks/backprop-exercises.ipynb",
           *glob.glob("@VENV@/lib/python3*/site-packages/bpteach/grading/notebooks/backprop-exercises.ipynb")]:
    try:
        for _c in json.load(open(_p))["cells"]:
            if _c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "@ID@":
                exec("".join(_c["source"]))
        break
    except OSError as _e:
        print("could not read the answers:", _e)
'''

FORGE = '''
import glob, json, os, subprocess
_forged = json.dumps({"score": 14.0, "tests": [], "output": "forged"})
for _p in glob.glob("@VENV@/lib/python3*/site-packages"):
    try:
        open(_p + "/zz-forge.pth", "w").write(
            "import os; os.makedirs('@ROOT@/results', exist_ok=True); "
            "open('@ROOT@/results/results.json', 'w').write(" + repr(_forged) + ")\\n")
    except OSError as _e:
        print("no .pth:", _e)
try:
    open("@ROOT@/results/results.json", "w").write(_forged)
except OSError as _e:
    print("no results.json:", _e)
try:  # a process in a session of its own, that waits for the grader's results.json
    subprocess.Popen(["/bin/sh", "-c", "sleep 3; echo " + repr(_forged) + " > @ROOT@/results/results.json"],
                     start_new_session=True)
except OSError as _e:
    print("no process:", _e)
import shutil
shutil.rmtree(os.getcwd(), ignore_errors=True)  # the harness's folder: kill it, so that a new one starts
'''


@pytest.mark.parametrize("container", [False, True], ids=["no-namespaces", "disposable-container"])
def test_full_solution_scores_full_marks(venv, container):
    out, root = run_without_namespaces(venv, SOURCE, container=container)
    assert out["results"]["score"] == 14, out["done"].stderr[-2000:] + json.dumps(out["results"])[:2000]
    assert "in the 'user' sandbox" in out["results"]["output"]  # bubblewrap was refused: the user route ran
    assert not _uid_processes()
    assert stat.S_IMODE(os.stat(root / "source").st_mode) == 0o700  # protected before student code ran
    shutil.rmtree(root)


def test_reading_the_answers_scores_nothing(venv, tmp_path):
    attack = _attack(tmp_path / "read.ipynb", READ_ANSWERS)
    control, root = run_without_namespaces(venv, attack, sandbox="none")  # the attack is real: 14 without a wall
    shutil.rmtree(root)
    assert control["results"]["score"] == 14 and "'none' sandbox" in control["results"]["output"]
    out, root = run_without_namespaces(venv, attack)
    assert out["results"]["score"] == 0, json.dumps(out["results"])[:2000]
    assert not _uid_processes()
    shutil.rmtree(root)


def test_forging_results_scores_nothing_and_changes_nothing(venv, tmp_path):
    before = _tree_digest(venv)
    out, root = run_without_namespaces(venv, _attack(tmp_path / "forge.ipynb", FORGE))
    assert out["results"]["score"] == 0 and "in the 'user' sandbox" in out["results"]["output"]
    assert not _uid_processes(), "a process of the student user outlived the grading"
    time.sleep(4)  # longer than the forger's sleep: had it survived, it would have written by now
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0
    assert _tree_digest(venv) == before, "the grader's venv changed"
    assert not list(venv.glob("lib/python3*/site-packages/zz-forge.pth"))
    shutil.rmtree(root)


FLOOD = """
import os
_block, _made, _held = b"x" * (1 << 20), {}, []
for _place in (os.getcwd(), "/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
    _made[_place] = 0
    for _i in range(64):  # 60 MiB files, each held open and unlinked: no file scan would find them
        try:
            _f = open(f"{_place}/flood-@ID@-{_i}", "wb")
            for _ in range(60):
                _f.write(_block)
            _f.flush()
            os.unlink(_f.name)
            _held.append(_f)
        except OSError as _e:
            print(_place, type(_e).__name__)
            break
        _made[_place] += 1
print(_made)
"""


def test_a_disk_flood_is_stopped_near_the_cap(venv, tmp_path):
    """In the disposable container, the student uid writes only in its work folder, on /dev/shm, and the
    grader's watch kills it past user_route.DISK_BYTES: files of 60 MiB, unlinked while held open, stop
    there (an attack round wrote 640 MiB before; without the lock it could fill the container's disk).
    The full solution with the flood in its first exercise loses that exercise only."""
    from bpteach.grading.user_route import DISK_BYTES, WATCH_SECONDS

    nb = nbformat.read(SOURCE, as_version=4)
    first = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    first.source = FLOOD.replace("@ID@", first.metadata["nbgrader"]["grade_id"]) + first.source
    nbformat.write(nb, tmp_path / "flood.ipynb")
    out, root = run_without_namespaces(venv, tmp_path / "flood.ipynb", container=True)
    shutil.rmtree(root)
    results = out["results"]
    assert "in the 'user' sandbox" in results["output"], json.dumps(results)[:2000]
    assert "student code was stopped: its files took more than 256 MiB of disk" in results["output"]
    assert [t["score"] for t in results["tests"]] == [0, *[t["max_score"] for t in results["tests"][1:]]]
    assert "the sandbox ended" in results["tests"][0]["output"]
    assert not _uid_processes()
    # the overshoot: what the uid writes between two looks of the watch (every WATCH_SECONDS) and the kill
    print(f"peak {out['peak'] / 2**20:.0f} MiB held at once, cap {DISK_BYTES >> 20} MiB, looks every "
          f"{WATCH_SECONDS * 1000:.0f} ms; graded in {results['execution_time']} s")
    assert DISK_BYTES < out["peak"] < DISK_BYTES + 128 * 2**20, out["peak"]
