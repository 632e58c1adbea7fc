"""bubblewrap started by a grader running as root: the submission is the host's uid 65534, not root.

With bwrap's own user namespace, the sandbox's uid 65534 is root's outside: every root-owned 0600 file
on a bound path (the Python install, a site-packages) was readable, and what the kernel counts per user
was counted against root (RLIMIT_NPROC did not hold at all). As root, sandbox.command makes no user
namespace and starts the harness under setpriv as the host's uid 65534, with no capability."""

from __future__ import annotations

import os
import sys
import threading
import time

import processes
import pytest
from shared import GOOD, SETUP, cases

from bpteach.grading import quotas, runner, sandbox
from bpteach.grading.harness import MARKER

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="bwrap unavailable here")
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="the grader is not root: bwrap's user namespace is the route")


@pytest.mark.parametrize("euid", [0, 1000])
def test_only_a_root_grader_drops_bwraps_user_namespace(monkeypatch, euid):
    monkeypatch.setattr(sandbox.os, "geteuid", lambda: euid)
    argv = sandbox.command(sys.executable, "pass", "{}")
    tail = argv[argv.index("--") + 1:]
    if euid:  # unchanged: bwrap's own user namespace, uid 65534 inside (the grader's outside)
        assert {"--unshare-all", "--unshare-user", "--uid"} <= set(argv) and "--cap-add" not in argv
        assert tail[0] == sys.executable
    else:  # no user namespace; setpriv drops to the host's uid 65534 before Python starts
        assert not {"--unshare-all", "--unshare-user", "--uid", "--unshare-user-try"} & set(argv)
        assert tail[:tail.index("--")] == sandbox.drop_privileges(sandbox.NOBODY)[:-1]
        assert "--reuid=65534" in tail and "--bounding-set=-all" in tail and "--no-new-privs" in tail

PROBE = """
import errno, os
for _path in {paths!r}:
    try:
        with open(_path) as _f:
            print("read", _f.read())
    except OSError as _e:
        print("refused", errno.errorcode[_e.errno])
"""


@as_root
def test_a_root_only_file_on_a_bound_path_is_refused(fake_site):
    secret, beside = fake_site / "needed" / "secret.txt", fake_site / "needed" / "public.txt"
    secret.write_text("root's secret")
    secret.chmod(0o600)  # root-owned, as the grader (root) made it
    beside.write_text("world-readable")
    beside.chmod(0o644)
    code = PROBE.format(paths=[str(beside), str(secret)]) + GOOD
    run = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox="bwrap")
    assert run.status == "ok", run.message
    lines = run.output.strip().splitlines()
    assert lines == ["read world-readable", "refused EACCES"], run.output  # bound and seen, yet not readable
    assert "secret" not in run.output


@as_root
def test_every_process_of_the_submission_is_the_hosts_uid_65534():
    """Seen from the host while an exercise runs: the harness, the shim and the exercise process are all
    uid 65534 (real, effective, saved, file system), with no capability in the host's user namespace;
    the exercise is still PID 1 of its own namespace; only bwrap itself (no submission code) stays root."""
    code = "import os, time\nprint(os.getpid())\ntime.sleep(3)\n" + GOOD
    seen: dict[int, tuple[list[str], str, str]] = {}
    host = os.readlink("/proc/self/ns/user")
    groups: dict[int, str] = {}
    result = {}

    def grade():
        result["run"] = runner.run_exercise(SETUP, code, "output_delta", cases(), sandbox="bwrap")

    worker = threading.Thread(target=grade)
    worker.start()
    while worker.is_alive():
        for pid in processes.own_processes():
            argv = processes.argv(pid)
            if MARKER.encode() in argv and not argv.split(b"\0")[0].endswith((b"bwrap", b"sh")):
                try:
                    with open(f"/proc/{pid}/status") as f:
                        caps = next(ln for ln in f if ln.startswith("CapEff:")).split()[1]
                except (OSError, StopIteration):
                    continue
                try:
                    userns = os.readlink(f"/proc/{pid}/ns/user")
                except OSError:
                    continue
                seen[pid] = (processes.uids(pid), caps, userns)
                with open(f"/proc/{pid}/cgroup") as f:
                    groups[pid] = f.read()
        time.sleep(0.05)
    worker.join()
    run = result["run"]
    assert run.status == "ok", run.message
    assert run.output.split()[0] == "1", run.output  # PID 1 of the exercise's own namespace
    assert len(seen) >= 3, seen  # the harness, the shim, the exercise process
    assert all(uids == ["65534"] * 4 for uids, _, _ in seen.values()), seen
    # the harness holds none; the shim and the exercise process hold some in their own user namespace
    # only, which owns nothing of the host's
    assert any(ns == host for _, _, ns in seen.values()), seen
    assert all(caps == "0" * 16 for _, caps, ns in seen.values() if ns == host), seen
    probe = quotas.cgroups(1024**3)  # where the grader can make them, every task of the sandbox is in them
    quotas.release(probe)
    for controller in ("pids", "memory"):
        if any(f"/{controller}/" in group or f"/{controller}," in group for group in probe):
            assert all(f":{controller}:" in text and "bpteach-sandbox-" in text.split(f":{controller}:")[1].split()[0]
                       for text in groups.values()), groups


THREADS = """
import threading, time
_started = 0
_stop = threading.Event()
for _ in range(200):
    try:
        threading.Thread(target=_stop.wait, daemon=True).start()
        _started += 1
    except RuntimeError:
        break
_stop.set()
print(_started)
"""


@as_root
def test_rlimit_nproc_holds_now_that_the_uid_is_not_roots():
    """Threads are allowed by the filter; RLIMIT_NPROC (PROCESSES) caps them: the kernel exempts root's uid."""
    run = runner.run_exercise(SETUP, THREADS + GOOD, "output_delta", cases(), sandbox="bwrap")
    assert run.status == "ok", run.message
    assert int(run.output.split()[0]) < runner.limits()["processes"], run.output
