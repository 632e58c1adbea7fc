"""The harness that runs inside the sandbox: one process per submission, one fork per exercise.

Never imported inside the sandbox (bpteach is not there): the grader passes this file's text
with `python -I -B -c SOURCE LIMITS_JSON`. It reads jobs from stdin and writes replies to
stdout, one length-prefixed message each (a JSON header, then raw bytes).

For each job (one exercise) the harness forks a shim that enters a new user and PID
namespace and forks the exercise process, which is PID 1 there: when it exits or is killed,
the kernel kills everything it started, however it forked. The exercise process sets its
rlimits, runs the trusted set-up cells and the submission's solution cell through IPython
(input transformers, magics and all, as Jupyter would), calls the function on each hidden
case, and streams the results (dtype, shape, raw bytes) up a pipe. Its stdout and stderr go
to another pipe, of which the harness keeps OUTPUT_BUDGET bytes. The harness enforces the
wall-clock limit and forwards the exercise's stream untouched, with what it saw (timeout,
overflow, output cut) in the header; the grader parses and bounds it again.

What a graded function is handed to call (exercise 5's f, exercise 7's cost_and_gradients) is
a handle: the harness itself evaluates each call in the job's trusted `Service` (a pipe pair,
CALL_FD and ANSWER_FD), and keeps the record of those calls, which is the evidence of how the
answer was made. It reaches the grader ahead of the exercise's stream, as `sv__` records the
grader accepts from there only. The exercise process can ask for evaluations, each counted; it
cannot reach or rewrite the record. (`_evidence`, read inside the exercise process, is for
what its own code could fake at no gain.)
"""

from __future__ import annotations

import builtins
import ctypes
import json
import os
import platform
import resource
import select
import shutil
import signal
import struct
import sys
import time

MARKER = "BPTEACH-HARNESS"  # in every sandboxed process's argv: tests look for survivors by it

CLONE_NEWUSER, CLONE_NEWPID = 0x10000000, 0x20000000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
RESULT_FD, PID_FD, CALL_FD, ANSWER_FD = 3, 4, 5, 6
SERVICE_REQUEST_BYTES = 16 * 1024**2  # largest call the harness-side service answers


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _fd_exact(fd: int, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            raise ConnectionError("the grader's service is gone")
        data += chunk
    return data


def read_message(stream) -> tuple[dict, bytes] | None:
    head = _read_exact(stream, 8)
    if head is None:
        return None
    n_json, n_data = struct.unpack("<II", head)
    header = json.loads(_read_exact(stream, n_json) or b"{}")
    data = _read_exact(stream, n_data) if n_data else b""
    return header, data or b""


def _read_exact(stream, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def frame(header: dict, data: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<II", len(text), len(data)) + text + data


# --------------------------------------------------------------------------------------
# The exercise process (PID 1 of its own namespace when the kernel allows it)


def _exercise(job: dict, data: bytes, limits: dict, index: int) -> None:
    write = os.write

    def send(header: dict, payload: bytes = b"") -> None:
        blob = frame(header, payload)
        while blob:
            blob = blob[write(RESULT_FD, blob) :]

    try:
        libc = _libc()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        work = os.path.join(limits["work"], f"exercise{index}")
        os.makedirs(work, exist_ok=True)
        os.chdir(work)
        import numpy as np

        asarray, ndarray, generic = np.asarray, np.ndarray, np.generic
        tobytes = ndarray.tobytes
        loads, unpack = json.loads, struct.unpack

        def call(case: int, values) -> list:
            """Ask the harness-side service of this exercise (out of the submission's reach) to evaluate."""
            arrays = [np.require(np.array(v, dtype=float), requirements="C") for v in values]  # 0-d stays 0-d
            specs = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
            blob = frame({"case": int(case), "arrays": specs}, b"".join(tobytes(a) for a in arrays))
            while blob:
                blob = blob[write(CALL_FD, blob) :]
            n_json, n_data = unpack("<II", _fd_exact(ANSWER_FD, 8))
            head = loads(_fd_exact(ANSWER_FD, n_json))
            payload = _fd_exact(ANSWER_FD, n_data) if n_data else b""
            if "error" in head:
                raise ValueError(str(head["error"]))
            out, offset = [], 0
            for spec in head["arrays"]:
                item = {"dtype": "<f8", "shape": spec["shape"], "offset": offset,
                        "nbytes": int(np.prod(spec["shape"], dtype=np.int64)) * 8}  # fmt: skip
                out.append(_array(np, payload, item))
                offset += item["nbytes"]
            return out

        def send_array(case: int, path: str, value) -> None:
            if value.dtype.kind in "biufcU" and value.dtype.hasobject is False:
                value = np.require(value, requirements="C")  # keeps a 0-d array 0-d
                send({"kind": "array", "case": case, "path": path, "dtype": value.dtype.str,
                      "shape": list(value.shape)}, tobytes(value))  # fmt: skip

        def flatten(value, path, out, types):
            types[path] = type(value).__name__
            if isinstance(value, dict):
                for k, v in value.items():
                    flatten(v, path + "__" + str(k), out, types)
            elif isinstance(value, (tuple, list)) and path.count("__") < 2:
                for i, v in enumerate(value):
                    flatten(v, path + "__" + str(i), out, types)
            elif isinstance(value, (ndarray, generic)) or type(value) in (int, float):
                out[path] = asarray(value)  # only arrays and plain numbers cross; the rest is known by its type name

        # the hidden inputs, rebuilt before any student code runs
        cases = [_case_args(np, data, spec) for spec in job["cases"]]

        shell = _shell()

        _set_limits(limits)
        if limits.get("seccomp", True) and not _no_processes():
            send({"kind": "status", "status": "error", "message": "the grader could not forbid new processes"})
            raise SystemExit
        for source in job["setup"]:
            result = shell.run_cell(source, store_history=False)
            if not result.success:
                send({"kind": "status", "status": "error", "message": "a trusted set-up cell failed"})
                raise SystemExit
        result = shell.run_cell(job["solution"], store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            status = "syntax_error" if isinstance(error, SyntaxError) else "error"
            send({"kind": "status", "status": status, "message": _describe(error, "in your solution cell")})
            raise SystemExit
        prepare = None
        if job["prepare"].strip():
            namespace = shell.user_ns
            namespace["_np"], namespace["_call"] = np, call
            # trusted code: it may change _args, record evidence (name -> callable, read after the
            # call) and define the function to call; it sees the learner's names as globals
            head = "def _bpteach_prepare(_args, _evidence, _case):\n"
            source = head + job["prepare"] + "\n    return _args, locals()\n"
            exec(compile(source, "<prepare>", "exec"), namespace)
            prepare = namespace.pop("_bpteach_prepare")
        for n, args in enumerate(cases):
            evidence, local = {}, {}
            try:
                if prepare is not None:
                    args, local = prepare(args, evidence, n)
                function = local.get(job["function"]) or shell.user_ns.get(job["function"])
                if function is None:
                    raise NameError(f"name {job['function']!r} is not defined")
                returned = function(**args)
            except BaseException as err:  # noqa: B036 - whatever the function raised is its answer
                send({"kind": "status", "status": "error", "message": _describe(err, "when your function ran")})
                raise SystemExit from None
            out, types, after = {}, {}, {}
            flatten(returned, "out", out, types)
            flatten({k: v for k, v in args.items() if k not in ("f", "gradient_fn")}, "in", after, {})
            for key, read in evidence.items():  # evidence that cannot be read is missing, and its check fails
                try:
                    flatten(read(), "ev__" + key, after, {})
                except BaseException:  # noqa: B036, S110
                    pass
            for path, value in list(out.items()) + list(after.items()):
                send_array(n, path, value)
            send({"kind": "types", "case": n, "types": types})
        send({"kind": "status", "status": "ok"})
    except SystemExit:
        pass
    except BaseException as err:  # noqa: B036 - a failure of the harness itself, reported as such
        try:
            message = f"the grader's harness failed: {_describe(err, 'harness')}"
            send({"kind": "status", "status": "error", "message": message})
        except BaseException:  # noqa: B036
            pass
    finally:
        try:
            sys.__stdout__.flush()
            sys.__stderr__.flush()
        except BaseException:  # noqa: B036 - the submission may have broken them
            pass
        os._exit(0)


def _shell():
    """The IPython shell every exercise starts from: made once, before the first fork."""
    from IPython.core.error import StdinNotImplementedError
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    def no_input(*_args, **_kwargs):
        raise StdinNotImplementedError("raw_input was called, but this frontend does not support input requests.")

    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False
        InteractiveShell.instance(config=config)
    builtins.input = no_input
    sys.modules["bpteach"] = None  # it is not in the sandbox either; this only keeps the message short
    return InteractiveShell.instance()


def _case_args(np, data: bytes, spec: dict) -> dict:
    args = {}
    for name, item in spec.items():
        if item["kind"] == "dict":
            args[name] = {int(k) if k.lstrip("-").isdigit() else k: _array(np, data, v)
                          for k, v in item["items"].items()}  # fmt: skip
        else:
            value = _array(np, data, item)
            args[name] = {"float": float, "int": int}.get(item["kind"], lambda v: v)(value)
    return args


def _array(np, data: bytes, item: dict):
    start, stop = item["offset"], item["offset"] + item["nbytes"]
    return np.frombuffer(data[start:stop], dtype=item["dtype"]).reshape(item["shape"]).copy()


def _describe(err: BaseException, where: str) -> str:
    return f"{type(err).__name__}: {err} ({where})"


# seccomp: the exercise process may start threads, never processes (no fork, vfork, or clone
# without CLONE_THREAD; clone3 answers ENOSYS so that libc falls back to clone). A fork bomb or
# a detached process then fails at its first step, even where RLIMIT_NPROC does not hold (root).
# Nor may it make namespaces or mounts: it holds every capability inside its own user namespace,
# and with them it could mount a tmpfs of its own, with no size limit (the host's memory). Nor
# may it hold memory outside its address space (RLIMIT_AS): no memfd, no System V shared memory
# or message queue (they outlive the exercise in the sandbox's IPC namespace), no BPF maps.
_DENIED = ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
           "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "memfd_create", "memfd_secret",
           "shmget", "msgget", "bpf")  # fmt: skip
# The numbers below are the kernel's UAPI headers' (<asm/unistd.h> for __NR_*, <linux/audit.h> for
# AUDIT_ARCH_*, __X32_SYSCALL_BIT, <linux/sched.h> for CLONE_THREAD); the syscalls added since 5.x
# share one number on every architecture (include/uapi/asm-generic/unistd.h). A wrong number fails
# open, so tests/grading/test_seccomp_numbers.py checks each against the installed headers.
_CLONE_THREAD = 0x00010000
_UNIFIED = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
            "fspick": 433, "mount_setattr": 442, "memfd_secret": 447}  # fmt: skip
_ARCH = {"x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "unshare": 272,
                                 "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
                                 "memfd_create": 319, "shmget": 29, "msgget": 68, "bpf": 321, **_UNIFIED},
                    0x40000000),
         "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40,
                                  "umount2": 39, "pivot_root": 41, "chroot": 51, "memfd_create": 279,
                                  "shmget": 194, "msgget": 186, "bpf": 280, **_UNIFIED}, None)}  # fmt: skip


def _no_processes() -> bool:
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return False
    audit, numbers, x32 = arch
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, deny, nosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    # (code, jt, jf, k) with symbolic targets resolved below
    prog = [(ld, 0, 0, 4), (jeq, 0, "deny", audit), (ld, 0, 0, 0)]
    if x32 is not None:
        prog.append((jge, "deny", 0, x32))
    for name in ("fork", "vfork", *_DENIED):
        if name in numbers:
            prog.append((jeq, "deny", 0, numbers[name]))
    prog += [(jeq, "nosys", 0, numbers["clone3"]), (jeq, 0, "allow", numbers["clone"]),
             (ld, 0, 0, 16), (jset, "allow", "deny", _CLONE_THREAD)]  # fmt: skip
    labels = {"allow": len(prog), "deny": len(prog) + 1, "nosys": len(prog) + 2}
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny), (ret, 0, 0, nosys)]
    raw = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        raw += struct.pack("<HBBI", code, jt, jf, k)
    buf = ctypes.create_string_buffer(raw)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Prog(len(prog), ctypes.addressof(buf))
    libc = _libc()
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


def _set_limits(limits: dict) -> None:
    caps = [(resource.RLIMIT_AS, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]),
            (resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, limits["processes"]),
            (resource.RLIMIT_NOFILE, limits.get("files", 256))]  # fmt: skip
    for which, value in caps:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass


# --------------------------------------------------------------------------------------
# The harness process


def _run_job(job: dict, data: bytes, limits: dict, index: int) -> bytes:
    start = time.monotonic()
    services = _services(job, data)
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
            os.dup2(res_w, RESULT_FD)
            os.dup2(pid_w, PID_FD)
            os.dup2(call_w, CALL_FD)
            os.dup2(ans_r, ANSWER_FD)
            os.closerange(ANSWER_FD + 1, 1 << 16)
            nested = _libc().unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0
            child = os.fork()
            if child == 0:
                os.close(PID_FD)
                os.setsid()  # its own process group: kill(0, ...) cannot reach the harness
                _exercise(job, data, limits, index)
            os.write(PID_FD, struct.pack("<iB", child, nested))
            for fd in (0, 1, 2, RESULT_FD, PID_FD, CALL_FD, ANSWER_FD):
                os.close(fd)
            os.waitpid(child, 0)
        finally:
            os._exit(0)
    for fd in (res_w, out_w, pid_w, call_w, ans_r):
        os.close(fd)
    os.set_blocking(ans_w, False)  # a submission that never reads its answers cannot stall the harness
    requests = bytearray()
    head = _read_fd_exact(pid_r, 5, start + 10)
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
                if not _serve(services, requests, ans_w):
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
    _wipe(limits["work"], limits.get("keep", []))
    evidence = b"" if overflow else _service_evidence(services)
    header = {"timeout": timed_out, "overflow": overflow, "truncated": truncated, "nested": bool(nested),
              "seconds": time.monotonic() - start, "output": output.decode(errors="replace"),
              "evidence": len(evidence)}  # fmt: skip
    return frame(header, b"" if overflow else evidence + bytes(results))


# --------------------------------------------------------------------------------------
# Services: what the exercise calls (exercise 5's f, exercise 7's cost_and_gradients) is
# evaluated here, in the harness, and the record of those calls (the evidence of how the
# answer was made) is kept here too. The submission's process can only ask for evaluations,
# each of which is counted and logged; it can neither reach nor rewrite the record.


def _services(job: dict, data: bytes) -> dict:
    if not job.get("service"):
        return {}
    import numpy as np

    namespace = {"_np": np}
    exec(compile(job["service"], "<service>", "exec"), namespace)
    return {n: namespace["Service"](_case_args(np, data, spec)) for n, spec in enumerate(job["cases"])}


def _serve(services: dict, requests: bytearray, answers: int) -> bool:
    """Answer every complete request in `requests` (consumed); False once the stream cannot go on."""
    import numpy as np

    while len(requests) >= 8:
        n_json, n_data = struct.unpack("<II", requests[:8])
        if n_json > 65536 or n_data > SERVICE_REQUEST_BYTES:
            return False
        if len(requests) < 8 + n_json + n_data:
            return True
        head, payload = bytes(requests[8 : 8 + n_json]), bytes(requests[8 + n_json : 8 + n_json + n_data])
        del requests[: 8 + n_json + n_data]
        try:
            request = json.loads(head)
            service = services[int(request["case"])]
            arrays, offset = [], 0
            for spec in request["arrays"][:64]:
                shape = [int(s) for s in spec["shape"]][:8]
                item = {"dtype": "<f8", "shape": shape, "offset": offset,
                        "nbytes": int(np.prod(shape, dtype=np.int64)) * 8}  # fmt: skip
                if spec["dtype"] != "<f8" or min(shape, default=0) < 0 or offset + item["nbytes"] > len(payload):
                    raise ValueError("expected float64 arrays")
                arrays.append(_array(np, payload, item))
                offset += item["nbytes"]
            if offset != len(payload):
                raise ValueError("the request's sizes do not add up")
            out = [np.require(np.asarray(a, dtype=float), requirements="C") for a in service(arrays)]
            reply = frame({"arrays": [{"shape": list(a.shape)} for a in out]}, b"".join(a.tobytes() for a in out))
        except Exception as err:  # noqa: BLE001 - any bad request is answered with an error, never fatal
            why = str(err) if type(err) is ValueError else f"{type(err).__name__}: {err}"
            reply = frame({"error": why[:500]})  # raised as a ValueError by the caller
        try:
            if os.write(answers, reply) != len(reply):
                return False
        except OSError:  # the pipe is full (nobody reads) or closed
            return False
    return True


def _service_evidence(services: dict) -> bytes:
    """Each case's record of calls, as array records under `sv__<name>` (never from the exercise's stream)."""
    import numpy as np

    blob = b""

    def put(case, path, value):
        nonlocal blob
        if isinstance(value, dict):
            for k, v in value.items():
                put(case, f"{path}__{k}", v)
        elif value is not None:
            a = np.require(np.asarray(value), requirements="C")
            if a.dtype.kind in "biuf":
                blob += frame({"kind": "array", "case": case, "path": path, "dtype": a.dtype.str,
                               "shape": list(a.shape)}, a.tobytes())  # fmt: skip

    for n, service in services.items():
        for name, value in service.evidence().items():
            put(n, f"sv__{name}", value)
    return blob


def _wipe(folder: str, keep: list[str]) -> None:
    """Empty the writable folder between exercises: nothing one leaves is there for the next."""
    for name in os.listdir(folder):
        if name in keep and name != "exercise0":
            continue
        path = os.path.join(folder, name)
        for root, dirs, _ in os.walk(path):
            for d in dirs:
                try:
                    os.chmod(os.path.join(root, d), 0o700)
                except OSError:
                    pass
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


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


def _read_fd_exact(fd: int, n: int, deadline: float) -> bytes | None:
    data = b""
    while len(data) < n:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return None
        chunk = os.read(fd, n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main() -> None:
    limits = json.loads(sys.argv[1])
    jobs = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _libc().prctl(PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/mem for what the exercises start
    import numpy  # noqa: F401 - paid once per submission; every fork starts with it loaded

    _shell()
    limits["keep"] = sorted(os.listdir(limits["work"]))  # the shell's own folders survive the wipes
    index = 0
    while True:
        message = read_message(jobs)
        if message is None:
            break
        reply = _run_job(message[0], message[1], limits, index)
        while reply:
            reply = reply[os.write(replies, reply) :]
        index += 1


if __name__ == "__main__":
    main()
