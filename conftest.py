"""How `make test` spreads the tests and the notebooks over pytest-xdist's workers. At the top of the
checkout, as pytest starts its workers before it reads tests/conftest.py."""

import pytest

# The files that take longest, longest first (seconds of one worker, measured with --durations beside
# the rest of `make test`). They start first: xdist would otherwise hand out the files with the most
# tests first, and these few-test files (a venv to build, a corpus to grade) ended the run alone, the
# other workers idle. The order only schedules; a file missing here runs after them.
SLOWEST_FIRST = (
    "tests/grading/test_gradescope_docker.py",  # a venv from the bundle's requirements, then three gradings
    "tests/grading/test_grader.py",  # the fixture corpus, graded once
    "tests/grading/test_wheel.py",  # the wheel built and installed, then grading through it
    "tests/grading/test_attacks.py",  # the attack corpus
    "tests/test_benchmarks.py",
    "tests/test_learner_install.py",
    "tests/test_explorer.py",
    "notebooks/12-from-delta-to-autodiff.ipynb",
    "tests/grading/test_batch.py",
    "tests/grading/test_gradescope.py",
)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which `make test` runs under
def pytest_xdist_make_scheduler(config, log):
    """`make test` spreads the tests over pytest-xdist workers. One worker takes a whole test file, so
    that its module fixtures are built once, and a whole notebook, whose cells share one kernel. (The
    grading tests that look for leftover processes count only their own: tests/grading/processes.py.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0]

        def _assign_work_unit(self, node) -> None:
            # the slowest files first (SLOWEST_FIRST), then the rest as xdist orders them (most tests first)
            def rank(item):
                scope, tests = item
                if scope in SLOWEST_FIRST:
                    return (0, SLOWEST_FIRST.index(scope))
                return (1, -len(tests))

            for scope, _ in sorted(self.workqueue.items(), key=rank):
                self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    return ByFile(config, log)


def pytest_configure(config):
    """nbval's kernels talk over Unix sockets in a folder of their own, not TCP. jupyter_client picks TCP
    ports that are free when it looks, and `make test` starts many kernels at once (xdist workers, the
    numeric back-ends, JupyterLab and Voila beside them): a kernel whose port another process took first
    failed to bind, hung in its own shutdown, and nbval waited on it for ever (a fresh-clone CI run)."""
    try:
        import nbval.kernel
    except ImportError:
        return
    import shutil
    import tempfile
    import weakref

    class IpcKernelManager(nbval.kernel.KernelManager):
        def __init__(self, **kwargs):
            folder = tempfile.mkdtemp(prefix="nbval-kernel-")
            super().__init__(transport="ipc", ip=f"{folder}/k", **kwargs)
            weakref.finalize(self, shutil.rmtree, folder, True)

    nbval.kernel.KernelManager = IpcKernelManager
