"""The exercise process's own limits, set by itself before any submission code runs: a seccomp
filter (no new processes, namespaces, mounts or out-of-address-space memory) and rlimits.
Standard library only: it runs in the sandbox, from the text the grader sends (harness.program).
"""

from __future__ import annotations

import ctypes
import platform
import resource
import struct


def libc():
    return ctypes.CDLL(None, use_errno=True)


# seccomp: the exercise process may start threads, never processes (no fork, vfork, or clone
# without CLONE_THREAD; clone3 answers ENOSYS so that libc falls back to clone). A fork bomb or
# a detached process then fails at its first step, even where RLIMIT_NPROC does not hold (root).
# Nor may it make namespaces or mounts: it holds every capability inside its own user namespace,
# and with them it could mount a tmpfs of its own, with no size limit (the host's memory). Nor
# may it hold memory outside its address space (RLIMIT_AS): no memfd, no System V shared memory,
# message queue or semaphore set, no POSIX message queue (they outlive the exercise in the sandbox's
# IPC namespace, and on the user route in the container's; a set of 32000 semaphores is 2.4 MiB of
# kernel memory, and the kernel allows 32000 sets), no BPF maps. Nor inotify or fanotify: the kernel
# charges inotify instances and watches and fanotify groups to a uid's host-wide budget
# (fs.inotify.max_user_instances, user.max_fanotify_groups, often 128), and the sandbox's uid is the
# grader's own outside (a non-root grader's bwrap maps it so; a root grader's, uid 65534, is shared by
# every sandbox of the host): when it was root's, an exercise held all of them, and no root process of
# the host could make one meanwhile.
_DENIED = ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
           "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "memfd_create", "memfd_secret",
           "shmget", "msgget", "semget", "mq_open", "bpf", "inotify_init", "inotify_init1",
           "fanotify_init")
# The numbers below are the kernel's UAPI headers' (<asm/unistd.h> for __NR_*, <linux/audit.h> for
# AUDIT_ARCH_*, __X32_SYSCALL_BIT, <linux/sched.h> for CLONE_THREAD); the syscalls added since 5.x
# share one number on every architecture (include/uapi/asm-generic/unistd.h). A wrong number fails
# open, so tests/grading/test_seccomp_numbers.py checks each against the installed headers.
_CLONE_THREAD = 0x00010000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: the kernel takes the first five with
# CLONE_THREAD, so a thread could be made in new network or UTS namespaces (23,000 network namespaces
# in 12 s, slowing the host's own) unless clone with any of them is refused, thread or not
_CLONE_NEW = 0x7E020000
_UNIFIED = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
            "fspick": 433, "mount_setattr": 442, "memfd_secret": 447}
_ARCH = {"x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "unshare": 272,
                                 "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
                                 "memfd_create": 319, "shmget": 29, "msgget": 68, "semget": 64, "mq_open": 240,
                                 "bpf": 321, "inotify_init": 253, "inotify_init1": 294,
                                 "fanotify_init": 300, **_UNIFIED},
                    0x40000000),
         "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40,
                                  "umount2": 39, "pivot_root": 41, "chroot": 51, "memfd_create": 279,
                                  "shmget": 194, "msgget": 186, "semget": 190, "mq_open": 180,
                                  "bpf": 280, "inotify_init1": 26,
                                  "fanotify_init": 262, **_UNIFIED}, None)}


def no_processes() -> bool:
    """Install the filter on this process (and what it starts); False where it cannot be (no table for
    this machine, or the kernel refused), and the exercise is then refused."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return False
    audit, numbers, x32 = arch
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, deny, nosys = 0x7FFF0000, 0x00050000 | 1, 0x00050000 | 38
    # (code, jt, jf, k) with symbolic targets resolved below
    prog = [(ld, 0, 0, 4), (jeq, 0, "deny", audit), (ld, 0, 0, 0)]
    if x32 is not None:
        prog.append((jge, "deny", 0, x32))
    for name in ("fork", "vfork", *_DENIED):
        if name in numbers:
            prog.append((jeq, "deny", 0, numbers[name]))
    prog += [(jeq, "nosys", 0, numbers["clone3"]), (jeq, 0, "allow", numbers["clone"]),
             (ld, 0, 0, 16), (jset, "deny", 0, _CLONE_NEW), (jset, "allow", "deny", _CLONE_THREAD)]
    labels = {"allow": len(prog), "deny": len(prog) + 1, "nosys": len(prog) + 2}
    prog += [(ret, 0, 0, allow), (ret, 0, 0, deny), (ret, 0, 0, nosys)]
    raw = b""
    for i, (code, jt, jf, k) in enumerate(prog):
        jt = labels[jt] - i - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - i - 1 if isinstance(jf, str) else jf
        raw += struct.pack("<HBBI", code, jt, jf, k)
    buf = ctypes.create_string_buffer(raw)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Prog(len(prog), ctypes.addressof(buf))
    libc_ = libc()
    if libc_.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc_.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


SIGPENDING = 64  # real-time signals queued to the exercise process at once


def set_limits(limits: dict) -> None:
    """The exercise process's rlimits (memory, CPU, file size, no core, processes, open files, queued
    signals: the kernel counts a queued real-time signal against the uid's RLIMIT_SIGPENDING at every
    level up to the host's, and the sandbox's uid is the grader's own, or uid 65534 for a root grader;
    when it was root's, an exercise that queued 96000 to itself left the host's root processes none)."""
    caps = [(resource.RLIMIT_AS, limits["memory"]), (resource.RLIMIT_CPU, limits["cpu"]),
            (resource.RLIMIT_FSIZE, limits["file_bytes"]), (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_SIGPENDING, SIGPENDING),
            (resource.RLIMIT_NPROC, limits["processes"]),
            (resource.RLIMIT_NOFILE, limits.get("files", 256))]
    for which, value in caps:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
