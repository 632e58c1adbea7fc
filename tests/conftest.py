"""Shared by every test module.

Under `make test-backends`' libm-4ulp setting (tests/numeric_backends.py; alone or in a run named
`older-cpu+libm-4ulp`, under both settings at once) the notebook kernels get
a start-up file that moves exp, tanh and log 4 units in the last place; the unit tests run in this
process, so it gets the same functions here, before any test imports bpteach.
"""

import os

import numeric_backends

if any(p.startswith("libm-") for p in numeric_backends.parts(os.environ.get(numeric_backends.NAME_VARIABLE, ""))):
    exec(numeric_backends.SHIFTED_LIBM, {})
