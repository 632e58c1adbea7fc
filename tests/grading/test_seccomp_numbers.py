"""The seccomp filters' hand-written numbers against the platform's own headers.

The harness's filter (bpteach/grading/seccomp.py `_ARCH`) and the tests' Docker stand-in
(tests/grading/no_userns.py `ARCH`) name each syscall, audit architecture and clone flag by number.
A wrong number fails open: the call it meant to refuse goes through. The source of truth is the
kernel's UAPI headers (<asm/unistd.h>, <linux/audit.h>, <linux/sched.h>); a C compiler evaluates
them here, so the macros composed of others (AUDIT_ARCH_*) are checked as the kernel defines them.
Only the running architecture's table can be checked (its headers are the ones installed).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import no_userns
import pytest

from bpteach.grading import seccomp

AUDIT = {"x86_64": "AUDIT_ARCH_X86_64", "aarch64": "AUDIT_ARCH_AARCH64"}


def _from_headers(tmp_path: Path, macros: dict[str, str]) -> dict[str, int]:
    """Each macro's value as the platform's C compiler sees it; skip where there is none."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to read the kernel headers with")
    line = '    printf("%s %llu\\n", "{}", (unsigned long long)({}));\n'
    lines = "".join(line.format(key, macro) for key, macro in macros.items())
    src = tmp_path / "numbers.c"
    src.write_text("#include <stdio.h>\n#include <asm/unistd.h>\n#include <linux/audit.h>\n"
                   "#include <linux/sched.h>\nint main(void) {\n" + lines + "    return 0;\n}\n")
    exe = tmp_path / "numbers"
    built = subprocess.run([cc, "-o", str(exe), str(src)], capture_output=True, text=True)
    if built.returncode != 0 and "No such file" in built.stderr:
        pytest.skip(f"kernel headers not installed: {built.stderr.strip().splitlines()[0]}")
    assert built.returncode == 0, built.stderr  # a macro the headers do not define: a name is wrong
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return {key: int(value) for key, value in (line.split() for line in out.splitlines())}


def _machine() -> str:
    machine = platform.machine()
    if machine not in seccomp._ARCH:
        pytest.skip(f"no seccomp table for {machine}: the harness runs without its filter there")
    return machine


def test_harness_filter_numbers_match_headers(tmp_path: Path) -> None:
    machine = _machine()
    audit, numbers, x32 = seccomp._ARCH[machine]
    macros = {name: f"__NR_{name}" for name in numbers}
    macros["audit"] = AUDIT[machine]
    if x32 is not None:
        macros["x32"] = "__X32_SYSCALL_BIT"
    macros["CLONE_THREAD"] = "CLONE_THREAD"
    macros |= {flag: flag for flag in no_userns.CLONE_NEW}
    truth = _from_headers(tmp_path, macros)
    truth["CLONE_NEW"] = sum(truth.pop(flag) for flag in no_userns.CLONE_NEW)  # every namespace flag
    ours = {**numbers, "audit": audit, "CLONE_THREAD": seccomp._CLONE_THREAD, "CLONE_NEW": seccomp._CLONE_NEW}
    if x32 is not None:
        ours["x32"] = x32
    assert ours == truth
    # every call the filter means to refuse has a number here, unless the architecture lacks it
    # (aarch64 has no fork or vfork: libc makes them with clone, which the filter judges)
    missing = [name for name in ("fork", "vfork", *seccomp._DENIED) if name not in numbers]
    assert set(missing) <= {"fork", "vfork"} and (machine != "x86_64" or not missing)


def test_no_userns_numbers_match_headers(tmp_path: Path) -> None:
    machine = _machine()
    if machine not in no_userns.ARCH:
        pytest.skip(f"no_userns.py has no table for {machine}")
    audit, numbers = no_userns.ARCH[machine]
    macros = {name: f"__NR_{name}" for name in numbers}
    macros |= {"audit": AUDIT[machine], **{flag: flag for flag in no_userns.CLONE_NEW}}
    truth = _from_headers(tmp_path, macros)
    assert {**numbers, "audit": audit, **no_userns.CLONE_NEW} == truth
    assert no_userns.NAMESPACES == 0x7E020000  # Docker's default profile's mask for clone
