"""The wire format across the sandbox's boundary, the same code on both sides of it.

A record is `<II` (header length, payload length), a JSON header, a raw payload. The grader sends
the harness a job as one record; the exercise process sends its results, and asks the harness's
services for evaluations, as records; the harness replies to the grader with one record wrapping
them. Arrays cross as raw bytes with their dtype and shape (`encode`, `pack`), and come back through
one decoder (`decode`): numbers or text only, no objects, no pickles, sizes that add up.

The grader imports this module; inside the sandbox, where bpteach is hidden, the harness runs it
from the text the grader sends (harness.program), so the writer of every record and its reader are
this file. Standard library and numpy only: it must load where the harness runs.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time

import numpy as np

PREFIX = struct.Struct("<II")  # header length, payload length
MAX_RECORDS = 512  # arrays and type lists per exercise
RECORD_HEADER_BYTES = 16 * 1024  # an honest record's header (kind, case, path, shape, dtype; a types list) is < 4 KiB


def frame(header: dict, data: bytes = b"") -> bytes:
    """One record: a job, a reply, an array or a status."""
    text = json.dumps(header).encode()
    return PREFIX.pack(len(text), len(data)) + text + data


def write_all(fd: int, blob: bytes) -> None:
    """All of `blob` to a blocking fd (a pipe takes a large write in pieces)."""
    view = memoryview(blob)
    while view:
        view = view[os.write(fd, view) :]


# -- reading: from a trusted stream (the grader's jobs), or from fds under a deadline and bounds --


def read_message(stream) -> tuple[dict, bytes] | None:
    """The next record of a trusted stream (the harness reading the grader's jobs), or None at its end."""
    head = _read_exact(stream, PREFIX.size)
    if head is None:
        return None
    n_json, n_data = PREFIX.unpack(head)
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


def read_into(fd: int, buffer: bytearray, deadline: float | None = None) -> bytearray | None:
    """`buffer` filled from `fd` (by the monotonic `deadline`, if one is given), or None: late, or the
    pipe closed early. One buffer of the announced size, no growing copies: a forged length costs its
    reader that size once, and the caller bounds it before asking."""
    view, got = memoryview(buffer), 0
    while got < len(buffer):
        if deadline is not None:
            left = deadline - time.monotonic()
            ready = select.select([fd], [], [], left)[0] if left > 0 else []
            if not ready:
                return None
        n = os.readv(fd, [view[got : got + (1 << 20)]])
        if not n:
            return None
        got += n
    return buffer


def read_record(fd: int, deadline: float | None, max_header: int, max_data: int) -> tuple[dict, memoryview] | None:
    """One record from `fd`, or None (late, closed, over the bounds, or a header that is not a JSON object).
    The payload is a view of the one buffer it was read into, never copied."""
    head = read_into(fd, bytearray(PREFIX.size), deadline)
    if head is None:
        return None
    n_json, n_data = PREFIX.unpack(head)
    if n_json > max_header or n_data > max_data:
        return None
    data = read_into(fd, bytearray(n_json + n_data), deadline)
    if data is None:
        return None
    try:
        header = json.loads(bytes(data[:n_json]))
    except (ValueError, RecursionError):
        return None
    return (header, memoryview(data)[n_json:]) if isinstance(header, dict) else None


def take(buffer: bytearray, max_header: int, max_data: int) -> tuple[dict | None, bytes] | None:
    """The first complete record of `buffer`, removed from it (its header None if not a JSON object);
    None while it is incomplete. A record over the bounds raises ValueError: the stream cannot go on."""
    if len(buffer) < PREFIX.size:
        return None
    n_json, n_data = PREFIX.unpack(buffer[: PREFIX.size])
    if n_json > max_header or n_data > max_data:
        raise ValueError("a record over the size limits")
    end = PREFIX.size + n_json + n_data
    if len(buffer) < end:
        return None
    text, payload = bytes(buffer[PREFIX.size : PREFIX.size + n_json]), bytes(buffer[PREFIX.size + n_json : end])
    del buffer[:end]
    try:
        header = json.loads(text)
    except (ValueError, RecursionError):
        header = None
    return header if isinstance(header, dict) else None, payload


def records(stream: bytes | memoryview):
    """(header dict, payload) of each record of a stream, at most MAX_RECORDS * 2, malformed ones skipped.

    Payloads are slices of `stream` (views, when it is a memoryview); only a header within
    RECORD_HEADER_BYTES is copied out, to be parsed."""
    count, pos = 0, 0
    while pos + PREFIX.size <= len(stream) and count < MAX_RECORDS * 2:
        count += 1
        n_json = int.from_bytes(stream[pos : pos + 4], "little")
        n_data = int.from_bytes(stream[pos + 4 : pos + 8], "little")
        head_end = pos + PREFIX.size + n_json
        end = head_end + n_data
        if end > len(stream):
            return
        item = None
        if n_json <= RECORD_HEADER_BYTES:  # a bigger one is forged: `[{},{},...]` costs the parser ~25x its size
            try:
                item = json.loads(bytes(stream[pos + PREFIX.size : head_end]))
            except (ValueError, RecursionError):  # a forged header nested deeper than the parser goes
                pass
        payload = stream[head_end:end]
        pos = end
        if isinstance(item, dict):
            yield item, payload


# -- arrays: one encoder, one decoder ------------------------------------------------------------


def encode(value) -> tuple[dict, bytes]:
    """An array (a 0-d one stays 0-d) as its spec (dtype, shape) and its raw C-order bytes."""
    a = np.require(np.asarray(value), requirements="C")
    return {"dtype": a.dtype.str, "shape": list(a.shape)}, a.tobytes()


def decode(item: dict, payload: bytes | memoryview):
    """A plain ndarray of numbers or text, or None: no objects, no pickles, sizes that add up.

    The record may be forged: a shape is a list of at most 32 plain ints below 2**31, its size is
    counted in Python ints (no int64 wrap-around to match an empty payload), and an item is at least
    one byte (numpy cannot view bytes as "U0").
    """
    shape = item.get("shape", [])
    if not isinstance(shape, list) or len(shape) > 32 or any(type(s) is not int or not 0 <= s < 2**31 for s in shape):
        return None
    try:
        dtype = np.dtype(str(item.get("dtype")))
    except (TypeError, ValueError):
        return None
    if dtype.kind not in "biufcU" or dtype.hasobject or dtype.itemsize == 0:
        return None
    if math.prod(shape) * dtype.itemsize != len(payload):
        return None
    try:
        return np.frombuffer(payload, dtype=dtype).reshape(shape).copy()
    except ValueError:  # an empty array whose other dimensions are more than numpy can index
        return None


def pack(values, blob: bytearray) -> list[dict]:
    """Each value's spec, with its offset and size in `blob`, to which its bytes are appended."""
    specs = []
    for value in values:
        spec, raw = encode(value)
        spec.update(offset=len(blob), nbytes=len(raw))
        blob.extend(raw)
        specs.append(spec)
    return specs


def unpack(spec: dict, data: bytes | memoryview):
    """The array `pack` put at spec's offset in `data`, or None (see `decode`)."""
    start, nbytes = spec.get("offset"), spec.get("nbytes")
    if type(start) is not int or type(nbytes) is not int or start < 0 or nbytes < 0 or start + nbytes > len(data):
        return None
    return decode(spec, data[start : start + nbytes])


def unpack_all(specs, data: bytes | memoryview, dtype: str | None = None, limit: int = 64) -> list:
    """Every array of a `pack`ed list, each of `dtype` if given, which must fill `data` exactly, end to
    end: else ValueError (a request the harness's service refuses)."""
    if not isinstance(specs, list) or len(specs) > limit:
        raise ValueError(f"expected a list of at most {limit} arrays")
    out, end = [], 0
    for spec in specs:
        value = unpack(spec, data) if isinstance(spec, dict) and spec.get("offset") == end else None
        if value is None or dtype is not None and value.dtype.str != dtype:
            raise ValueError(f"expected {dtype or 'numeric'} arrays whose sizes add up")
        out.append(value)
        end += spec["nbytes"]
    if end != len(data):
        raise ValueError("the arrays' sizes do not add up")
    return out
