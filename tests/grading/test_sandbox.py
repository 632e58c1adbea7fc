"""The sandbox (bubblewrap), one guarantee at a time: its own process namespace, no new process, an
explicit environment, nothing of the grader's in sight."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared import GOOD, HERE, SANDBOXES, SETUP, cases, needs_bwrap, sandbox_processes

from bpteach.grading import runner
from bpteach.grading.sandbox import ENVIRONMENT


@needs_bwrap
def test_the_pid_namespace_ends_a_detached_process(monkeypatch):
    """With seccomp off (so that fork works), a double-forked setsid process dies with its exercise."""
    monkeypatch.setattr(runner, "SECCOMP", False)
    detach = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n"
              "        os._exit(0)\n    os._exit(0)\nos.wait()\n" + GOOD)
    with runner.Session("bwrap") as session:
        assert session.run(SETUP, GOOD, "output_delta", cases()).status == "ok"
        baseline = sandbox_processes()  # bwrap, its init, the harness
        run = session.run(SETUP, detach, "output_delta", cases())
        assert run.status == "ok", run.message
        assert sandbox_processes() == baseline


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_no_new_process_can_start(sandbox):
    code = ("import os, subprocess\ntry:\n    os.fork()\n    print('forked')\n"
            "except OSError as e:\n    print('refused', e)\n"
            "try:\n    subprocess.run(['true'])\n    print('spawned')\n"
            "except OSError as e:\n    print('refused', e)\n" + GOOD)
    run = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox=sandbox)
    assert run.status == "ok" and run.output.count("refused") == 2 and "forked" not in run.output


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_environment_is_explicit(sandbox, monkeypatch):
    monkeypatch.setenv("BPTEACH_GRADER_SEED", "12345")
    monkeypatch.setenv("SOME_TOKEN", "secret")
    run = runner.run_exercise(SETUP, "import os\nprint(sorted(os.environ))\n" + GOOD, "output_delta", cases(),
                              sandbox=sandbox)
    keys = set(eval(run.output.strip().splitlines()[0]))  # a printed list of strings
    assert keys <= set(ENVIRONMENT) | {"PWD", "LC_CTYPE"}, keys - set(ENVIRONMENT)
    assert "12345" not in run.output and "secret" not in run.output


@needs_bwrap
def test_the_sandbox_sees_no_repository_home_or_bpteach():
    code = ("import os, sys\nprint([p for p in ('" + str(HERE) + "', '" + str(Path.home()) + "/.bashrc', '"
            + str(Path(runner.__file__).parent) + "/grade.py') if os.path.exists(p)])\n"
            "print(sorted(os.listdir('/etc')) if os.path.isdir('/etc') else [])\n" + GOOD)
    run = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox="bwrap")
    lines = run.output.strip().splitlines()
    assert run.status == "ok"
    assert lines[0] == "[]"
    assert eval(lines[1]) in ([], ["ld.so.cache"])
