"""What the host gives one sandbox beyond rlimits: cgroups capping its tasks and its memory (kernel
memory included), and a tmpfs for /tmp capped in bytes and in files. Each is made only where the
grader can (root, a writable cgroup); the threat model (bpteach/grading/__init__.py) says what is
unlimited where it cannot.
"""

from __future__ import annotations

import contextlib
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
MEMORY_FLOOR = 512 * 1024**2  # however little the machine has free: numpy and IPython need about 200 MB


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
    pages and the harness beside it; less where that is more than its share of what the grader's machine
    has free (`side_by_side`), so that one submission's sandbox reaches its own limit, and is killed
    there, before the sandboxes together exhaust the grader's memory (the kernel would then kill the
    task with most resident memory: an honest classmate's exercise, or the grader). What no rlimit
    counts (slab of folders and dentries, pipe and socket buffers, page tables) cannot grow past it."""
    share = _share if _share is not None else free_memory() * 4 // 5
    return max(MEMORY_FLOOR, min(address_space + TMPFS_BYTES + MEMORY_MARGIN, share))


_share: int | None = None  # bytes each sandbox may hold while a batch grades side by side


@contextlib.contextmanager
def side_by_side(jobs: int):
    """While a batch grades `jobs` submissions at once, each sandbox's memory limit is at most a `jobs`-th
    of four fifths of what is free when the batch starts (free_memory)."""
    global _share
    saved, _share = _share, free_memory() * 4 // 5 // max(1, jobs)
    try:
        yield
    finally:
        _share = saved


def free_memory() -> int:
    """Bytes the grader's machine has free (MemAvailable), or fewer where the grader's own memory cgroup,
    or one above it, has less headroom (its limit less what it holds, file cache that can be dropped
    aside)."""
    meminfo = dict(line.split(":", 1) for line in _read(Path("/proc/meminfo")).splitlines() if ":" in line)
    free = [int(meminfo.get("MemAvailable", "0 kB").split()[0]) * 1024 or 2**62]
    for folder in _own_memory_cgroups():
        limit = (_read(folder / "memory.limit_in_bytes") or _read(folder / "memory.max")).strip()
        usage = (_read(folder / "memory.usage_in_bytes") or _read(folder / "memory.current")).strip()
        stat = dict(line.split() for line in _read(folder / "memory.stat").splitlines() if len(line.split()) == 2)
        cache = int(stat.get("total_inactive_file", stat.get("inactive_file", 0)))
        if limit.isdigit() and usage.isdigit() and int(limit) < 2**60:
            free.append(max(0, int(limit) - int(usage) + cache))
    return min(free)


def _own_memory_cgroups() -> list[Path]:
    """The grader's memory cgroup and those above it (v1's memory hierarchy, or v2's)."""
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, where = line.split(":", 2)
        if "memory" in controllers.split(",") or (not controllers and Path("/sys/fs/cgroup/memory.stat").exists()):
            root = Path("/sys/fs/cgroup", controllers)
            here = root / where.lstrip("/")
            return [here, *(p for p in here.parents if p == root or root in p.parents)]
    return []


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


def memory_events(groups: list[str]) -> tuple[int, int, int]:
    """(tasks the kernel killed for memory, times the memory cgroup's own limit was reached, that limit
    in bytes) so far, or zeros without a memory cgroup: what a student's report says when their code
    was killed, and whether its own limit was the reason."""
    for group in groups:
        events = _read(Path(group, "memory.oom_control")) + _read(Path(group, "memory.events"))  # v1, v2
        counts = dict(line.split() for line in events.splitlines() if len(line.split()) == 2)
        limit = (_read(Path(group, "memory.limit_in_bytes")) or _read(Path(group, "memory.max"))).strip()
        reached = _read(Path(group, "memory.failcnt")).strip() or counts.get("max", "0")  # v1, v2
        if "oom_kill" in counts and limit.isdigit():
            return int(counts["oom_kill"]), int(reached), int(limit)
    return 0, 0, 0


def enter(groups: list[str], argv: list[str]) -> list[str]:
    """argv, started inside every one of `groups` (before bwrap runs, so every task of the sandbox is in
    them), and first in line for the kernel's OOM killer (oom_score_adj 1000, inherited): should the
    machine run out of memory anyway, a sandbox's task dies, not the grader."""
    enter = ('echo 1000 > /proc/self/oom_score_adj; n=$1; shift; '
             'while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"')
    return ["/bin/sh", "-c", enter, "sh", str(len(groups)), *(os.path.join(g, "cgroup.procs") for g in groups), *argv]


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
