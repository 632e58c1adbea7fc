"""The bubblewrap sandbox one submission runs in, and the environment it gets.

`command(python, harness_source, limits)` is the argv that starts the in-sandbox harness:
new user, PID, IPC, network, UTS and cgroup namespaces (`--unshare-all` plus a required user
namespace), uid 65534, all capabilities dropped, `--die-with-parent`, a new session, an
explicit environment (`--clearenv`), read-only binds of /usr and of the Python install and
site-packages the grader itself runs on (numpy, matplotlib, IPython), with bpteach's own
package covered by an empty tmpfs, and one small tmpfs at /tmp as the only writable place
(the root and /dev, tmpfs of bwrap's own, are remounted read-only).
No repository, home folder, reports folder or exercise source is mounted.

Where user namespaces are refused (Docker's default seccomp profile, so Gradescope), bubblewrap
cannot start. A grader running as root then takes the `user` route: `user_command` starts the
harness as an unprivileged user (`student`, made by the bundle's setup.sh) with setpriv: no
capabilities, no_new_privs, groups cleared, a clean environment; the harness adds its seccomp filter
and rlimits (RLIMIT_NPROC now holds: the uid is not root). What keeps the answers and the verdict out
of reach is file ownership: `protect` makes the bundle's sources, seed, submission, results and every
bpteach copy on the path readable by root only, and `kill_user` ends every process of that uid
before anything is judged or written.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

MEMORY_BYTES = int(os.environ.get("BPTEACH_SANDBOX_MEMORY", 2 * 1024**3))  # address space per exercise process
CPU_SECONDS = int(os.environ.get("BPTEACH_SANDBOX_CPU", 60))  # CPU time per exercise process
FILE_BYTES = 64 * 1024**2  # largest file it may write
PROCESSES = 64  # RLIMIT_NPROC inside the exercise's user namespace
FILES = 256  # RLIMIT_NOFILE: bounds what pipes and sockets can hold in kernel buffers
PIDS = 256  # tasks (processes and threads) of one sandbox, where a pids cgroup can be made
TMPFS_BYTES = 256 * 1024**2  # the only writable place
# Files and folders in it: each costs kernel memory (inodes, dentries) that no rlimit counts; without a
# cap, empty folders made for 17 s grew the host's slab by 3 GB. bwrap's own tmpfs takes a size only,
# so a grader that can mount (root) makes the tmpfs itself, with nr_inodes (`scratch`).
TMPFS_INODES = 16384

# The environment inside: nothing of the grader's (no BPTEACH_GRADER_SEED, no tokens, no HOME).
ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",  # one thread: the harness must stay single-threaded to fork and unshare
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/.matplotlib",
    "IPYTHONDIR": "/tmp/.ipython",
}

PACKAGE = "the Debian/Ubuntu package `bubblewrap` (apt-get install bubblewrap)"
STUDENT = "student"  # the unprivileged user of the `user` route (the Gradescope bundle's setup.sh makes it)


class SandboxUnavailable(RuntimeError):
    """bwrap is missing, or this kernel does not let it create user namespaces."""


def python_paths() -> list[str]:
    """What the harness needs read-only: the interpreter's prefixes, its stdlib and site-packages."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths().get(key, ""))
    paths.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    real = {os.path.realpath(p) for p in paths if p and os.path.isdir(p)}
    real.add(os.path.dirname(os.path.realpath(sys.executable)))
    keep = sorted(p for p in real if p != "/" and not p.startswith("/usr/"))
    # drop paths already inside another bound path
    return [p for p in keep if not any(p != q and p.startswith(q + "/") for q in keep)]


def hidden_paths(bound: list[str]) -> list[str]:
    """Every bpteach package inside a bound path (the running one, a second install in the same venv,
    a copy under /usr): each covered by an empty tmpfs, so no solution notebook shows through."""
    roots = [*bound, "/usr"]
    return [p for p in bpteach_copies(roots) if any(p == r or p.startswith(r + "/") for r in roots)]


def command(python: str, harness: str, limits_json: str, scratch: str | None = None) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(_refusal("bwrap is not installed"))
    argv = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL", "--clearenv",
            "--ro-bind", "/usr", "/usr"]  # fmt: skip
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / link
        if top.is_symlink():
            argv += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            argv += ["--ro-bind", str(top), str(top)]
    # the writable tmpfs first: a Python that lives under /tmp is then bound on top of it, read-only
    if scratch:  # a tmpfs the grader mounted, capped in bytes and in files
        argv += ["--bind", scratch, "/tmp"]
    else:  # bwrap's own: capped in bytes only
        argv += ["--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    if Path("/etc/ld.so.cache").exists():
        argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    bound = python_paths()
    for path in bound:
        argv += ["--ro-bind", path, path]
    for path in hidden_paths(bound):
        argv += ["--tmpfs", path]
    # /tmp is the one writable place: bwrap's own root tmpfs and /dev (with /dev/shm) are made
    # read-only, or they would take files without the size limit, in the host's memory
    argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    for key, value in ENVIRONMENT.items():
        argv += ["--setenv", key, value]
    real_python = python if os.path.isabs(python) else shutil.which(python) or python
    return [*argv, "--", real_python, "-I", "-B", "-c", harness, limits_json]


@functools.lru_cache(maxsize=1)
def check() -> str:
    """'bwrap' when a sandbox starts here; SandboxUnavailable, naming the way out, otherwise."""
    argv = command(sys.executable, "import numpy, IPython", "{}")
    try:
        done = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd="/")  # fmt: skip
    except (OSError, subprocess.SubprocessError) as err:
        raise SandboxUnavailable(_refusal(f"bwrap could not start: {err}")) from err
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()[-300:] or f"exit code {done.returncode}"
        raise SandboxUnavailable(_refusal(f"bwrap failed ({why}); are user namespaces allowed?"))
    return "bwrap"


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

    RLIMIT_NPROC does not hold for a grader running as root (the sandbox's uid is root outside),
    and threads are allowed: without this, one exercise could start threads until the host has
    no PID left (pid_max is often 32768), for every other process and every other submission.
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


def available() -> bool:
    """Whether a sandbox starts here (check() says why not)."""
    try:
        return check() == "bwrap"
    except SandboxUnavailable:
        return False


def _refusal(why: str) -> str:
    return (f"cannot sandbox the submissions: {why}. Install {PACKAGE} on a kernel that allows "
            "unprivileged user namespaces, or pass --no-sandbox to run student code without "
            "OS isolation (every report then says \"sandbox\": \"none\").")  # fmt: skip


# -- the route without user namespaces: an unprivileged uid ----------------------------------


def student_uid() -> int:
    """The uid student code runs as on the `user` route: $BPTEACH_STUDENT_UID (tests), else `student`'s."""
    if os.environ.get("BPTEACH_STUDENT_UID"):
        return int(os.environ["BPTEACH_STUDENT_UID"])
    try:
        return pwd.getpwnam(STUDENT).pw_uid
    except KeyError:
        raise SandboxUnavailable(f"there is no user {STUDENT!r} to run student code as (the bundle's setup.sh "
                                 f"makes one: useradd --system --no-create-home {STUDENT})") from None  # fmt: skip


def user_command(python: str, harness: str, limits_json: str, uid: int) -> list[str]:
    """The argv that starts the harness as `uid`: no capabilities, no new privileges, no groups."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SandboxUnavailable("setpriv (util-linux) is not installed")
    if os.geteuid() != 0:
        raise SandboxUnavailable("the route without user namespaces needs a grader running as root")
    if uid == 0:
        raise SandboxUnavailable("student code may not run as root")
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--", python, "-I", "-B", "-c", harness, limits_json]  # fmt: skip


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


def bpteach_copies(roots=()) -> list[str]:
    """Every bpteach package on this interpreter's path or in a site-packages under `roots` (an
    instructor's venv may hold two; a system-wide install sits under /usr), and every installed copy
    of the series (<prefix>/share/bpteach)."""
    found = set()
    places = [Path(entry or ".") for entry in sys.path]
    for root in roots:
        for pattern in ("lib/python3*/*-packages", "local/lib/python3*/*-packages", "lib/python3/dist-packages"):
            places += Path(root).glob(pattern)
    for place in places:
        candidate = place / "bpteach"
        if (candidate / "__init__.py").is_file():
            found.add(os.path.realpath(candidate))
    # the executed series `bpteach lab` copies (solutions included), installed as data beside a package
    for prefix in {sys.prefix, sys.base_prefix, *roots, "/usr", "/usr/local"}:
        if Path(prefix, "share", "bpteach").is_dir():
            found.add(os.path.realpath(Path(prefix, "share", "bpteach")))
    found.add(os.path.realpath(Path(__file__).resolve().parents[1]))
    return sorted(found)


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
