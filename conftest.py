"""How `make test` spreads the tests and the notebooks over pytest-xdist's workers. At the top of the
checkout, as pytest starts its workers before it reads tests/conftest.py."""

import pytest


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which `make test` runs under
def pytest_xdist_make_scheduler(config, log):
    """`make test` spreads the tests over pytest-xdist workers. One worker takes a whole test file, so
    that its module fixtures are built once, and a whole notebook, whose cells share one kernel. (The
    grading tests that look for leftover processes count only their own: tests/grading/processes.py.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0]

    return ByFile(config, log)
