"""The judge's small fairness and safety rules, one at a time (no sandbox needed)."""

import csv
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from bpteach.grading import batch, grade


def _judge(got, want):
    failed = []

    def check(name, passed, message):
        if not passed:
            failed.append(message)
        return passed

    exercise = SimpleNamespace(rtol=1e-7, items=())
    ok = grade._judge_arrays(exercise, {"out": np.asarray(want)}, {"out": got}, {}, check)
    return ok, failed


def test_a_plain_int_where_a_float_is_expected_counts_when_exact():
    assert _judge(np.array(0), 0.0) == (True, [])  # `return 0` for "0 when both are 0"
    assert _judge(np.array(3), 3.0) == (True, [])
    ok, failed = _judge(np.array(1), 0.0)  # the value is still judged
    assert not ok and "wrong values" in failed[0]


def test_float32_and_integer_arrays_are_still_refused_where_float64_is_expected():
    ok, failed = _judge(np.array(0.0, dtype=np.float32), 0.0)
    assert not ok and "dtype float32" in failed[0]
    ok, failed = _judge(np.array([0, 1]), np.array([0.0, 1.0]))  # an int array is no plain number
    assert not ok and "dtype int64" in failed[0]


def test_summary_csv_escapes_control_characters_in_every_field(tmp_path):
    name = "\x1b[2J\x1b]0;pwned\x07=cmd.ipynb"
    report = {"score": 0.0, "max_score": 2.0, "source": "n\x1b.ipynb",
              "exercises": [{"grade_id": "ex\r1", "status": "wro\x1bng", "points": 0.0, "max_points": 2.0}]}
    target = tmp_path / "summary.csv"
    batch.write_summary(target, [Path(name)], [Path("folder\x1b")], [report])
    raw = target.read_bytes()
    assert not any(b < 0x20 and b not in (0x0A, 0x0D) for b in raw), raw  # only the CSV's own line ends
    assert b"\r1" not in raw and b"\x1b" not in raw
    rows = list(csv.reader(open(target, newline="")))
    assert rows[1][0] == "\\x1b[2J\\x1b]0;pwned\\x07=cmd.ipynb" and rows[2][2] == "ex\\r1"
    assert batch.cell("=SUM(A1)") == "'=SUM(A1)"


def test_a_forged_record_header_is_skipped_unparsed():
    import json
    import tracemalloc

    from bpteach.grading import wire

    bomb = ("[" + ",".join(["{}"] * 2_000_000) + "]").encode()  # 6 MB of header: about 150 MB parsed

    def record(header: bytes, payload: bytes = b"") -> bytes:
        return len(header).to_bytes(4, "little") + len(payload).to_bytes(4, "little") + header + payload

    honest = json.dumps({"kind": "status", "status": "ok"}).encode()
    stream = record(bomb) + record(honest)
    tracemalloc.start()
    items = list(wire.records(stream))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [i for i, _ in items] == [{"kind": "status", "status": "ok"}]  # the next record still read
    assert peak < len(bomb) // 4, f"reading the records cost {peak / 1e6:.0f} MB"


def test_a_broadcast_error_between_transposed_shapes_points_at_the_transpose():
    """A learner's slip (tied_gradient's second use not transposed back) fails to broadcast; the report says
    the shapes are each other's transpose, not the general advice about * and @, and never which term."""
    said = grade._explain("ValueError: operands could not be broadcast together with shapes (3,4) (4,3) ")
    assert "each other's transpose" in said and "`@`" not in said
    for other in ("(3,4) (3,5)", "(3,) (4,)", "(2,3) (2,3,1)"):
        said = grade._explain(f"ValueError: operands could not be broadcast together with shapes {other} ")
        assert "transpose" not in said and "`@` is the matrix product" in said, other
