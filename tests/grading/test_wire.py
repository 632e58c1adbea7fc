"""The boundary's wire format is one module, wire.py, on both sides: the harness runs the text of the
grader's own file, its frames are what the grader's reader reads, and the array codec refuses what
is not plain numbers or text. Exercise 7's service is bpteach's own backward pass."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpteach import Network
from bpteach.grading import exercises, harness, runner, services, wire
from bpteach.grading.spec import case_rng

PACKAGE = Path(wire.__file__).parent


def test_the_harness_runs_the_grader_s_own_files() -> None:
    """Each module the sandbox runs is in the program as the grader's file holds it, in SANDBOX_MODULES's order."""
    text = harness.program()
    positions = []
    for name in harness.SANDBOX_MODULES:
        source = (PACKAGE / f"{name}.py").read_text()
        assert repr(source) in text, name
        positions.append(text.index(repr(source)))
    assert positions == sorted(positions)
    assert runner.HARNESS == text and harness.MARKER in text


def test_no_other_module_frames_records() -> None:
    """The record prefix `<II` and JSON framing are written and read in wire.py alone."""
    for path in PACKAGE.glob("*.py"):
        if path.name != "wire.py":
            source = path.read_text()
            assert not re.search(r"""["']<II["']""", source), path.name
            assert "frombuffer" not in source and "tobytes" not in source, path.name


def test_sandbox_side_frames_are_what_the_grader_reads() -> None:
    """The program's modules, started as the sandbox starts them (`python -I -B -c`), write a record and
    arrays with the wire module they carry; the grader's reader and decoder get them back exactly."""
    program = harness.program()
    body = program[: program.rindex("sys.modules[")]  # every module loaded, main() not called
    body += (
        "w = sys.modules['_bpteach_harness.wire']\n"
        "import numpy as np\n"
        "spec, raw = w.encode(np.arange(6, dtype='<f8').reshape(2, 3))\n"
        "blob = w.frame({'kind': 'array', 'case': 0, 'path': 'out', **spec}, raw)\n"
        "blob += w.frame({'kind': 'status', 'status': 'ok'})\n"
        "sys.stdout.buffer.write(w.frame({'evidence': 0, 'file': w.__file__}, blob))\n"
    )
    done = subprocess.run([sys.executable, "-I", "-B", "-c", body, "{}"], capture_output=True, timeout=120, check=True)
    out = done.stdout
    n_json, n_data = wire.PREFIX.unpack(out[: wire.PREFIX.size])
    assert len(out) == wire.PREFIX.size + n_json + n_data

    header = json.loads(out[wire.PREFIX.size : wire.PREFIX.size + n_json])
    assert header["file"] == "<wire.py>"  # the text the grader sent, not a file on the sandbox's path
    records = list(wire.records(memoryview(out)[wire.PREFIX.size + n_json :]))
    assert [r[0]["kind"] for r in records] == ["array", "status"]
    np.testing.assert_array_equal(wire.decode(*records[0]), np.arange(6.0).reshape(2, 3))


def test_pack_and_unpack_round_trip() -> None:
    values = [np.arange(3.0), np.array(2.5), np.ones((2, 0)), np.arange(4, dtype=np.int32).reshape(2, 2)]
    blob = bytearray()
    specs = wire.pack(values, blob)
    for want, got in zip(values, wire.unpack_all(specs, bytes(blob)), strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
    with pytest.raises(ValueError):
        wire.unpack_all(specs, bytes(blob), dtype="<f8")  # the int32 one
    with pytest.raises(ValueError):
        wire.unpack_all(specs[:-1], bytes(blob))  # sizes that do not add up


@pytest.mark.parametrize(
    "item, payload",
    [
        ({"dtype": "|O", "shape": [1]}, b"\0" * 8),  # objects
        ({"dtype": "<f8", "shape": [2**32, 2**32]}, b""),  # a size that wraps around in int64
        ({"dtype": "<f8", "shape": [2]}, b"\0" * 8),  # a short payload
        ({"dtype": "<U0", "shape": [5]}, b""),  # zero-sized items
        ({"dtype": "<f8", "shape": "2"}, b"\0" * 16),  # a shape that is not a list
    ],
)
def test_decode_refuses_forged_records(item, payload) -> None:
    assert wire.decode(item, payload) is None


def test_take_bounds_a_stream() -> None:
    buffer = bytearray(wire.frame({"case": 0}, b"abc") + wire.frame({"case": 1})[:5])
    assert wire.take(buffer, 100, 100) == ({"case": 0}, b"abc")
    assert wire.take(buffer, 100, 100) is None  # incomplete
    with pytest.raises(ValueError):
        wire.take(bytearray(wire.PREFIX.pack(10**6, 0)), 100, 100)


def test_exercise_7_service_is_bpteach_s_backward_pass() -> None:
    """The harness-side cost_and_gradients, loaded from the text the grader sends, answers what bpteach's
    Network answers; the service's text has no backward pass of its own."""
    ex7 = exercises.BY_ID["ex7-train"]
    assert ".T @" not in ex7.service and "exp(" not in ex7.service
    case = ex7.make_cases(case_rng(3, b"wire", 6))[0]
    header, data = runner.job([], "", ex7.function, [case], ex7.prepare, ex7.service, ex7.uses)
    try:
        service = services.make(header, data)[0]
    finally:
        for name in [n for n in sys.modules if n.startswith(services.REFERENCE)]:
            del sys.modules[name]
    W, b, X, Y = (case.inputs[k] for k in ("W", "b", "X", "Y"))
    keys = sorted(W)
    out = service([W[l] for l in keys] + [b[l] for l in keys] + [X, Y])
    net = Network.from_params(W, b)
    g = net.gradients(X, Y)
    assert float(out[0][0]) == net.cost(X, Y)
    for got, want in zip(out[1:], [g.W[l] for l in keys] + [g.b[l] for l in keys], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_the_sandbox_modules_need_nothing_else_of_bpteach() -> None:
    """Each module the harness program carries imports, of bpteach, only modules loaded before it there
    (bpteach itself is hidden in the sandbox; a missing one would fail only inside it)."""
    loaded: list[str] = []
    for name in harness.SANDBOX_MODULES:
        for node in ast.walk(ast.parse((PACKAGE / f"{name}.py").read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                deps = [node.module] if node.module else [a.name for a in node.names]
                assert node.level == 1 and set(deps) <= set(loaded), (name, deps)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert not any(m.split(".")[0] == "bpteach" for m in modules), (name, modules)
        loaded.append(name)
