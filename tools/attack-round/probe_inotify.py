"""A root process of the host that makes and closes an inotify instance (with ARGV[2] == "fanotify", a
fanotify group) every 0.1 s for ARGV[1] seconds."""

import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
fails = oks = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    fd = libc.fanotify_init(0x200, 0) if sys.argv[2:] == ["fanotify"] else libc.inotify_init1(0)
    if fd < 0:
        fails += 1
    else:
        oks += 1
        os.close(fd)
    time.sleep(0.1)
print(f"host root {sys.argv[2] if sys.argv[2:] else 'inotify'}: ok", oks, "refused (EMFILE)", fails)
