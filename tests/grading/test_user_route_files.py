"""The `user` route removes what the student uid left in the shared writable folders: on a machine
that grades a class this way, files left in /tmp or /dev/shm would fill the disk or memory for the
next classmate (or wait for their code)."""

import os

import pytest

from bpteach.grading import user_route

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (the route's grader is root)")
UID = 64999  # a uid nobody uses here, as the student's


def test_the_student_uids_files_are_removed_and_no_others(tmp_path):
    shared, other = tmp_path / "tmp", tmp_path / "tmp" / ".X11-unix"
    other.mkdir(parents=True)
    os.chmod(other, 0o1777)  # another's world-writable folder inside: searched too
    flood = shared / "flood"
    (flood / "a" / "b").mkdir(parents=True)
    (shared / "planted.py").write_text("print('for the next one')")
    (other / "hidden").write_text("x")
    (shared / "grader").write_text("the grader's own")
    (shared / "link").symlink_to("/etc/passwd")
    for path in (flood, flood / "a", flood / "a" / "b", shared / "planted.py", other / "hidden"):
        os.chown(path, UID, UID)
    os.lchown(shared / "link", UID, UID)
    os.chmod(flood / "a", 0)  # a folder its owner locked: root removes it anyway
    assert user_route.remove_user_files(UID, (str(shared),)) == 4
    assert sorted(p.name for p in shared.iterdir()) == [".X11-unix", "grader"]
    assert list(other.iterdir()) == [] and os.path.exists("/etc/passwd")
