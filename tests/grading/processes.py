"""Which processes on this machine are this test process's own, so that the checks for leftover
processes hold while other pytest-xdist workers grade at the same time (`make test`).

This process becomes a child subreaper: whatever its graders start, and whatever those leave behind
when they exit (a detached daemon, a double fork), stays below it in the process tree instead of
going to init. Its own processes are then exactly its live descendants."""

from __future__ import annotations

import ctypes
import os

PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _table() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process now."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, ppid = f.read().rsplit(")", 1)[1].split()[:2]  # the name may hold spaces and ")"
            except (OSError, ValueError):
                continue
            out[int(entry)] = (int(ppid), state)
    return out


def own_processes() -> list[int]:
    """The live processes below this one (zombies, which hold no memory and run nothing, left out)."""
    me, table = os.getpid(), _table()
    mine = []
    for pid, (ppid, state) in table.items():
        while ppid > 1 and ppid != me:
            ppid = table.get(ppid, (0, ""))[0]
        if ppid == me and state != "Z":
            mine.append(pid)
    return mine


def argv(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def uids(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(ln for ln in f if ln.startswith("Uid:")).split()[1:]
    except (OSError, StopIteration):
        return []
