"""A root process of the host that queues a real-time signal to itself (blocked) every 0.2 s for ARGV[1]
seconds, and counts those the kernel could not queue (SigQ did not grow)."""

import os
import signal
import sys
import time


def queued() -> str:
    return [line for line in open("/proc/self/status") if line.startswith("SigQ")][0].split()[1]


signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGRTMIN + 1})
ok = lost = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    before = queued()
    os.kill(os.getpid(), signal.SIGRTMIN + 1)
    if queued() == before:
        lost += 1
    else:
        ok += 1
    signal.sigtimedwait({signal.SIGRTMIN + 1}, 0)
    time.sleep(0.2)
print("host root queued RT signals: ok", ok, "not queued", lost)
