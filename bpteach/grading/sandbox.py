"""The bubblewrap sandbox one submission runs in, and the environment it gets.

`command(python, harness_source, limits)` is the argv that starts the in-sandbox harness:
new user, PID, IPC, network, UTS and cgroup namespaces (`--unshare-all` plus a required user
namespace), uid 65534, all capabilities dropped, `--die-with-parent`, a new session, an
explicit environment (`--clearenv`), read-only binds of /usr and of the Python install and
site-packages the grader itself runs on (numpy, matplotlib, IPython), with bpteach's own
package covered by an empty tmpfs, and one small tmpfs at /tmp as the only writable place
(the root and /dev, tmpfs of bwrap's own, are remounted read-only).
No repository, home folder, reports folder or exercise source is mounted.
"""

from __future__ import annotations

import functools
import os
import shutil
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
    """bpteach's own package, wherever it sits inside a bound path: covered by an empty tmpfs."""
    here = os.path.realpath(Path(__file__).resolve().parents[1])
    roots = [*bound, "/usr"]
    return [here] if any(here == r or here.startswith(r + "/") for r in roots) else []


def command(python: str, harness: str, limits_json: str) -> list[str]:
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
