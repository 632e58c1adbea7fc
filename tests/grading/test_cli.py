"""`bpteach grade` on the command line: its refusals and errors, and student text shown as text."""

from __future__ import annotations

import json
import shutil

from shared import FIXTURES, cli


def test_refuses_without_bwrap(tmp_path):
    done = cli("grade", str(FIXTURES / "ex1-sign-flipped.ipynb"), "--out", str(tmp_path), env={"PATH": "/nonexistent"})
    assert done.returncode == 2
    assert "bubblewrap" in done.stderr and "--no-sandbox" in done.stderr
    assert not (tmp_path / "report.json").exists()


def test_no_source_or_no_submission_is_an_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    no_ex = tmp_path / "plain.ipynb"
    no_ex.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    sub = str(FIXTURES / "ex1-sign-flipped.ipynb")
    for args, says in ((["grade", sub, "--source", str(bad)], "cannot read the exercise source"),
                       (["grade", sub, "--source", str(no_ex)], "no exercise found"),
                       (["grade", str(tmp_path / "empty")], "does not exist")):
        done = cli(*args, "--out", str(tmp_path / "out"), "--no-sandbox")
        assert done.returncode == 2 and says in done.stderr, done.stderr
    (tmp_path / "empty").mkdir()
    done = cli("grade", str(tmp_path / "empty"), "--no-sandbox")
    assert done.returncode == 2 and "no .ipynb file" in done.stderr


def test_terminal_shows_a_file_name_as_text(tmp_path):
    """A submission named with terminal escapes (cursor up, erase line) cannot draw a fake score line."""
    name = "bob\x1b[1A\x1b[2K\ralice.ipynb: 14 \r"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIXTURES / "ex1-sign-flipped.ipynb", folder / f"{name}.ipynb")
    done = cli("grade", str(folder), "--out", str(tmp_path / "out"), "--seed", "5", "--no-progress", "--no-sandbox")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert "bob\\x1b[1A\\x1b[2K\\ralice.ipynb: 14 \\r.ipynb: 0 / 14" in done.stdout
