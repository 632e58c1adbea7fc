"""What the host gives one sandbox beyond rlimits (quotas.py): a /tmp capped in files, and a memory cgroup
that counts kernel memory. Both need a root grader (a mount, a writable cgroup); elsewhere the threat model
says what stays unlimited."""

import os
import subprocess
import sys

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
    seen = [quotas.oom_kills([group]) for group in probe]
    quotas.release(probe)
    assert seen.count((0, 1024**3)) == 1, (probe, seen)
    monkeypatch.setattr(quotas, "TMPFS_INODES", 10**7)  # as where the grader cannot mount its tmpfs
    monkeypatch.setattr(quotas, "memory_limit", lambda address_space: 200 * 1024**2)
    flood = runner.run_exercise(SETUP, FLOOD.format(seconds=30) + GOOD, "output_delta", cases(), sandbox="bwrap")
    assert flood.status == "error" and flood.seconds < 30, (flood.status, flood.output, flood.seconds)
    assert "all of its 200 MiB of memory, kernel memory included" in flood.message, flood.message
    honest = runner.run_exercise(SETUP, GOOD, "output_delta", cases(), sandbox="bwrap")
    assert honest.status == "ok", honest.message
