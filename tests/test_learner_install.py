"""A learner's install without a clone: the wheel, a fresh venv, `bpteach lab DIR`. The executed
series lands in DIR (a learner's edited notebook is kept, never overwritten) and a notebook from it
passes strict nbval there, with bpteach from the wheel."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{argv}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_bpteach_lab_from_the_wheel(tmp_path):
    tree = tmp_path / "tree"  # building leaves nothing in the checkout
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    for name in ("bpteach", "notebooks"):
        shutil.copytree(REPO / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "my-exercises"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(tree)])
    wheel = next((tmp_path / "dist").glob("bpteach-*.whl"))
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # the dependencies from this venv (no download); bpteach itself only from the wheel
    Path(purelib, "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel)])  # fmt: skip
    work = tmp_path / "home"
    work.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(work)}
    done = run([str(venv / "bin" / "bpteach"), "lab", "series", "--no-open"], cwd=work, env=env)
    names = sorted(p.name for p in (work / "series").glob("*.ipynb"))
    assert names == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]-*.ipynb")), done.stdout
    assert (work / "series" / names[1]).read_bytes() == (REPO / "notebooks" / names[1]).read_bytes()  # executed
    mine = work / "series" / names[0]
    mine.write_text(mine.read_text().replace("back-propagation", "backprop, my notes"))
    edited = mine.read_bytes()
    done = run([str(venv / "bin" / "bpteach"), "lab", "series", "--no-open"], cwd=work, env=env)
    assert mine.read_bytes() == edited and f"{len(names)} already there kept" in done.stdout
    where = run([str(python), "-c", "import bpteach; print(bpteach.__file__)"], cwd=work, env=env).stdout
    assert where.startswith(purelib)
    nbval = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
                 "--nbval-sanitize-with", str(REPO / "tests" / "nbval_sanitize.cfg"), "-c", "/dev/null",
                 str(work / "series" / "03-cost-and-one-weight.ipynb")], cwd=work, env=env)  # fmt: skip
    assert " passed" in nbval.stdout and "failed" not in nbval.stdout
