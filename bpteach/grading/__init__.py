"""Auto-grading of the exercise notebooks: `bpteach assign`, `bpteach grade`, `bpteach gradescope`.

Threat model. A submission is hostile code. The rule: nothing it runs can affect any report,
any file outside its own scratch folder, or any process once its exercise is over, and it
cannot see the reference. The operating system enforces it, not Python:

- One bubblewrap sandbox per submission (sandbox.py; its cgroup and capped tmpfs, quotas.py): new
  user, PID, IPC, network, UTS and cgroup namespaces, uid 65534, no capabilities, --die-with-parent,
  an explicit environment (no secret seed, no tokens), read-only shared libraries
  (/usr/lib/<multiarch>) and Python install, and of each site-packages only numpy, IPython and what
  they require (no other package, no .pth file, no bpteach copy; no other program of /usr), no
  repository, home, reports or exercise source, and a 256 MiB tmpfs at /tmp as the only writable
  place (bwrap's own root, /dev and every tmpfs cover are remounted read-only). No network: nothing
  to connect to, not even the host's loopback. A grader running as root gets no user namespace from
  bwrap (its uid 65534 would be root's outside): bwrap keeps only the capabilities to change uid,
  and the harness runs under setpriv as the host's uid 65534 with none, so a root-only file on a
  bound path is refused and RLIMIT_NPROC holds. Where the grader can make them (root, writable
  cgroups), each sandbox gets a pids cgroup of at most 256 tasks, a memory cgroup that counts kernel
  memory too (slab, pipe and socket buffers, page tables, its tmpfs's pages: one exercise's address
  space + 256 MiB + 512 MiB, or less, its share of what the machine has free while a batch grades
  side by side; past it the kernel kills inside the sandbox and the report says so; should the
  machine run out anyway, sandboxes are first in line for the OOM killer, not the grader), and a
  /tmp tmpfs capped in files as well as bytes.
- Inside, the harness (harness.py) runs the text of the grader's own files, sent in its argv
  (harness.program), never an import from a path the sandbox can see. It forks one process per
  exercise (exercise_process.py) into a user and PID namespace of its own, where it is PID 1: when
  it ends, the kernel kills whatever it started. A seccomp filter (seccomp.py) forbids new processes
  altogether (threads are allowed), new namespaces (threads' too) and mounts, and memory held
  outside the address space (memfd, System V shared memory, message queues and semaphore sets, POSIX
  message queues, BPF); rlimits cap memory, CPU time, file size and open files, a wall clock bounds
  the exercise, and the writable folder is emptied before the next exercise.
- What crosses back is a byte stream of (dtype, shape, raw bytes) records (wire.py, the same
  code on both sides), parsed by the grader under bounds on size and count; only numbers and
  text become arrays. Nothing is unpickled and no file the submission wrote is ever opened. The
  grader judges the arrays in its own process (judge.py), against the reference it computes.
- Where the grade depends on how the answer was made (exercise 5 counts the calls to f,
  exercise 7 logs every call to cost_and_gradients), those functions are evaluated and logged
  by the harness (services.py), outside the exercise process: the submission gets a handle, and
  no in-process trick (gc, ctypes, a forged record on its stream) reaches the count or the log.
  Exercise 7's service is bpteach's own network and backward pass, whose modules travel as text
  with that job alone: exercise 7's process can read them (they are not its answer), and the
  harness ends after that job, so no later exercise's process is forked holding them.
- Where user namespaces are refused (Docker's default seccomp profile, so Gradescope), the
  bundle's `user` route (user_route.py) replaces bubblewrap's walls by the uid's: the harness runs
  as the unprivileged user `student` (setpriv: no capabilities, no_new_privs, no groups, clean
  environment), with the same seccomp filter and rlimits; the bundle's sources and seed, the
  submission, the results folder and every bpteach copy are root's alone, the venv is read-only
  to it, and every process of that uid is killed before results.json is written by root. In the
  disposable container (Gradescope's /autograder) the uid writes in its work folder only: the
  shared temporary folders are root's while it runs and setup.sh takes write permission from every
  other folder and file of the image; that folder is on the container's /dev/shm, whose use (what is
  written, however held: unlinked while open, mapped) a watch reads every 5 ms, killing the uid's
  processes past 256 MiB (a flood of 60 MiB files peaked at 263-280 MiB).
- Student-controlled text is data in every output: escaped or fenced in report.md, and in
  summary.csv every field has its control characters escaped and a would-be formula quoted.

Not defended against: kernel exploits and container escapes, CPU side channels (timing, caches,
Spectre-class), a submission that spends its own time and memory up to the limits, and, within one
submission, an exercise's code tampering with its own process (it can only lose its own points).
Kernel caches a sandbox filled that the kernel can drop (dentries of failed lookups, up to its
memory limit: 1.5 GB of slab from one submission, round k24c) outlive it, charged to the grader's
cgroup, until memory pressure reclaims them. On the `user` route: files of the image that are
world-readable (the course's are not), the network, if the platform gives one, and, outside a
disposable container (a root grader taking this route on its own machine, whose /tmp is never
locked), disk: nothing then bounds what the student uid writes while it runs but the disk
(RLIMIT_FSIZE caps one file; all is removed after). On the bwrap route without a writable memory
cgroup, nothing limits kernel memory but the tmpfs's caps (in files too where the grader is root);
without a pids cgroup, tasks are bounded per exercise only (RLIMIT_NPROC). Where the grader is not
root, the tmpfs caps bytes, not files (bwrap sets no nr_inodes), and the sandbox's uid is the
grader's outside, so what the kernel counts per user (inotify and fanotify are refused) is counted
against the grader's user. Run as root, sandboxes share the host's uid 65534 (each in PID, IPC and
network namespaces of its own, so none can signal or connect to another), and so does any host
process running as `nobody`.
`--no-sandbox` keeps the per-exercise process, seccomp filter, explicit environment and bounded
read-back, but the code runs as the grader's user with the grader's file system and network:
only for grading your own code.
"""

from .assign import assign
from .batch import grade_path
from .grade import grade_submission

__all__ = ["assign", "grade_path", "grade_submission"]
