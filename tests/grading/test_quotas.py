"""What the host gives one sandbox beyond rlimits (quotas.py): a /tmp capped in files, and a memory cgroup
that counts kernel memory. Both need a root grader (a mount, a writable cgroup); elsewhere the threat model
says what stays unlimited."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from shared import GOOD, SETUP, cases

from bpteach.grading import quotas, runner, sandbox

pytestmark = pytest.mark.skipif(not sandbox.available(), reason="bwrap unavailable here")

FLOOD = ("import errno, os, time\nn, end = 0, time.monotonic() + {seconds}\n"
         "try:\n    while time.monotonic() < end:\n        os.mkdir(f'/tmp/d{{n}}'); n += 1\n"
         "except OSError as e:\n    print(n, errno.errorcode[e.errno])\nelse:\n    print(n, 'none')\n")


def _memory_cgroup_writable() -> bool:
    """Read from the kernel, not from quotas.py: whether this process may make a memory cgroup."""
    for line in open("/proc/self/cgroup").read().splitlines():
        _, controllers, where = line.split(":", 2)
        folder = os.path.join("/sys/fs/cgroup", controllers, where.lstrip("/"))
        if "memory" in controllers.split(","):
            return os.access(folder, os.W_OK)
        control = os.path.join(folder, "cgroup.subtree_control")
        if not controllers and os.path.exists(control) and "memory" in open(control).read().split():
            return os.access(folder, os.W_OK)
    return False


def _slab_kib() -> int:
    return next(int(ln.split()[1]) for ln in open("/proc/meminfo") if ln.startswith("Slab:"))


def test_a_folder_flood_stops_at_the_scratch_inode_cap():
    """Empty folders cost kernel memory no rlimit counts: the sandbox's /tmp caps their number."""
    if os.geteuid() != 0:
        pytest.skip("only a grader running as root can mount the capped tmpfs")
    flood = FLOOD.format(seconds=20)
    scratch = quotas.scratch()
    assert scratch is not None, "root, yet the capped tmpfs could not be mounted"
    before = _slab_kib()
    try:
        done = subprocess.run(sandbox.command(sys.executable, flood, "{}", scratch), capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin"}, cwd="/", timeout=60)
        grown = _slab_kib() - before
    finally:
        quotas.release_scratch(scratch)
    made, why = done.stdout.split()
    assert why == "ENOSPC" and int(made) < quotas.TMPFS_INODES, done.stdout + done.stderr
    assert grown < 256 * 1024, f"the host's slab grew by {grown / 1024:.0f} MiB"


def test_kernel_memory_past_the_sandboxs_memory_cgroup_ends_the_sandbox_not_the_host(monkeypatch):
    """Without the tmpfs's file cap, empty folders are kernel memory (inodes, dentries) outside every rlimit:
    477,000 in 8 s here, about 1 GB of slab. The sandbox's memory cgroup counts them: at its limit (made
    small here) the kernel kills inside the sandbox, the report says why, and honest code under the same
    limit is graded as usual."""
    if not _memory_cgroup_writable():
        pytest.skip("no writable memory cgroup here: the threat model says kernel memory is then unlimited")
    probe = quotas.cgroups(1024**3)
    seen = [quotas.memory_events([group]) for group in probe]
    quotas.release(probe)
    assert seen.count((0, 0, 1024**3)) == 1, (probe, seen)
    monkeypatch.setattr(quotas, "TMPFS_INODES", 10**7)  # as where the grader cannot mount its tmpfs
    monkeypatch.setattr(quotas, "memory_limit", lambda address_space: 200 * 1024**2)
    flood = runner.run_exercise(SETUP, FLOOD.format(seconds=30) + GOOD, "output_delta", cases(), sandbox="bwrap")
    assert flood.status == "error" and flood.seconds < 30, (flood.status, flood.output, flood.seconds)
    assert "all of its 200 MiB of memory, kernel memory included" in flood.message, flood.message
    honest = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), sandbox="bwrap")
    assert honest.status == "ok", honest.message


# Memory held in socket buffers: charged to the sandbox's cgroup, in no process's resident memory (which the
# kernel's OOM killer weighs when the grader's machine, or its container, runs out).
MALLORY = """
import socket, time
_held, _pairs, _chunk, _end = 0, [], b"x" * 65536, time.monotonic() + 20
while _held < (1400 << 20) and time.monotonic() < _end:
    try:
        _a, _b = socket.socketpair()
    except OSError:
        break
    for _s in (_a, _b):
        _s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        _s.setblocking(False)
        try:
            while True:
                _held += _s.send(_chunk)
        except OSError:
            pass
    _pairs.append((_a, _b))
time.sleep(5)
"""
HONEST = "import time\n_work = np.ones(20_000_000)  # 160 MB of honest scratch space\ntime.sleep(4)\n"
SIDE_BY_SIDE = """
import json, sys, threading, time
sys.path.insert(0, sys.argv[1])
from shared import GOOD, SETUP, cases
from bpteach.grading import quotas, runner
got = {}
def grade(name, code):
    got[name] = runner.run_exercise(SETUP, code + GOOD, "output_delta", cases(), sandbox="bwrap")
with quotas.side_by_side(2):
    threads = [threading.Thread(target=grade, args=("mallory", sys.argv[2]))]
    threads[0].start()
    time.sleep(1)
    threads.append(threading.Thread(target=grade, args=("honest", sys.argv[3])))
    threads[1].start()
    for t in threads:
        t.join()
print(json.dumps({k: [r.status, r.message] for k, r in got.items()}))
"""


def test_one_submission_cannot_take_the_memory_of_the_others_or_the_graders():
    """A grader in a container of 1.5 GiB grading two submissions at once: one fills socket buffers (no
    process's resident memory), the other honestly holds 160 MB. With each sandbox's limit its share of
    what is free, the first reaches its own limit and is killed there; before, both limits (2.75 GiB each)
    outgrew the container and the kernel killed the task with most resident memory: the honest exercise,
    blamed for "all of its memory", or the grader (round k24c)."""
    if not _memory_cgroup_writable():
        pytest.skip("no writable memory cgroup here")
    own = next(ln.split(":", 2)[2].strip() for ln in open("/proc/self/cgroup") if ":memory:" in ln)
    parent = tempfile.mkdtemp(prefix="bpteach-test-container-", dir=f"/sys/fs/cgroup/memory{own}")
    try:
        with open(os.path.join(parent, "memory.limit_in_bytes"), "w") as f:
            f.write(str(1536 * 1024**2))
        enter = 'echo $$ > "$0/cgroup.procs" && exec "$@"'
        done = subprocess.run(["/bin/sh", "-c", enter, parent, sys.executable, "-c", SIDE_BY_SIDE,
                               str(Path(__file__).parent), MALLORY, HONEST],
                              capture_output=True, text=True, timeout=300)
    finally:
        for _ in range(300):
            try:
                os.rmdir(parent)
                break
            except OSError:
                time.sleep(0.01)
    assert done.returncode == 0, f"the grader died: {done.returncode} {done.stderr[-2000:]}"
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["honest"] == ["ok", ""], got
    assert got["mallory"][0] == "error" and "all of its" in got["mallory"][1], got
