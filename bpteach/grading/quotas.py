"""What the host gives one sandbox beyond rlimits: cgroups capping its tasks and its memory (kernel
memory included), and a tmpfs for /tmp capped in bytes and in files. Each is made only where the
grader can (root, a writable cgroup); the threat model (bpteach/grading/__init__.py) says what is
unlimited where it cannot.
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
MEMORY_MARGIN = 512 * 1024**2  # the harness and the kernel's share, beside one exercise and the tmpfs


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


def memory_limit(address_space: int) -> int:
    """One sandbox's memory, kernel memory included: one exercise's address space (RLIMIT_AS), its tmpfs's
    pages and the harness beside it. Honest grading stays far below it; what no rlimit counts (slab
    of folders and dentries, pipe and socket buffers, page tables) cannot grow past it."""
    return address_space + TMPFS_BYTES + MEMORY_MARGIN


def cgroups(memory: int) -> list[str]:
    """New cgroups for one sandbox, capped at PIDS tasks and `memory` bytes (kernel memory included),
    as many as the grader can make (none without a writable cgroup; cgroup v1 has a hierarchy per
    controller, v2 one group for both).

    Threads are allowed, and RLIMIT_NPROC counts one exercise's user namespace only: the pids cgroup
    bounds the whole sandbox, harness and every exercise, so that no submission starts tasks until the
    host has no PID left (pid_max is often 32768). The memory cgroup charges what the kernel allocates
    for the sandbox's tasks (empty folders made for 17 s once grew the host's slab by 3 GB, outside
    every rlimit): past `memory`, the kernel reclaims or kills inside the sandbox, not on the host.
    """
    values = {"pids": str(PIDS), "memory": str(memory)}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    made, done = [], set()
    for line in lines:
        _, controllers, where = line.split(":", 2)
        if controllers:  # cgroup v1: its own hierarchy, a group and a limit file per controller
            for name in set(controllers.split(",")) & set(values) - done:
                group = _make(Path("/sys/fs/cgroup", controllers, where.lstrip("/")), {V1[name]: values[name]})
                if group:
                    made.append(group)
                    done.add(name)
        else:  # cgroup v2: one group, with every controller delegated to children
            delegated = _read(Path("/sys/fs/cgroup", where.lstrip("/"), "cgroup.subtree_control")).split()
            wanted = {V2[name]: values[name] for name in set(values) - done if name in delegated}
            group = _make(Path("/sys/fs/cgroup", where.lstrip("/")), wanted) if wanted else None
            if group:
                made.append(group)
                done.update(name for name in values if V2[name] in wanted)
    return made


V1 = {"pids": "pids.max", "memory": "memory.limit_in_bytes"}
V2 = {"pids": "pids.max", "memory": "memory.max"}


def _make(parent: Path, limits: dict[str, str]) -> str | None:
    try:
        group = Path(tempfile.mkdtemp(prefix="bpteach-sandbox-", dir=parent))
    except OSError:
        return None
    try:
        for name, value in limits.items():
            (group / name).write_text(value)
        return str(group)
    except OSError:
        release([str(group)])
        return None


def release(groups: list[str]) -> None:
    """Remove the cgroups `cgroups` made (once their tasks are gone)."""
    for group in groups:
        for _ in range(300):  # the sandbox's last tasks may take a moment to be reaped
            try:
                os.rmdir(group)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.01)


def oom_kills(groups: list[str]) -> tuple[int, int]:
    """How many tasks the kernel killed at the memory cgroup's limit so far, and that limit in bytes
    ((0, 0) without a memory cgroup): what a student's report says when their code ran out of memory."""
    for group in groups:
        events = _read(Path(group, "memory.oom_control")) + _read(Path(group, "memory.events"))  # v1, v2
        limit = (_read(Path(group, "memory.limit_in_bytes")) or _read(Path(group, "memory.max"))).strip()
        for line in events.splitlines():
            if line.startswith("oom_kill ") and limit.isdigit():
                return int(line.split()[1]), int(limit)
    return 0, 0


def in_cgroup(groups: list[str], argv: list[str]) -> list[str]:
    """argv, started inside every one of `groups` (before bwrap runs, so every task of the sandbox is in them)."""
    if not groups:
        return argv
    enter = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"'
    return ["/bin/sh", "-c", enter, "sh", str(len(groups)), *(os.path.join(g, "cgroup.procs") for g in groups), *argv]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
