"""The exercise process cannot make kernel objects that hold memory outside its address space and outlive
it: System V semaphore sets and POSIX message queues (seccomp.py), as it cannot make shared memory or
message queues; nor inotify instances or fanotify groups, which bwrap's sandbox (root's uid outside)
took from the host root's budget, nor queue more than a few signals (the same budget). A semaphore set
of 32000 is 2.4 MiB of kernel memory and the kernel allows 32000 of them (~77 GB); they stay in the
sandbox's IPC namespace until the sandbox ends (bwrap: seen by the next exercise) and, on the user
route, in the container's after the grading (tools/attack-round/, round j24a). Nor a thread in new
namespaces: the kernel takes CLONE_THREAD with a new network namespace (round k24c: 23,000 in 12 s)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bpteach.grading import runner
from bpteach.grading import sandbox as _sandbox
from bpteach.grading.exercises import BY_ID

HERE = Path(__file__).resolve().parent
UID = 64999  # the student's uid on the user route here (test_gradescope_docker.py's)

# each attempt's result crosses back as a number: 1 where the kernel made the object
MAKE = """
import ctypes, os
import numpy as np
_libc = ctypes.CDLL(None, use_errno=True)
_sem = _libc.semget(0, 32000, 0o1600)  # IPC_PRIVATE, IPC_CREAT | 0600
_mq = _libc.mq_open(b"/bpteach-attack-mq", os.O_CREAT | os.O_RDWR, 0o600, None)
if _mq >= 0:
    _libc.mq_unlink(b"/bpteach-attack-mq")
_inotify = _libc.inotify_init1(0)
_fanotify = _libc.fanotify_init(0x200, os.O_RDONLY)  # FAN_REPORT_FID: allowed without privileges
import signal

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGRTMIN})
for _ in range(1000):  # each one queued is counted up to the host root's RLIMIT_SIGPENDING (bwrap)
    os.kill(os.getpid(), signal.SIGRTMIN)
_queued = 0
while signal.sigtimedwait({signal.SIGRTMIN}, 0) is not None:
    _queued += 1
# a thread (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD) in a new network namespace
_stack = ctypes.create_string_buffer(1 << 16)
_top = ctypes.c_void_p(ctypes.addressof(_stack) + (1 << 16) - 64)
_netns = _libc.clone(ctypes.cast(_libc.getppid, ctypes.c_void_p), _top,
                     0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000000, None)


def output_delta(y, h, fprime_z):
    made = (_sem >= 0, _mq >= 0, _inotify >= 0, _fanotify >= 0, _queued > 65, _netns > 0)
    return np.array([float(m) for m in made])
"""

DRIVE = """
import json, sys
import numpy as np
from bpteach.grading import runner
from bpteach.grading.exercises import BY_ID
ex = BY_ID["ex1-output-delta"]
r = runner.run_exercise([], sys.argv[1], ex.function, ex.make_cases(np.random.default_rng(0)), sandbox="user")
print(json.dumps({"status": r.status, "message": r.message, "made": r.outputs[0]["out"].tolist()}))
"""


def _made(sandbox: str) -> list[float]:
    ex = BY_ID["ex1-output-delta"]
    run = runner.run_exercise([], MAKE, ex.function, ex.make_cases(np.random.default_rng(0)), sandbox=sandbox)
    assert run.status == "ok", run.message
    return run.outputs[0]["out"].tolist()


def _student_sets() -> int:
    lines = Path("/proc/sysvipc/sem").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[4] == str(UID))


@pytest.mark.skipif(not _sandbox.available(), reason="bubblewrap cannot start here")
def test_no_ipc_object_nor_watch_in_the_sandbox():
    assert _made("bwrap") == [0.0] * 6


def test_no_ipc_object_nor_watch_without_the_sandbox():
    assert _made("none") == [0.0] * 6  # --no-sandbox keeps the exercise's seccomp filter


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="the user route needs root")
def test_no_semaphore_set_left_by_the_user_route():
    before = _student_sets()
    env = {"PATH": "/usr/bin:/bin", "BPTEACH_STUDENT_UID": str(UID)}
    done = subprocess.run([sys.executable, str(HERE / "no_userns.py"), sys.executable, "-c", DRIVE, MAKE],
                          env=env, capture_output=True, text=True, timeout=300)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok", out["message"]
    assert out["made"] == [0.0] * 6
    assert _student_sets() == before
