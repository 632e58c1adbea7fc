"""Run a command as Docker's default seccomp profile would: no user namespaces (tests only).

    python no_userns.py COMMAND [ARGS...]

Docker (and so Gradescope) refuses unshare(2) and clone(2) with namespace flags to a container
without CAP_SYS_ADMIN, and answers clone3 with ENOSYS; bubblewrap then cannot start. This installs
the same refusals (EPERM) as a seccomp filter, then execs COMMAND, which inherits it. The syscall
numbers are the kernel's UAPI headers' (<asm/unistd.h>, <linux/audit.h>, <linux/sched.h>);
test_seccomp_numbers.py checks them against the installed headers.
"""

import ctypes
import os
import platform
import struct
import sys

ARCH = {"x86_64": (0xC000003E, {"unshare": 272, "clone": 56, "clone3": 435, "setns": 308}),
        "aarch64": (0xC00000B7, {"unshare": 97, "clone": 220, "clone3": 435, "setns": 268})}
CLONE_NEWUSER = 0x10000000


def refuse_user_namespaces() -> None:
    audit, nr = ARCH[platform.machine()]
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    allow, eperm, enosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    prog = [
        (ld, 0, 0, 4), (jeq, 1, 0, audit), (ret, 0, 0, allow),  # another ABI: not ours to judge
        (ld, 0, 0, 0),
        (jeq, 0, 1, nr["unshare"]), (ret, 0, 0, eperm),
        (jeq, 0, 1, nr["setns"]), (ret, 0, 0, eperm),
        (jeq, 0, 1, nr["clone3"]), (ret, 0, 0, enosys),
        (jeq, 1, 0, nr["clone"]), (ret, 0, 0, allow),
        (ld, 0, 0, 16), (jset, 0, 1, CLONE_NEWUSER), (ret, 0, 0, eperm), (ret, 0, 0, allow),
    ]
    raw = b"".join(struct.pack("<HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, ctypes.byref(Prog(len(prog), ctypes.addressof(buf))), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


if __name__ == "__main__":
    refuse_user_namespaces()
    os.execvp(sys.argv[1], sys.argv[1:])
