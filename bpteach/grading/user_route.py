"""The route without user namespaces (Docker's default seccomp profile, so Gradescope): student code runs
as an unprivileged user, `student` (made by the bundle's setup.sh), started with setpriv: no
capabilities, no_new_privs, groups cleared, a clean environment; the harness adds its seccomp filter and
rlimits (RLIMIT_NPROC now holds: the uid is not root). What keeps the answers and the verdict out of
reach is file ownership: `protect` makes the bundle's sources, seed, submission, results and every
bpteach copy on the path readable by root only, and `kill_user` ends every process of that uid before
anything is judged or written; `remove_user_files` takes back what it left in the shared folders.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import stat
import sys
import time

from .sandbox import SandboxUnavailable, check, drop_privileges

STUDENT = "student"  # the unprivileged user of the `user` route (the Gradescope bundle's setup.sh makes it)


def student_uid() -> int:
    """The uid student code runs as on the `user` route: $BPTEACH_STUDENT_UID (tests), else `student`'s."""
    if os.environ.get("BPTEACH_STUDENT_UID"):
        return int(os.environ["BPTEACH_STUDENT_UID"])
    try:
        return pwd.getpwnam(STUDENT).pw_uid
    except KeyError:
        raise SandboxUnavailable(f"there is no user {STUDENT!r} to run student code as (the bundle's setup.sh "
                                 f"makes one: useradd --system --no-create-home {STUDENT})") from None


def user_command(python: str, harness: str, limits_json: str, uid: int) -> list[str]:
    """The argv that starts the harness as `uid`: no capabilities, no new privileges, no groups."""
    if os.geteuid() != 0:
        raise SandboxUnavailable("the route without user namespaces needs a grader running as root")
    return [*drop_privileges(uid), python, "-I", "-B", "-c", harness, limits_json]


def route() -> str:
    """'bwrap' where bubblewrap starts; else 'user' where the grader is root and a student user exists."""
    try:
        return check()
    except SandboxUnavailable as err:
        try:
            user_command(sys.executable, "", "{}", student_uid())
        except SandboxUnavailable as why:
            raise SandboxUnavailable(f"{err} Nor can it run student code as another user: {why}.") from None
        return "user"


def protect(paths) -> None:
    """Readable by root only: what the student user must never read (answers, seed) or write (results)."""
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            os.chmod(path, stat.S_IMODE(mode) & 0o700)
        except FileNotFoundError:
            pass


def _uids(pid: str) -> set[int]:
    try:
        with open(f"/proc/{pid}/status") as f:
            line = next(ln for ln in f if ln.startswith("Uid:"))
    except (OSError, StopIteration):
        return set()
    return {int(u) for u in line.split()[1:]}


def kill_user(uid: int) -> int:
    """SIGKILL every process with uid among its ids, until none is left; how many were killed.

    A process group kill misses what started a session of its own; the uid misses nothing."""
    killed = 0
    for _ in range(200):
        pids = [p for p in os.listdir("/proc") if p.isdigit() and uid in _uids(p)]
        if not pids:
            return killed
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return killed


SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # where any uid may create files


def remove_user_files(uid: int, roots=SHARED_WRITABLE) -> int:
    """Remove what `uid` left in the shared writable folders (and in world-writable folders of theirs);
    how many entries. On the `user` route nothing else bounds them: files a submission leaves there
    would fill the disk or /dev/shm (memory) for the next classmate, or wait for their code."""
    removed = 0
    for root in roots:
        try:
            entries = list(os.scandir(root))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid:
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
                removed += 1
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:  # another's world-writable folder
                removed += remove_user_files(uid, (entry.path,))
    return removed
