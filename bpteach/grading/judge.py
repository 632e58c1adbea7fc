"""The judge: a submission's arrays, as they crossed the boundary (runner.py), against the reference the
grader computes in its own process; one check per property (present, shape, dtype, finite, value, inputs
unchanged, the services' evidence), each saying what is wrong, never the answer."""

from __future__ import annotations

import numpy as np

from .exercises import training_loss


def flatten(value, path="out", out=None):
    """Leaves of nested tuples/dicts, named like the exercise process's flatten (exercise_process.py)."""
    out = {} if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{path}__{k}", out)
    elif isinstance(value, (tuple, list)):
        for i, v in enumerate(value):
            flatten(v, f"{path}__{i}", out)
    else:
        out[path] = np.asarray(value)
    return out


def _close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "fiu":
        return False
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-300)
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + 1e-9 * scale))


def _label(exercise, path: str, keyed: bool = False) -> str:
    """`out__1__2` -> "db, key 2" when the exercise names its items, else "item 1, key 2";
    a result that is a dict (keyed by layer) -> "key 2"."""
    if path == "out":
        return "the result"
    parts = path.split("__")[1:]
    items = getattr(exercise, "items", ())
    named = items and parts[0].isdigit() and int(parts[0]) < len(items) and not keyed
    head = items[int(parts[0])] if named else f"{'key' if keyed else 'item'} {parts[0]}"
    return ", key ".join([head, *parts[1:]])


def _judge_arrays(exercise, expected: dict, outputs, types, check, values=True, keyed=False) -> bool:
    """Each expected array against the one the exercise process sent: present, shape, float64, finite, value.

    Only what crossed the boundary is judged; the type name the exercise process reports only explains
    why nothing crossed (a list, a user class), it never passes anything.
    """
    ok = True
    for path, want in expected.items():
        label, got = _label(exercise, path, keyed), outputs.get(path)
        if not check(f"{label}: returned", isinstance(got, np.ndarray),
                     f"{label}: expected a numpy array, got {types.get(path) or 'nothing'}"):
            ok = False
            continue
        transposed = got.shape == want.shape[::-1] and got.ndim == 2
        if not check(f"{label}: shape", got.shape == want.shape,
                     f"{label}: shape {got.shape}, expected {want.shape}"
                     + (" (the transpose: W vs Wᵀ, or a δᵀ vs δ aᵀ?)" if transposed else "")):
            ok = False
            continue
        counts = want.dtype.kind in "iu"  # a count (terms, multiplications): any integer type, judged exactly
        if not counts and got.ndim == 0 and got.dtype.kind in "iu" and abs(int(got)) <= 2**53:
            got = got.astype(np.float64)  # a plain Python int (`return 0`) is that float exactly: fair to take
        if not check(f"{label}: dtype", got.dtype.kind in "iu" if counts else got.dtype == np.float64,
                     f"{label}: dtype {got.dtype}, expected " + ("an integer" if counts else "float64")):
            ok = False
            if got.dtype.kind not in "fiu":  # bool, complex, text: not a number to compare
                continue
        if not check(f"{label}: finite", bool(np.all(np.isfinite(got))),
                     f"{label}: contains NaN or infinity"):
            ok = False
            continue
        diff = float(np.max(np.abs(got.astype(float) - want))) if got.size else 0.0
        same = np.array_equal(got, want) if counts else _close(got, want, exercise.rtol)
        if values and not check(f"{label}: value", same,
                                f"{label}: wrong values (max difference {diff:.2e})"):
            ok = False
    return ok


def _judge_inputs(exercise, case, inputs_after, check) -> bool:
    """Every array the function received must come back unchanged; no record of it is a failure."""
    ok = True
    given = {k: v for k, v in case.inputs.items() if k not in exercise.private}
    for name, original in flatten(given, "in").items():
        if original.dtype.kind not in "fiu" or original.ndim == 0:
            continue  # a float or int argument cannot be changed in place
        what = name[4:].replace("__", "[", 1) + ("]" if "__" in name[4:] else "")
        after = inputs_after.get(name)
        if not check(f"input {what}: recorded", isinstance(after, np.ndarray),
                     f"no record of the input {what} after the call: the evidence is missing, "
                     "so the check fails"):
            ok = False
        elif not check(f"input {what} unchanged", after.shape == original.shape and np.array_equal(after, original),
                       f"your function changed its input {what} in place"):
            ok = False
    return ok


def _evidence(inputs_after, name, kind="f", ndim=None):
    """An evidence array the harness-side service recorded (`sv__...`), or None if absent or malformed.

    `ndim=0` asks for one number (the service may save it as shape (1,)), returned as a 0-d array.
    """
    got = inputs_after.get(f"sv__{name}")
    if not isinstance(got, np.ndarray) or got.dtype.kind not in kind:
        return None
    if ndim == 0:
        return got.reshape(()) if got.size == 1 and got.ndim <= 1 else None
    return got if ndim is None or got.ndim == ndim else None


def judge_case(exercise, case, outputs, inputs_after, types) -> tuple[bool, list[dict]]:
    checks = []

    def check(name, ok, message=""):
        checks.append({"name": name, "passed": bool(ok), "message": "" if ok else message})
        return ok

    if case.judge == "descent":
        return _judge_training(exercise, case, outputs, inputs_after, types, check), checks
    expected = flatten(case.expected)
    ok = _judge_arrays(exercise, expected, outputs, types, check, keyed=isinstance(case.expected, dict))
    ok = _judge_inputs(exercise, case, inputs_after, check) and ok
    if case.judge == "central_difference":
        n, calls = case.inputs["theta"].size, _evidence(inputs_after, "calls", "iu", 0)
        ok = check("f called twice per coordinate", calls is not None and int(calls) == 2 * n,
                   "no record of the calls to f: the evidence is missing" if calls is None else
                   f"f was called {int(calls)} times; a central difference calls it twice per coordinate "
                   f"(2 × {n} = {2 * n})") and ok
    if not ok:
        got = {k: v for k, v in outputs.items() if k in expected}
        for hint, wrong in case.mistakes.items():
            w = flatten(wrong)
            if set(w) <= set(got) and all(_close(got[k], w[k], 1e-6) for k in w):
                checks.append({"name": "hint", "passed": False, "message": f"looks like: {hint}"})
                break
    return ok, checks


def _judge_training(exercise, case, outputs, inputs_after, types, check) -> bool:
    """The learner's gradient descent, judged by where it went, not only where it ended.

    The cost function the grader handed in (evaluated in the harness) logged every call: the cost there, whether the
    point was one step `W - lr dW` from the last, and the last point and gradient.
    """
    inp, target = case.inputs, case.expected
    W0, b0 = inp["W"], inp["b"]
    if not _judge_arrays(exercise, flatten((W0, b0)), outputs, types, check, values=False):
        check("returned (W, b)", False, "gradient_descent must return (W, b): two dicts of float64 arrays, "
                                        "keyed and shaped like the W and b it was given")
        return False
    W = {l: outputs[f"out__0__{l}"] for l in W0}
    b = {l: outputs[f"out__1__{l}"] for l in b0}
    ok = _judge_inputs(exercise, case, inputs_after, check)
    costs, off = _evidence(inputs_after, "costs", "f", 1), _evidence(inputs_after, "off_path", "iu", 0)
    last = {k: {l: inputs_after.get(f"sv__last__{k}__{l}") for l in W0} for k in ("W", "b", "dW", "db")}
    if not check("the grader's record of the descent", costs is not None and off is not None,
                 "no record of the calls to cost_and_gradients: the evidence is missing, "
                 "so the check fails"):
        return False
    if not check("gradient steps taken", costs.size >= 2,
                 f"cost_and_gradients was called {costs.size} times: take gradient steps with it"):
        return False
    J0 = training_loss(W0, b0, inp["X"], inp["Y"])
    ok = check("started from the given W and b", np.isclose(costs[0], J0, rtol=1e-9, atol=0),
               f"the first cost was {costs[0]:.4g}, but the W and b given cost {J0:.4g}: "
               "start from them") and ok
    ok = check("every step is W - lr dW", int(off) == 0,
               f"{int(off)} of the {costs.size - 1} moves were not one step W - lr·dW (lr = {inp['lr']:g}) "
               "from the point before") and ok
    arrays = all(isinstance(v, np.ndarray) for d in last.values() for v in d.values())
    at_last = arrays and all(_close(W[l], last["W"][l], 1e-12) and _close(b[l], last["b"][l], 1e-12) for l in W0)
    one_more = arrays and all(
        _close(W[l], last["W"][l] - inp["lr"] * last["dW"][l], 1e-9)
        and _close(b[l], last["b"][l] - inp["lr"] * last["db"][l], 1e-9)
        for l in W0
    )
    ok = check("returned where the descent ended", at_last or one_more,
               "the W and b returned are not the last point of the descent (nor one step from it)") and ok
    ok = check("the cost fell", costs[-1] < costs[0],
               f"the cost went from {costs[0]:.4g} to {costs[-1]:.4g}: it should fall") and ok
    try:
        loss = training_loss(W, b, inp["X"], inp["Y"])
    except (ValueError, TypeError) as err:
        check("parameters fit together", False, f"the returned parameters do not form a network: {err}")
        return False
    ok = check(f"mean J <= {target}", bool(np.isfinite(loss)) and loss <= target,
               f"mean J on the hidden data is {loss:.4f}, the target is {target}") and ok
    early = int(np.sum(costs[:-1] <= target))
    ok = check("stopped at the target", early == 0,
               f"it kept stepping after the cost reached {target} ({early} more steps): "
               "stop as soon as J <= target") and ok
    return ok
