"""The bubblewrap sandbox one submission runs in, and the environment it gets.

`command(python, harness_source, limits)` is the argv that starts the in-sandbox harness: new user,
PID, IPC, network, UTS and cgroup namespaces (`--unshare-all` plus a required user namespace), uid
65534, all capabilities dropped, `--die-with-parent`, a new session, an explicit environment
(`--clearenv`), and read-only binds of only what the harness runs on: /usr's shared libraries
(/usr/lib/<multiarch>, /usr/lib64), the Python install (its executable, standard library and
LIBDIR), and of every site-packages in sight an empty read-only tmpfs into which numpy, IPython and
what they require are bound back (`package_entries`; the harness gets their folders on its sys.path,
as no .pth file is bound). One small tmpfs at /tmp is the only writable place (the root, /dev and
every cover are remounted read-only). No other program, package, repository, home folder, reports
folder or exercise source is mounted, and a bpteach copy inside a bound folder is covered too.

A grader running as root gets the same walls without bwrap's user namespace, whose uid 65534 would
be root's outside (reading every root-owned 0600 file on a bound path, counted against root's
per-user limits): bwrap keeps only CAP_SETUID, CAP_SETGID and CAP_SETPCAP, and the harness starts
under setpriv (`drop_privileges`, the `user` route's too) as the host's uid 65534 with none.

Where user namespaces are refused (Docker's default seccomp profile, so Gradescope), bubblewrap
cannot start; a grader running as root then takes the `user` route (user_route.py). The cgroups
(tasks, memory with kernel memory) and the capped tmpfs a sandbox gets where the grader can make them
are quotas.py's.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from importlib.util import cache_from_source
from pathlib import Path

from .quotas import TMPFS_BYTES

MEMORY_BYTES = int(os.environ.get("BPTEACH_SANDBOX_MEMORY", 2 * 1024**3))  # address space per exercise process
CPU_SECONDS = int(os.environ.get("BPTEACH_SANDBOX_CPU", 60))  # CPU time per exercise process
FILE_BYTES = 64 * 1024**2  # largest file it may write
PROCESSES = 64  # RLIMIT_NPROC inside the exercise's user namespace
FILES = 256  # RLIMIT_NOFILE: bounds what pipes and sockets can hold in kernel buffers

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

NOBODY = 65534  # the sandbox's uid, inside; as root, outside too
# As root, bwrap makes no user namespace (--unshare-all would: its --unshare-user-try) and keeps only what
# setpriv needs to drop to NOBODY: change uid and gid, and empty the bounding set.
ROOT_NAMESPACES = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try")
ROOT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")

PACKAGE = "the Debian/Ubuntu package `bubblewrap` (apt-get install bubblewrap)"


class SandboxUnavailable(RuntimeError):
    """bwrap is missing, or this kernel does not let it create user namespaces."""


PACKAGES = ("numpy", "ipython")  # what the harness and an exercise import; what they require follows


def python_install() -> list[str]:
    """The interpreter itself, read-only: its real executable, its standard library (lib-dynload inside)
    and its LIBDIR (libpython; in a conda install, the shared libraries numpy links to). Not a whole
    prefix: a /usr or /usr/local install holds other programs, and a venv other packages."""
    paths = {os.path.realpath(sys.executable), os.path.dirname(os.path.realpath(os.__file__)),
             os.path.realpath(sysconfig.get_config_var("DESTSHARED") or ""),
             os.path.realpath(sysconfig.get_config_var("LIBDIR") or "")}
    # the shared libraries: Debian's multiarch folder, not all of /usr/lib (other programs, other Pythons)
    multiarch = Path("/usr/lib", sysconfig.get_config_var("MULTIARCH") or "-")
    libs = (multiarch if multiarch.is_dir() else Path("/usr/lib"), Path("/usr/lib32"), Path("/usr/lib64"))
    paths.update(os.path.realpath(lib) for lib in libs)
    keep = sorted(p for p in paths if p not in ("/", "/usr") and os.path.exists(p) and not os.path.islink(p))
    return [p for p in keep if not any(p != q and p.startswith(q + "/") for q in keep)]


@functools.lru_cache(maxsize=4)  # installed packages do not change while a batch is graded
def package_entries(names: tuple[str, ...]) -> list[str]:
    """The top-level entries (package folders, modules, `.libs`, `.dist-info`) of the distributions
    `names` and of everything they require, installed: the only part of any site-packages the sandbox
    sees (no other package, no .pth file, no bpteach)."""
    todo, seen, entries = list(names), set(), set()
    while todo:
        name = re.split(r"[\s;<>=!~\[(]", todo.pop(), maxsplit=1)[0].lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement that is not installed
        site = Path(dist.locate_file(""))
        tops = {f.parts[0] for f in dist.files or ()} - {"..", "__pycache__"}  # not other modules' bytecode
        entries.update(os.path.realpath(site / top) for top in tops)
        entries.update(cache_from_source(os.path.realpath(site / top)) for top in tops if top.endswith(".py"))
        todo += [r for r in dist.requires or () if "extra" not in r.partition(";")[2]]
    return sorted(e for e in entries if os.path.exists(e))


def import_path() -> list[str]:
    """The folders the bound packages sit in, in the grader's sys.path order: the harness puts them on its
    sys.path itself, since what put one on the grader's path (a .pth file) is not bound."""
    folders = {os.path.dirname(entry) for entry in package_entries(PACKAGES)}
    order = [os.path.realpath(p) for p in sys.path]
    return sorted(folders, key=lambda f: order.index(f) if f in order else len(order))


def site_folders(bound: list[str]) -> list[str]:
    """Every site-packages on the path or anywhere inside a bound folder (a Python install's own, one
    bundled deep inside /usr/lib): each is covered by a read-only tmpfs, its needed entries bound back."""
    found = {os.path.realpath(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    for root in bound:
        found.update(_packages_below(root))
    return sorted(p for p in found if os.path.isdir(p))


@functools.lru_cache(maxsize=64)  # the installed tree does not change while a batch is graded
def _packages_below(root: str, depth: int = 12) -> list[str]:
    found, todo = [], [(root, 0)]
    while todo:
        folder, level = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name.endswith(("site-packages", "dist-packages")):
                    found.append(os.path.realpath(entry.path))
                elif level < depth:
                    todo.append((entry.path, level + 1))
    return found


def hidden_paths(bound: list[str]) -> list[str]:
    """Every bpteach package inside a bound path (a second install in a bound site-packages, a copy
    under /usr/lib): each covered by an empty tmpfs, so no solution notebook shows through."""
    return [p for p in bpteach_copies([*bound, "/usr"]) if _inside(p, bound)]


def _inside(path: str, roots) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def command(python: str, harness: str, limits_json: str, scratch: str | None = None) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(_refusal("bwrap is not installed"))
    as_root = os.geteuid() == 0
    if as_root:  # no user namespace: the harness is the host's uid NOBODY (drop_privileges), not root's
        argv = [bwrap, *ROOT_NAMESPACES, "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        argv += [arg for cap in ROOT_CAPS for arg in ("--cap-add", cap)]
    else:
        argv = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
                "--uid", str(NOBODY), "--gid", str(NOBODY), "--cap-drop", "ALL"]
    argv += ["--clearenv"]
    for link in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / link
        if top.is_symlink():
            argv += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            argv += ["--ro-bind", str(top), str(top)]
    # the writable tmpfs first: a Python that lives under /tmp is then bound on top of it, read-only
    if scratch:  # a tmpfs the grader mounted, capped in bytes and in files
        argv += ["--bind", scratch, "/tmp"]
    else:  # bwrap's own: capped in bytes only (as root, bwrap's tmpfs is 0755 root's unless told)
        argv += [*(["--perms", "01777"] if as_root else []), "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]
    bound = python_install()
    sites, entries = site_folders(bound), package_entries(PACKAGES)

    def made(folder: str) -> bool:  # it exists in the sandbox once bound or covered
        return folder in sites or _inside(folder, bound)

    def mount(path: str, *op: str) -> list[str]:
        if not as_root:
            return [*op, path]
        # bwrap makes a mount's missing parents 0700 root's: NOBODY could not reach the Python
        parents = [q for q in _parents(path) if not made(q)]
        return [a for q in parents for a in ("--perms", "0755", "--dir", q)] + [*op, path]

    for path in [*(["/etc/ld.so.cache"] if Path("/etc/ld.so.cache").exists() else []), *bound]:
        argv += mount(path, "--ro-bind", path)
    if as_root:
        setpriv = drop_privileges(NOBODY)[0]
        argv += mount(setpriv, "--ro-bind", setpriv)
    for site in sites:  # every site-packages in sight is an empty tmpfs, then what PACKAGES need
        argv += mount(site, "--perms", "0755", "--tmpfs")
    for entry in entries:
        argv += mount(entry, "--ro-bind", entry)
    real_python = python if os.path.isabs(python) else shutil.which(python) or python
    if os.path.realpath(real_python) != real_python:  # a venv's link to the interpreter (its real file is bound)
        argv += mount(real_python, "--symlink", os.path.realpath(real_python))
    venv = Path(sys.prefix, "pyvenv.cfg")  # a venv: its marker and that link, nothing else of it
    if venv.is_file():
        argv += mount(str(venv), "--ro-bind", str(venv))
    for path in hidden_paths(bound):  # read-only: bwrap's tmpfs is the sandbox uid's, unbounded
        argv += ["--tmpfs", path, "--remount-ro", path]
    for site in sites:  # nor do the covers take a file
        argv += ["--remount-ro", site]
    # /tmp is the one writable place: bwrap's own root tmpfs and /dev (with /dev/shm) are made
    # read-only, or they would take files without the size limit, in the host's memory
    argv += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    for key, value in ENVIRONMENT.items():
        argv += ["--setenv", key, value]
    argv += ["--", *(drop_privileges(NOBODY) if as_root else [])]
    return [*argv, real_python, "-I", "-B", "-c", harness, limits_json]


def drop_privileges(uid: int) -> list[str]:
    """The argv prefix that runs a command as `uid` (and its gid) with no capability (none inheritable,
    an empty bounding set), no supplementary group, and no_new_privs: no setuid or file-capability
    program gives any back. Both the bwrap route as root and the `user` route start the harness so."""
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    if setpriv is None:
        raise SandboxUnavailable("setpriv (util-linux) is not installed")
    if uid == 0:
        raise SandboxUnavailable("student code may not run as root")
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs", "--"]


def _parents(path: str) -> list[str]:
    """The folders above `path` that bwrap would make for its mount, outermost first (not / or /tmp)."""
    parents = [str(p) for p in reversed(Path(path).parents)]
    return [p for p in parents if p not in ("/", "/tmp")]


@functools.lru_cache(maxsize=1)
def check() -> str:
    """'bwrap' when a sandbox starts here; SandboxUnavailable, naming the way out, otherwise."""
    argv = command(sys.executable, f"import sys; sys.path += {import_path()!r}; import numpy, IPython", "{}")
    try:
        done = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd="/")
    except (OSError, subprocess.SubprocessError) as err:
        raise SandboxUnavailable(_refusal(f"bwrap could not start: {err}")) from err
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip()[-300:] or f"exit code {done.returncode}"
        raise SandboxUnavailable(_refusal(f"bwrap failed ({why}); are user namespaces allowed?"))
    return "bwrap"


def available() -> bool:
    """Whether a sandbox starts here (check() says why not)."""
    try:
        return check() == "bwrap"
    except SandboxUnavailable:
        return False


def _refusal(why: str) -> str:
    return (f"cannot sandbox the submissions: {why}. Install {PACKAGE} on a kernel that allows "
            "unprivileged user namespaces, or pass --no-sandbox to run student code without "
            "OS isolation (every report then says \"sandbox\": \"none\").")


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


