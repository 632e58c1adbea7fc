"""The exercise process: forked by the harness for one exercise, inside the sandbox.

It sets its rlimits and seccomp filter (seccomp.py), runs the trusted set-up cells and the
submission's solution cell through IPython (input transformers, magics and all, as Jupyter would),
calls the function on each hidden case, and streams the results (dtype, shape, raw bytes; wire.py)
up RESULT_FD. A function it is handed to call (exercise 5's f, exercise 7's cost_and_gradients) is
a handle whose calls go to the harness's services (services.py) over CALL_FD and ANSWER_FD.
Everything in this process is the submission's to tamper with: it can only lose its own points.
"""

from __future__ import annotations

import builtins
import os
import signal
import sys

from . import seccomp, wire

RESULT_FD, PID_FD, CALL_FD, ANSWER_FD = 3, 4, 5, 6
PR_SET_PDEATHSIG = 1


def run(job: dict, data: bytes, limits: dict, index: int) -> None:
    """Exercise `index` of the session: never returns (os._exit once its stream is sent)."""
    write_all = wire.write_all

    def send(header: dict, payload: bytes = b"") -> None:
        write_all(RESULT_FD, wire.frame(header, payload))

    try:
        seccomp.libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        work = os.path.join(limits["work"], f"exercise{index}")
        os.makedirs(work, exist_ok=True)
        os.chdir(work)
        import numpy as np

        asarray, ndarray, generic = np.asarray, np.ndarray, np.generic

        def call(case: int, values) -> list:
            """Ask the harness-side service of this exercise (out of the submission's reach) to evaluate."""
            blob = bytearray()
            specs = wire.pack([np.array(v, dtype=float) for v in values], blob)  # 0-d stays 0-d
            write_all(CALL_FD, wire.frame({"case": int(case), "arrays": specs}, bytes(blob)))
            reply = wire.read_record(ANSWER_FD, None, 1 << 20, 1 << 31)
            if reply is None:
                raise ConnectionError("the grader's service is gone")
            head, payload = reply
            if "error" in head:
                raise ValueError(str(head["error"]))
            return wire.unpack_all(head["arrays"], payload, limit=1 << 16)

        def send_array(case: int, path: str, value) -> None:
            if value.dtype.kind in "biufcU" and value.dtype.hasobject is False:
                spec, raw = wire.encode(value)
                send({"kind": "array", "case": case, "path": path, **spec}, raw)

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
        cases = [case_args(data, spec) for spec in job["cases"]]

        ipython = shell()

        seccomp.set_limits(limits)
        if limits.get("seccomp", True) and not seccomp.no_processes():
            send({"kind": "status", "status": "error", "message": "new processes could not be forbidden here"})
            raise SystemExit
        for source in job["setup"]:
            result = ipython.run_cell(source, store_history=False)
            if not result.success:
                send({"kind": "status", "status": "error", "message": "a trusted set-up cell failed"})
                raise SystemExit
        result = ipython.run_cell(job["solution"], store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            status = "syntax_error" if isinstance(error, SyntaxError) else "error"
            send({"kind": "status", "status": status, "message": describe(error, "in your solution cell")})
            raise SystemExit
        prepare = None
        if job["prepare"].strip():
            namespace = ipython.user_ns
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
                function = local.get(job["function"]) or ipython.user_ns.get(job["function"])
                if function is None:
                    raise NameError(f"name {job['function']!r} is not defined")
                returned = function(**args)
            except BaseException as err:  # noqa: B036 - whatever the function raised is its answer
                send({"kind": "status", "status": "error", "message": describe(err, "when your function ran")})
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
            message = f"the exercise process failed outside your function: {describe(err, 'exercise process')}"
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


def shell():
    """The IPython shell every exercise starts from: made once in the harness, before the first fork."""
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


def case_args(data: bytes, spec: dict) -> dict:
    """One case's hidden inputs, as the grader packed them (runner.job): arrays, dicts of them, numbers."""
    args = {}
    for name, item in spec.items():
        if item["kind"] == "dict":
            args[name] = {int(k) if k.lstrip("-").isdigit() else k: wire.unpack(v, data)
                          for k, v in item["items"].items()}
        else:
            value = wire.unpack(item, data)
            args[name] = {"float": float, "int": int}.get(item["kind"], lambda v: v)(value)
    return args


def describe(err: BaseException, where: str) -> str:
    return f"{type(err).__name__}: {err} ({where})"

