"""bubblewrap hides every bpteach copy it binds, not only the running one (a second install in the
grader's venv, or one under /usr, would otherwise show its solution notebooks to a submission)."""

import os
import subprocess
import sys
import sysconfig

import pytest

from bpteach.grading import sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="bwrap unavailable here")


def test_a_second_bpteach_copy_in_a_site_packages_is_out_of_sight(fake_site):
    """Of a site-packages the sandbox shows only what numpy and IPython need: a second bpteach install
    there (an instructor's `pip install .` beside the checkout) is not bound, nor is any other file."""
    (fake_site / "bpteach" / "grading" / "notebooks").mkdir(parents=True)
    (fake_site / "bpteach" / "__init__.py").write_text("")
    answers = fake_site / "bpteach" / "grading" / "notebooks" / "backprop-exercises.ipynb"
    answers.write_text("the answers")
    paths = [fake_site / "needed" / "__init__.py", fake_site / "other.txt", answers, fake_site / "bpteach"]
    probe = f"import os; print(*(os.path.exists(p) for p in {[str(p) for p in paths]!r}))"
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    assert done.stdout.split() == ["True", "False", "False", "False"], done.stdout + done.stderr


def test_the_sandbox_sees_no_other_program_or_package():
    """Not all of /usr, not a whole site-packages: /usr holds the shared libraries (and setpriv for a
    root grader), and the grader's own site-packages only numpy, IPython and what they require."""
    site = next(p for p in sys.path if p.endswith("site-packages") and os.path.isdir(os.path.join(p, "numpy")))
    probe = ("import os, sys\nprint(sorted(os.listdir('/usr')))\nprint(sorted(os.listdir('/usr/lib')))\n"
             f"print(sorted(os.listdir({site!r})))\nimport numpy, IPython\nprint('imported')\n")
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    usr, lib, inside, imported = done.stdout.strip().splitlines()
    assert set(eval(usr)) <= {"bin", "lib", "lib32", "lib64"}, usr
    multiarch = sysconfig.get_config_var("MULTIARCH")
    if multiarch and os.path.isdir(f"/usr/lib/{multiarch}"):  # not git, a browser or another Python
        assert eval(lib) == [multiarch], lib
    if "bin" in eval(usr):
        assert os.geteuid() == 0, usr  # setpriv only
    names = {name.split("-")[0].split(".")[0].lower() for name in eval(inside)}
    assert {"numpy", "ipython", "traitlets"} <= names, inside
    assert not names & {"jupyterlab", "matplotlib", "pytest", "bpteach", "torch", "pip", "setuptools"}, inside
    assert not [name for name in eval(inside) if name.endswith(".pth")], inside
    assert imported == "imported"


@pytest.mark.parametrize("euid", [0, 1000])
def test_the_cover_over_a_site_packages_takes_no_file(fake_site, monkeypatch, euid):
    """bwrap's tmpfs over a site-packages (or over a hidden copy) belongs to the sandbox's uid under a user
    namespace (a grader that is not root) and has no size cap: writable, it would hold half the host's
    memory beside /tmp's 256 MiB. Each is remounted read-only."""
    if euid == 0 and os.geteuid() != 0:
        pytest.skip("the root grader's command needs root")
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)  # as root, the user namespace maps 65534 to root
    targets = [str(fake_site / "f"), str(fake_site / "needed" / "f")]
    probe = (f"import errno\nfor p in {targets!r}:\n    try:\n        open(p, 'w').write('x' * 4096)\n"
             "        print('wrote')\n    except OSError as e:\n        print(errno.errorcode[e.errno])\n")
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    assert len(done.stdout.split()) == 2 and set(done.stdout.split()) <= {"EROFS", "EACCES"}, done.stdout + done.stderr


def test_a_site_packages_deep_inside_a_bound_folder_is_covered(tmp_path, monkeypatch):
    """A Python bundled deep inside a bound folder (google-cloud-sdk's, in /usr/lib) brings a site-packages
    with its own packages and .pth files: covered however deep it sits (round k24c)."""
    site = tmp_path / "sdk" / "platform" / "bundled" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    (site / "six.py").write_text("")
    (site / "extra.pth").write_text("/anywhere\n")
    tmp_path.chmod(0o755)  # as a Python install is: a root grader's sandbox (uid 65534) goes through it
    real = sandbox.python_install()
    monkeypatch.setattr(sandbox, "python_install", lambda: [*real, str(tmp_path)])
    probe = f"import os; print(os.path.isdir({str(tmp_path / 'sdk')!r}), os.listdir({str(site)!r}))"
    done = subprocess.run(sandbox.command(sys.executable, probe, "{}"), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
    assert done.stdout.split() == ["True", "[]"], done.stdout + done.stderr
