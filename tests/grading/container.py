"""Run a command as in Gradescope's disposable container, without touching the host (tests only).

    python container.py KEEP[:KEEP...] COMMAND [ARGS...]

A mount namespace of its own where /tmp, /var/tmp, /run/lock and /dev/shm are fresh tmpfs (so the
grader may lock them, as it does in the container, while the host's stay as they are), with the
folders KEEP (under the host's /tmp: the autograder root, the venv) bound back in at their places;
namespaces refused as Docker's default profile refuses them (no_userns.py). Beside the command, a
watch of /dev/shm reads its use every 2 ms, independently of the grader's own watch; the last line of
stdout is `PEAK <bytes>`, the most it held at once.
"""

import ctypes
import os
import sys
import time

from no_userns import refuse_user_namespaces

CLONE_NEWNS, MS_BIND, MS_REC, MS_PRIVATE = 0x00020000, 0x1000, 0x4000, 1 << 18
SHARED = ("/tmp", "/var/tmp", "/run/lock", "/dev/shm")
libc = ctypes.CDLL(None, use_errno=True)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    args = [None if v is None else v.encode() for v in (source, target, fstype)]
    if libc.mount(*args, flags, None if data is None else data.encode()) != 0:
        raise OSError(ctypes.get_errno(), f"mount {source} on {target}")


def _used(path: str) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def main() -> int:
    keep = [os.path.realpath(k) for k in sys.argv[1].split(":")]
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    host_tmp = os.open("/tmp", os.O_PATH)  # the host's /tmp, reached through it once a tmpfs covers it
    for path in SHARED:
        if os.path.isdir(path):
            _mount("bpteach-container", path, "tmpfs", 0, "mode=1777,size=4g")
    for path in keep:
        os.makedirs(path)
        _mount(f"/proc/self/fd/{host_tmp}/{os.path.relpath(path, '/tmp')}", path, None, MS_BIND | MS_REC, None)
    child = os.fork()
    if child == 0:
        os.close(host_tmp)
        refuse_user_namespaces()
        os.execvp(sys.argv[2], sys.argv[2:])
    base = peak = _used("/dev/shm")
    while True:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _used("/dev/shm"))
        time.sleep(0.002)
    print(f"PEAK {peak - base}", flush=True)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
