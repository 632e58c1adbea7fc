"""A root process of the host that makes and closes an inotify instance every 0.1 s for ARGV[1] seconds."""

import ctypes
import os
import sys
import time

libc = ctypes.CDLL(None, use_errno=True)
fails = oks = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    fd = libc.inotify_init1(0)
    if fd < 0:
        fails += 1
    else:
        oks += 1
        os.close(fd)
    time.sleep(0.1)
print("host root inotify_init1: ok", oks, "refused (EMFILE)", fails)
