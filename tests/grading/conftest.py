"""Shared by the grading tests."""

import processes
import pytest

from bpteach.grading import sandbox

processes.become_subreaper()


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A site-packages on the path with a distribution `needed` the sandbox binds (as numpy is), beside
    a file no needed distribution owns: the sandbox sees the first, never the second."""
    site = tmp_path / "lib" / "python3" / "site-packages"
    (site / "needed").mkdir(parents=True)
    (site / "needed" / "__init__.py").write_text("")
    info = site / "needed-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: needed\nVersion: 1.0\n")
    (info / "RECORD").write_text("".join(f"{name},,\n" for name in (
        "needed/__init__.py", "needed-1.0.dist-info/METADATA", "needed-1.0.dist-info/RECORD")))
    (site / "other.txt").write_text("not needed")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(sandbox, "PACKAGES", (*sandbox.PACKAGES, "needed"))
    sandbox.package_entries.cache_clear()  # another test's "needed" was elsewhere
    assert str(site) in sandbox.site_folders(sandbox.python_install())
    assert str(site / "needed") in sandbox.package_entries(sandbox.PACKAGES)
    return site
