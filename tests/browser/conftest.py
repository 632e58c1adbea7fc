"""Servers and a real browser for the browser tests: Debian's chromium driven by playwright.

Never `playwright install`: the browser comes from apt (.ci/apt-packages).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("python playwright (pip install -e '.[test]')")
    if missing:
        message = "browser tests need " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs both: a missing one is a broken set-up, not a skip
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer from {url} within {timeout} s")
        time.sleep(0.3)


class Server:
    def __init__(self, args: list[str], cwd: Path, log: Path, env: dict | None = None) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            args, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """Throwaway copies of the notebooks, so a test never writes into the repo's."""
    d = tmp_path_factory.mktemp("nb")
    shutil.copy(ROOT / "notebooks" / "10-explorer.ipynb", d / "10-explorer.ipynb")
    shutil.copytree(ROOT / "notebooks" / "demo", d / "demo")  # lecture.ipynb, voila.json, the template
    ARTIFACTS.mkdir(exist_ok=True)
    return d


@pytest.fixture(scope="session")
def lab(workdir):
    _need_browser()
    token, port = secrets.token_hex(16), free_port()
    server = Server(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
         "--LabApp.news_url=", "--allow-root"],
        workdir, ARTIFACTS / "jupyterlab.log",
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/status?token={token}")
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.stop()


@pytest.fixture(scope="session")
def voila(workdir):
    """The lecture page as `make demo` serves it: voila.json and the template from notebooks/demo."""
    _need_browser()
    port = free_port()
    demo = workdir / "demo"
    env = dict(os.environ, JUPYTER_PATH=str(demo / "share"))
    server = Server(
        [sys.executable, "-m", "voila", "lecture.ipynb", "--no-browser", f"--port={port}"],
        demo, ARTIFACTS / "voila.log", env=env,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/", server
    finally:
        server.stop()


def kernels_of(server: Server) -> list[int]:
    """The kernel processes a server has started (its children running ipykernel)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = int(next(x for x in status.read_text().splitlines() if x.startswith("PPid:")).split()[1])
            if ppid == server.proc.pid and b"ipykernel" in (status.parent / "cmdline").read_bytes():
                out.append(int(status.parent.name))
        except (OSError, StopIteration, ValueError):
            continue
    return out
