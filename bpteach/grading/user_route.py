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
import signal
import stat
import sys
import tempfile
import threading
import time

from .harness import remove_tree
from .quotas import TMPFS_BYTES
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
    """The ids of a live process (a zombie runs nothing and holds nothing: its parent reaps it)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(ln.split(":", 1) for ln in f if ln.startswith(("State:", "Uid:")))
    except (OSError, ValueError):
        return set()
    if "Uid" not in fields or fields.get("State", "").split()[:1] == ["Z"]:
        return set()
    return {int(u) for u in fields["Uid"].split()}


def kill_user(uid: int, rounds: int = 200) -> int:
    """SIGKILL every process with uid among its ids, until none is left (or `rounds` passes); how many.

    A process group kill misses what started a session of its own; the uid misses nothing."""
    killed = 0
    for _ in range(rounds):
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
                remove_tree(entry.path)  # a file, a link or a folder however deep
                removed += 1
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o002:  # another's world-writable folder
                removed += remove_user_files(uid, (entry.path,))
    return removed


# What the student uid holds on disk while it runs: no mount and no quota exist in Docker's default, and
# RLIMIT_FSIZE caps one file only. In a disposable container (the bundle's /autograder), `confine` takes
# write permission on the shared folders from everyone but root, so the uid writes only in the work folder
# runner.Session makes for it, on a file system nobody else writes to (/dev/shm, a tmpfs of the container's
# own, where there is one), and `DiskWatch` reads that file system's use (statvfs: what is written counts,
# however held: a file unlinked while open, a mapping) and kills the uid's processes past the cap.
DISK_BYTES = TMPFS_BYTES  # as much as the bwrap sandbox's /tmp
WATCH_SECONDS = 0.005  # the overshoot is what the uid writes in about this time, plus the kill's (1.6% of a core)


@contextlib.contextmanager
def confine(shared=(*SHARED_WRITABLE, "/dev/mqueue"), scratch: str = "/dev/shm"):
    """Only inside a disposable container: the shared folders not writable but by root, and temporary
    folders (runner.Session's work folder) in a root-only folder on `scratch` (else the default temp
    folder); yields the folder whose file system DiskWatch measures. Modes and tempdir restored after."""
    changed = []
    for path in shared:
        with contextlib.suppress(OSError):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o002:
                os.chmod(path, mode & ~0o002)
                changed.append((path, mode))
    base = scratch if os.path.isdir(scratch) and _is_tmpfs(scratch) else None
    folder = tempfile.mkdtemp(prefix="bpteach-user-", dir=base)
    os.chmod(folder, 0o711)  # the student reaches its own folder inside, lists nothing
    saved, tempfile.tempdir = tempfile.tempdir, folder
    try:
        yield folder
    finally:
        tempfile.tempdir = saved
        remove_tree(folder)
        for path, mode in changed:
            with contextlib.suppress(OSError):
                os.chmod(path, mode)


class DiskWatch:
    """A thread of the grader's: every WATCH_SECONDS, how much more the file system of `folder` holds than
    at the start; past `cap`, every process of `uid` is killed (again at each look while it stays past)."""

    def __init__(self, folder: str, uid: int, cap: int = DISK_BYTES, every: float = WATCH_SECONDS):
        self.folder, self.uid, self.cap, self.every = folder, uid, cap, every
        self.base = self._used()
        self.peak, self.kills = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="bpteach-disk-watch", daemon=True)

    def _used(self) -> int:
        st = os.statvfs(self.folder)
        return (st.f_blocks - st.f_bfree) * st.f_frsize

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            grown = self._used() - self.base
            self.peak = max(self.peak, grown)
            if grown > self.cap:  # one pass per look: the next exercise's harness, once the disk is
                self.kills += 1      # back under the cap, is not killed for this one's files
                kill_user(self.uid, rounds=1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _is_tmpfs(path: str) -> bool:
    """Whether `path` is the mount point of a tmpfs (the container's own /dev/shm)."""
    try:
        with open("/proc/self/mounts") as f:
            return any(ln.split()[1:3] == [path, "tmpfs"] for ln in f)
    except OSError:
        return False
