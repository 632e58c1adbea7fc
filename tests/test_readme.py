"""The README's API tour is code a reader will paste: it must run and say what it claims."""

import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_readme_api_tour_runs():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "the README has a python block"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile("\n".join(blocks), "README.md", "exec"), {})
    assert "W[2]: expected shape (4, 3), got (3, 3)" in out.getvalue()


def test_readme_quickstart_is_the_two_make_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quickstart", 1)[1].split("##", 1)[0]
    blocks = [[ln.split("#")[0].strip() for ln in b.splitlines()] for b in re.findall(r"```\n(.*?)```", quick, re.S)]
    assert [c for c in blocks[0] if c] == ["make lab", "make test"]  # from a clone: the two commands, first
    assert [c.split()[:2] for c in blocks[1] if c] == [["pip", "install"], ["bpteach", "lab"]]  # without one
    assert "make book" in quick
