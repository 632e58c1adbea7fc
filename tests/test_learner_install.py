"""A learner's install without a clone: the wheel, a fresh venv, `bpteach lab DIR`. The executed
series lands in DIR (a learner's edited notebook is kept, never overwritten) and a notebook from it
passes strict nbval there, with bpteach from the wheel."""

from __future__ import annotations

from pathlib import Path

from wheelvenv import run, shared_wheel

REPO = Path(__file__).resolve().parents[1]


def test_bpteach_lab_from_the_wheel(tmp_path, tmp_path_factory):
    wheel = shared_wheel(tmp_path_factory)
    venv, python, purelib = wheel["bin"].parent, wheel["python"], str(wheel["purelib"])
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
                 str(work / "series" / "03-cost-and-one-weight.ipynb")], cwd=work, env=env)
    assert " passed" in nbval.stdout and "failed" not in nbval.stdout
