"""`make book` in a real browser: every page loads with no failed and no non-local request, its
equations typeset by the MathJax served from the build, its images loaded; three screenshots."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from urllib.parse import urlparse

import pytest

from conftest import ARTIFACTS, ROOT, free_port, wait_http

if not os.environ.get("CI"):  # CI installs the `book` extra: there, a missing builder is a failure
    pytest.importorskip("myst_nb", reason="the book's builder comes with the `book` extra")


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("book_build", ROOT / "book" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    start = time.monotonic()
    html = build.build(tmp_path_factory.mktemp("book"))
    seconds = time.monotonic() - start
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=html,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/index.html")
        yield {"html": html, "url": f"http://127.0.0.1:{port}", "seconds": seconds, "pages": build.notebooks()}
    finally:
        server.kill()
        server.wait()


def test_the_book_builds_every_notebook_in_order_quickly(book):
    names = [p.stem for p in book["pages"]]
    assert names == sorted(names) and len(names) >= 12
    index = (book["html"] / "index.html").read_text()
    positions = [index.index(f'href="{n}.html"') for n in names]  # the table of contents, in series order
    assert positions == sorted(positions)
    assert book["seconds"] < 120


def _visit(browser, url: str):
    """Open one page; what failed, what left the machine, and what it shows."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed, foreign = [], []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: failed.append(m.text) if "Failed to load resource" in m.text else None)
    page.on("request", lambda r: foreign.append(r.url) if urlparse(r.url).hostname != "127.0.0.1"
            and not r.url.startswith("data:") else None)
    page.goto(url, wait_until="networkidle")
    if page.locator("span.math, div.math").count():  # Sphinx loads MathJax only where there is maths
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                               "&& MathJax.Hub.queue.running === 0", timeout=60_000)
    counts = page.evaluate("""() => ({
        source: document.querySelectorAll('span.math, div.math').length,
        typeset: document.querySelectorAll('span.math .MathJax_CHTML, div.math .MathJax_CHTML').length,
        errors: document.querySelectorAll('.MathJax_CHTML merror, .mjx-merror').length,
        images: Array.from(document.images).map(i => i.complete && i.naturalWidth > 0),
        folded: document.querySelectorAll('.tag_hide-input > details:not([open])').length,
    })""")
    return page, failed, foreign, counts


def test_every_page_loads_locally_with_its_maths_and_images(book, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    shots = {"index", "05-the-trick", "10-explorer"}
    for name in ["index", *(p.stem for p in book["pages"])]:
        page, failed, foreign, counts = _visit(browser, f"{book['url']}/{name}.html")
        assert not failed, f"{name}: failed requests {failed}"
        assert not foreign, f"{name}: requests that left this machine {foreign}"
        assert counts["typeset"] == counts["source"] and counts["errors"] == 0, f"{name}: {counts}"
        assert all(counts["images"]), f"{name}: an image did not load"
        if name != "index":
            md = (ROOT / "notebooks" / f"{name}.ipynb").read_text()
            assert (counts["source"] > 0) == ("$" in md), f"{name}: maths in the notebook, none on the page"
            assert page.locator("text=Run this notebook").count() == 1
            assert counts["folded"] == md.count('"source_hidden": true'), f"{name}: folded cells {counts}"
            assert page.locator(f'a[href$="{name}.ipynb"]').count() >= 1  # the download link
        if name in shots:
            page.screenshot(path=str(ARTIFACTS / f"book-{name}.png"), full_page=False)
        page.close()
