"""harness.remove_tree: the clean-up of a folder a submission made, inside the sandbox and out."""

import os

from bpteach.grading.harness import remove_tree


def test_remove_tree_follows_no_link_and_opens_closed_folders(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the submission's")
    tree = tmp_path / "tree"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f").write_text("x")
    (tree / "to-outside").symlink_to(outside)
    (tree / "a" / "to-file").symlink_to(outside / "keep.txt")
    (tree / "a" / "b").chmod(0)
    (tree / "a").chmod(0o500)
    remove_tree(str(tree))
    assert not os.path.lexists(tree)
    assert (outside / "keep.txt").read_text() == "not the submission's"
    remove_tree(str(tmp_path / "missing"))  # nothing there: nothing to do, no error
    link = tmp_path / "link"
    link.symlink_to(outside)
    remove_tree(str(link))  # a link is removed as a link
    assert not os.path.lexists(link) and (outside / "keep.txt").exists()
