"""A class following along: how many explorer pages one machine's Voilà serves. N Chromium pages of the lecture
page (one kernel each) all press a key on their studied weight's slider at once, in rounds; recorded: the median
and 90th percentile of key-press-to-new-panel latency over all pages, and each kernel's memory (RSS).

The browsers run on the same machine as the server, so the figure is a lower bound for the server alone.
Run: .venv/bin/python -m benchmarks.explorer_class [N ...]  (writes test-artifacts/explorer-class.json)
Before/after: ... [N ...] --before DIR, DIR holding an older `bpteach/` (e.g. from `git archive`): both run in
turn, in one run, on the same machine; the kernels of "before" import bpteach from DIR."""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLIDER = "W⁽¹⁾ᵢ₃←ⱼ₂"


def _kernels(server_pid: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            ppid = int(next(x for x in status.read_text().splitlines() if x.startswith("PPid:")).split()[1])
            if ppid == server_pid and b"ipykernel" in (status.parent / "cmdline").read_bytes():
                out.append(int(status.parent.name))
        except (OSError, StopIteration, ValueError):
            continue
    return out


def _rss_mb(pid: int) -> float:
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def run(ns=(1, 2, 4, 8), rounds: int = 8, pythonpath: str | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp())
    shutil.copytree(ROOT / "notebooks" / "demo", work / "demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, JUPYTER_PATH=str(work / "demo" / "share"))
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    log = open(work / "voila.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "voila", "lecture.ipynb", "--no-browser", f"--port={port}"],
        cwd=work / "demo", env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url, results = f"http://127.0.0.1:{port}/", {}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium")
            pages = []
            for n in ns:
                while len(pages) < n:
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.goto(url)
                    page.wait_for_selector(".bpteach-J", timeout=180_000)
                    slider = page.locator(".widget-hslider", has=page.locator(".widget-label", has_text=SLIDER))
                    slider.first.locator(".noUi-handle").first.focus()
                    pages.append(page)
                time.sleep(2)
                latencies = []
                for r in range(rounds):
                    before = [pg.locator(".bpteach-w").first.inner_text() for pg in pages]
                    starts = []
                    for pg in pages:  # every student presses at (nearly) the same moment
                        starts.append(time.perf_counter())
                        pg.keyboard.press("ArrowRight" if r % 2 == 0 else "ArrowLeft")
                    for pg, old, t0 in zip(pages, before, starts, strict=True):
                        pg.wait_for_function(
                            "old => document.querySelector('.bpteach-w').textContent !== old",
                            arg=old, polling="raf", timeout=60_000,
                        )
                        latencies.append(time.perf_counter() - t0)
                    time.sleep(0.3)
                rss = [_rss_mb(k) for k in _kernels(server.pid)]
                results[n] = {
                    "pages": n,
                    "median_ms": round(1e3 * statistics.median(latencies)),
                    "p90_ms": round(1e3 * sorted(latencies)[int(0.9 * (len(latencies) - 1))]),
                    "kernels": len(rss),
                    "kernel_rss_mb_median": round(statistics.median(rss)) if rss else None,
                }
                print(results[n], flush=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


if __name__ == "__main__":
    args = sys.argv[1:]
    before = args[args.index("--before") + 1] if "--before" in args else None
    ns = tuple(int(a) for a in args if a.isdigit()) or (1, 2, 4, 8)
    report = {"cpus": os.cpu_count()}
    if before:
        report["before"] = run(ns, pythonpath=str(Path(before).resolve()))
    report["results"] = run(ns)
    if before:
        for n in ns:
            b, a = report["before"][n], report["results"][n]
            print(f"{n} pages: kernel RSS median {b['kernel_rss_mb_median']} -> {a['kernel_rss_mb_median']} MB, "
                  f"key press median {b['median_ms']} -> {a['median_ms']} ms")
    out = ROOT / "test-artifacts" / "explorer-class.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
