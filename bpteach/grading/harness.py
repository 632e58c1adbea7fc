"""The harness: one process per submission inside the sandbox, one forked exercise process per exercise.

It is never imported inside the sandbox (bpteach is hidden there): the grader starts
`python -I -B -c PROGRAM LIMITS_JSON`, where PROGRAM (`program()`) carries the text of the grader's
own files, the harness's modules in pipeline order (SANDBOX_MODULES), read by the grader and run
from that text; nothing the submission can write is on the harness's import path. The harness reads
jobs from stdin and writes replies to stdout, one record each (wire.py, the grader's reader too).

For each job (one exercise) the harness forks a shim that enters a new user and PID namespace and
forks the exercise process (exercise_process.py), which is PID 1 there: when it exits or is killed,
the kernel kills everything it started, however it forked. The harness serves the exercise's calls
to its services (services.py), enforces the wall-clock limit and forwards the exercise's stream
untouched, with what it saw (timeout, overflow, output cut) in the header; the grader parses and
bounds it again (runner.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import struct
import sys
import time
from pathlib import Path

from . import exercise_process as ep
from . import seccomp, wire
from . import services as _services

MARKER = "BPTEACH-HARNESS"  # in every sandboxed process's argv: tests look for survivors by it
SANDBOX_MODULES = ("wire", "seccomp", "exercise_process", "services", "harness")  # each imports only earlier ones
PACKAGE = "_bpteach_harness"  # what they are called inside the sandbox

CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
PR_SET_DUMPABLE = 4
ARG_MAX = 128 * 1024  # MAX_ARG_STRLEN: the kernel's limit on one argv string


def program() -> str:
    """The harness's program for `python -c`: the text of the modules in SANDBOX_MODULES, as the grader's
    own files hold them, run in order as a private package (services.load), then main()."""
    here = Path(__file__).parent
    modules = [(name, (here / f"{name}.py").read_text()) for name in SANDBOX_MODULES]
    text = (f"# {MARKER}\nimport json, sys, types\n"
            # the bound packages' folders (sandbox.import_path), before any module imports numpy
            "sys.path += [p for p in json.loads(sys.argv[1]).get('path', ()) if p not in sys.path]\n"
            f"pkg = types.ModuleType({PACKAGE!r})\npkg.__path__ = []\nsys.modules[{PACKAGE!r}] = pkg\n"
            f"for name, text in {modules!r}:\n"
            f"    module = types.ModuleType({PACKAGE!r} + '.' + name)\n"
            f"    module.__package__, module.__file__ = {PACKAGE!r}, '<' + name + '.py>'\n"
            "    sys.modules[module.__name__] = module\n"
            "    exec(compile(text, module.__file__, 'exec'), module.__dict__)\n"
            "    setattr(pkg, name, module)\n"
            f"sys.modules[{PACKAGE!r} + '.harness'].main()\n")
    if len(text.encode()) >= ARG_MAX:
        raise RuntimeError(f"the harness's program is {len(text.encode())} bytes, over the kernel's {ARG_MAX}")
    return text


def run_job(job: dict, data: bytes, limits: dict, index: int) -> bytes:
    start = time.monotonic()
    services = _services.make(job, data)
    res_r, res_w = os.pipe()
    out_r, out_w = os.pipe()
    pid_r, pid_w = os.pipe()
    call_r, call_w = os.pipe()
    ans_r, ans_w = os.pipe()
    sys.stdout.flush()
    shim = os.fork()
    if shim == 0:  # the shim: namespaces, then the exercise process as their PID 1
        try:
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(out_w, 1)
            os.dup2(out_w, 2)
            os.dup2(res_w, ep.RESULT_FD)
            os.dup2(pid_w, ep.PID_FD)
            os.dup2(call_w, ep.CALL_FD)
            os.dup2(ans_r, ep.ANSWER_FD)
            os.closerange(ep.ANSWER_FD + 1, 1 << 16)
            nested = seccomp.libc().unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0
            child = os.fork()
            if child == 0:
                os.close(ep.PID_FD)
                os.setsid()  # its own process group: kill(0, ...) cannot reach the harness
                ep.run(job, data, limits, index)
            os.write(ep.PID_FD, struct.pack("<iB", child, nested))
            for fd in (0, 1, 2, ep.RESULT_FD, ep.PID_FD, ep.CALL_FD, ep.ANSWER_FD):
                os.close(fd)
            os.waitpid(child, 0)
        finally:
            os._exit(0)
    for fd in (res_w, out_w, pid_w, call_w, ans_r):
        os.close(fd)
    os.set_blocking(ans_w, False)  # a submission that never reads its answers cannot stall the harness
    requests = bytearray()
    head = wire.read_into(pid_r, bytearray(5), start + 10)
    os.close(pid_r)
    child, nested = struct.unpack("<iB", head) if head else (None, False)
    deadline = start + limits["timeout"]
    output, results = bytearray(), bytearray()
    truncated = overflow = timed_out = False
    open_fds = {out_r, res_r, call_r}
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select(list(open_fds), [], [], min(left, 1.0))
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
                continue
            if fd == call_r:
                requests += chunk
                if not _services.serve(services, requests, ans_w):
                    open_fds.discard(call_r)  # a malformed or unanswerable stream: no more service
            elif fd == out_r:
                keep = limits["output_budget"] - len(output)
                output += chunk[: max(0, keep)]
                truncated |= len(chunk) > keep
            else:
                results += chunk
                if len(results) > limits["result_bytes"]:
                    overflow = True
                    open_fds.clear()
    _kill(child, nested)
    os.waitpid(shim, 0)
    _wait_gone(child)
    for fd in (out_r, res_r, call_r, ans_w):
        os.close(fd)
    wipe(limits["work"], limits.get("keep", []))
    evidence = b"" if overflow else _services.evidence(services)
    header = {"timeout": timed_out, "overflow": overflow, "truncated": truncated, "nested": bool(nested),
              "seconds": time.monotonic() - start, "output": output.decode(errors="replace"),
              "evidence": len(evidence), "retire": bool(job.get("modules"))}
    return wire.frame(header, b"" if overflow else evidence + bytes(results))


def wipe(folder: str, keep: list[str]) -> None:
    """Empty the writable folder between exercises: nothing one leaves is there for the next."""
    for name in os.listdir(folder):
        if name not in keep or name == "exercise0":
            remove_tree(os.path.join(folder, name))


def remove_tree(path: str) -> None:
    """Remove `path` and everything below it, however deep, whatever its modes: a submission's folder
    3000 levels deep made a recursive walk raise RecursionError (and its paths pass PATH_MAX). One open
    folder at a time, entries by name, links never followed; what cannot be removed is left."""
    try:
        os.unlink(path)  # a file or a link
        return
    except IsADirectoryError:
        pass
    except OSError:
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        cur = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    names, stuck = [], set()  # the folders entered below `path`'s parent; (dev, inode) of those left
    name = os.path.basename(path)
    while True:
        if name is not None:  # go down into `name`
            try:
                os.chmod(name, 0o700, dir_fd=cur)
                down = os.open(name, flags, dir_fd=cur)
            except OSError:
                with contextlib.suppress(OSError):
                    stuck.add(_key(os.stat(name, dir_fd=cur, follow_symlinks=False)))
                down = None
            if down is not None:
                os.close(cur)
                cur = down
                names.append(name)
        if not names:
            break
        name = None
        for entry in os.scandir(cur):
            if entry.is_dir(follow_symlinks=False):
                if _key(entry.stat(follow_symlinks=False)) not in stuck:
                    name = entry.name
                    break
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.name, dir_fd=cur)
        if name is None:  # this folder is as empty as it gets: up, and remove it
            up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=cur)
            os.close(cur)
            cur, done = up, names.pop()
            try:
                os.rmdir(done, dir_fd=cur)
            except OSError:
                with contextlib.suppress(OSError):
                    stuck.add(_key(os.stat(done, dir_fd=cur, follow_symlinks=False)))
            if not names:
                break
    os.close(cur)


def _key(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


def _kill(child: int | None, nested: bool) -> None:
    if not child:
        return
    for kill, target in ((os.kill, child), (os.killpg, child)):
        try:
            kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _wait_gone(child: int | None) -> None:
    """If the submission killed the shim, the exercise process is reaped by the sandbox's init."""
    deadline = time.monotonic() + 5
    while child and os.path.exists(f"/proc/{child}") and time.monotonic() < deadline:
        try:
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.01)


def main() -> None:
    limits = json.loads(sys.argv[1])
    jobs = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    seccomp.libc().prctl(PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/mem for what the exercises start
    import numpy  # noqa: F401 - paid once per submission; every fork starts with it loaded

    ep.shell()
    limits["keep"] = sorted(os.listdir(limits["work"]))  # the shell's own folders survive the wipes
    index = 0
    while True:
        message = wire.read_message(jobs)
        if message is None:
            break
        reply = run_job(message[0], message[1], limits, index)
        wire.write_all(replies, reply)
        index += 1
        if message[0].get("modules"):  # it held bpteach's code (services.py): no later exercise forks from it
            break
