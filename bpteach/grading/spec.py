"""What an exercise is, for the grader: its hidden cases, its reference answers, its known mistakes.

The workbook's seven exercises (exercises.py) and the teaching notebooks' exercises
(series/) are all `Exercise`s, looked up by their nbgrader grade_id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

KINDS = ("derivation", "counting", "bookkeeping", "code")


@dataclass
class Case:
    inputs: dict  # name -> ndarray, float, or dict[int, ndarray]
    expected: object  # ndarray, tuple of them, or dicts of them
    mistakes: dict = field(default_factory=dict)  # hint -> what that mistake would have returned
    judge: str = "allclose"  # "central_difference" (ex5) or "descent" (ex7) for the judged-by-process ones


@dataclass
class Exercise:
    grade_id: str
    function: str  # what the exercise process calls: the learner's function, or a local that `prepare` builds
    title: str
    points: int
    make_cases: Callable[[np.random.Generator], list[Case]]
    rtol: float = 1e-7
    prepare: str = ""  # trusted code run in the exercise process before the call; `_args` and `_case` in scope
    service: str = ""  # trusted harness-side `class Service` that `prepare`'s handles call through `_call`
    uses: tuple[str, ...] = ()  # bpteach modules `service` calls (as `bpteach.<name>`), sent as text, in order
    defines: tuple[str, ...] = ()  # the functions the solution cell defines (default: `function`)
    private: tuple[str, ...] = ()  # inputs `prepare` consumes: never handed to the learner's function
    items: tuple[str, ...] = ()  # names of the returned tuple's items, for the report
    derivation: bool = False  # the formula asked for is on no page of the series: the learner derives it
    kind: str = ""  # "derivation", "counting", "bookkeeping" or "code"; the README's table says the same

    def __post_init__(self) -> None:
        """One honest label: `kind` decides, `derivation` follows it (old definitions set only `derivation`)."""
        self.kind = self.kind or ("derivation" if self.derivation else "code")
        if self.kind not in KINDS:
            raise ValueError(f"{self.grade_id}: kind {self.kind!r}, expected one of {KINDS}")
        self.derivation = self.kind == "derivation"

    @property
    def names(self) -> tuple[str, ...]:
        return self.defines or (self.function,)


def case_rng(seed: int, submission: bytes, index: int) -> np.random.Generator:
    """The generator of one exercise's hidden inputs: the secret seed, the submission's hash, the index.

    No two different submissions share their hidden inputs, and a given submission
    graded with a given seed always gets the same ones.
    """
    digest = hashlib.sha256(submission).digest()
    words = [int.from_bytes(digest[k : k + 4], "little") for k in range(0, 32, 4)]
    return np.random.default_rng([int(seed) % 2**63, *words, index])
