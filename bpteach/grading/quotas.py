"""What the host gives one sandbox beyond rlimits: a pids cgroup, and a tmpfs for /tmp capped in bytes
and in files. Each is made only where the grader can (root, a writable cgroup); the threat model
(bpteach/grading/__init__.py) says what is unlimited where it cannot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PIDS = 256  # tasks (processes and threads) of one sandbox, where a pids cgroup can be made
TMPFS_BYTES = 256 * 1024**2  # the only writable place
# Files and folders in it: each costs kernel memory (inodes, dentries) that no rlimit counts; without a
# cap, empty folders made for 17 s grew the host's slab by 3 GB. bwrap's own tmpfs takes a size only,
# so a grader that can mount (root) makes the tmpfs itself, with nr_inodes (`scratch`).
TMPFS_INODES = 16384


def scratch() -> str | None:
    """A tmpfs of TMPFS_BYTES and TMPFS_INODES for one sandbox's /tmp, or None where the grader cannot
    mount (not root, or a container without CAP_SYS_ADMIN). It sits one level inside a folder only root
    can enter, so no other user of the host reaches it while it is mounted."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    outer = tempfile.mkdtemp(prefix="bpteach-scratch-")
    inner = os.path.join(outer, "tmp")
    os.mkdir(inner)
    options = f"size={TMPFS_BYTES},nr_inodes={TMPFS_INODES},mode=1777,nosuid,nodev"
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "bpteach-scratch", inner], capture_output=True)
    if done.returncode != 0:
        shutil.rmtree(outer, ignore_errors=True)
        return None
    return inner


def release_scratch(inner: str | None) -> None:
    """Unmount and remove what `scratch` made (lazily: the sandbox's last task may still be exiting)."""
    if inner:
        subprocess.run(["umount", "-l", inner], capture_output=True)
        shutil.rmtree(os.path.dirname(inner), ignore_errors=True)


def pids_cgroup() -> str | None:
    """A new pids cgroup capped at PIDS tasks for one sandbox, or None where the grader cannot make one.

    Threads are allowed, and RLIMIT_NPROC counts one exercise's user namespace only (and did not hold
    at all while a root grader's sandbox uid was root's outside): the cgroup bounds the whole sandbox,
    harness and every exercise, so that no submission starts tasks until the host has no PID left
    (pid_max is often 32768), for every other process and every other submission.
    """
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, where = line.split(":", 2)
        if "pids" in controllers.split(","):  # cgroup v1
            parent = Path("/sys/fs/cgroup/pids") / where.lstrip("/")
        elif controllers == "" and "pids" in _read(Path("/sys/fs/cgroup", where.lstrip("/"), "cgroup.subtree_control")):
            parent = Path("/sys/fs/cgroup", where.lstrip("/"))  # cgroup v2, pids delegated to children
        else:
            continue
        try:
            group = Path(tempfile.mkdtemp(prefix="bpteach-sandbox-", dir=parent))
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(PIDS))
            return str(group)
        except OSError:
            release(str(group))
    return None


def release(group: str | None) -> None:
    """Remove a cgroup pids_cgroup made (once its tasks are gone)."""
    for _ in range(300 if group else 0):  # the sandbox's last tasks may take a moment to be reaped
        try:
            os.rmdir(group)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)


def in_cgroup(group: str | None, argv: list[str]) -> list[str]:
    """argv, started inside `group` (before bwrap runs, so every task of the sandbox is in it)."""
    if not group:
        return argv
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', os.path.join(group, "cgroup.procs"), *argv]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
