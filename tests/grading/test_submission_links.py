"""A submission is the file itself, never what a link points to: the grader reads it as its own user (root on
Gradescope, which checks out a student's repository, links included), so a link to the notebook with the
solutions scored 14/14, and one to a classmate's file scored their grade (tools/attack-round/, round j24a)."""

from __future__ import annotations

import os
import threading

from bpteach.grading.batch import grade_path, sources
from bpteach.grading.grade import grade_submission

SOURCE = sources()["backprop-exercises"]


def test_a_link_to_the_solutions_scores_nothing(tmp_path):
    link = tmp_path / "answers.ipynb"
    link.symlink_to(SOURCE)
    report = grade_submission(link, seed=7, sandbox="none")
    assert report["score"] == 0.0
    assert any("symbolic link" in note for note in report["notes"]), report["notes"]
    assert grade_submission(SOURCE, seed=7, sandbox="none")["score"] == 14.0  # the attack is real without the check


def test_a_link_to_a_classmates_file_scores_nothing(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(SOURCE.read_bytes())
    (subs / "mallory.ipynb").symlink_to("alice.ipynb")
    scores = {r["submission"]: r["score"] for r in grade_path(subs, tmp_path / "out", seed=7, sandbox="none",
                                                                 progress=False)}
    assert scores == {"alice.ipynb": 14.0, "mallory.ipynb": 0.0}


def test_a_fifo_gets_a_report_and_does_not_block(tmp_path):
    fifo = tmp_path / "answers.ipynb"
    os.mkfifo(fifo)
    done = []
    worker = threading.Thread(target=lambda: done.append(grade_submission(fifo, seed=7, sandbox="none")), daemon=True)
    worker.start()
    worker.join(30)
    if not done:  # unblock the reader that waits for a writer
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert done and done[0]["score"] == 0.0
    assert any("not a regular file" in note for note in done[0]["notes"]), done[0]["notes"]


def test_a_batch_does_not_read_through_a_link(tmp_path):
    """The resume digest opens the link itself too: a link to an endless file (/proc/kcore) hung the batch."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory.ipynb").symlink_to(SOURCE)
    (report,) = grade_path(subs, tmp_path / "out", seed=7, sandbox="none", progress=False)
    assert report["score"] == 0.0 and report["sha256"] == ""
