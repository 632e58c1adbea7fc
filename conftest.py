"""How `make test` spreads the tests and the notebooks over pytest-xdist's workers. At the top of the
checkout, as pytest starts its workers before it reads tests/conftest.py."""

import pytest


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which `make test` runs under
def pytest_xdist_make_scheduler(config, log):
    """`make test` spreads the tests over pytest-xdist workers. One worker takes a whole test file, so
    that its module fixtures are built once, and a whole notebook, whose cells share one kernel; the
    grading tests, which count the sandboxes' processes on this machine, all go to one worker, one after
    another, so that none counts another's. (xdist's own `--dist loadgroup` would say this with marks,
    but its groups are lost under pytest 9.2: pytest-dev/pytest-xdist#1386.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "tests/grading" if path.startswith("tests/grading/") else path

    return ByFile(config, log)
