"""The explorer in a real browser: JupyterLab (Run All, keyboard, drag) and the Voilà lecture page.

The displayed J and gradient must be the numbers bpteach computes for the weight the
page says it now has. Latencies go to test-artifacts/latency.json, the screenshot to
test-artifacts/explorer-lab.png.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import pytest
from conftest import ARTIFACTS

import bpteach as bp

SLIDER = "i3←j2"  # W^(1)_{i3<-j2}, the explorer's default weight under study


def expected(weight: float) -> tuple[float, float]:
    net = bp.Network.five_layer(seed=0)
    for l in net.W:  # the explorer keeps its weights on the sliders' 0.01 grid
        net.W[l] = np.round(net.W[l], 2)
    net.W[1][2, 1] = weight
    x, y = np.array([0.5, -0.3]), np.array([1.0, 0.0])
    return net.cost(x, y), net.gradients(x, y).W[1][2, 1]


def read_panel(page) -> tuple[float, float, float]:
    text = {c: page.locator(f".bpteach-{c}").first.inner_text() for c in ("w", "J", "grad")}
    return float(text["w"]), float(text["J"]), float(text["grad"])


def assert_panel_is_bpteach(page) -> float:
    w, J, grad = read_panel(page)
    J_exp, grad_exp = expected(w)
    assert J == pytest.approx(J_exp, abs=1.5e-6), f"displayed J {J} for W = {w}, bpteach says {J_exp}"
    assert grad == pytest.approx(grad_exp, rel=1e-5), f"displayed gradient {grad}, bpteach says {grad_exp}"
    return w


def handle(page):
    slider = page.locator(".widget-hslider", has=page.locator(".widget-label", has_text=SLIDER)).first
    return slider.locator(".noUi-handle").first


def press_and_time(page, key: str) -> float:
    """Press a key on the focused slider; seconds until the panel shows the new weight."""
    before = page.locator(".bpteach-w").first.inner_text()
    start = time.perf_counter()
    page.keyboard.press(key)
    page.wait_for_function(
        "old => { const e = document.querySelector('.bpteach-w'); return e && e.textContent !== old; }",
        arg=before, polling="raf", timeout=10_000,
    )  # fmt: skip
    return time.perf_counter() - start


def settle(page, quiet: float = 0.6, timeout: float = 20.0) -> None:
    """Wait until the panel has stopped changing (the kernel has caught up with the slider)."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = page.locator(".bpteach-panel").first.inner_text()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > quiet:
            return
        time.sleep(0.05)
    raise TimeoutError("the explorer panel kept changing")


def drive_slider(page, name: str) -> dict:
    page.wait_for_selector(".bpteach-J", timeout=120_000)
    settle(page)
    w0 = assert_panel_is_bpteach(page)
    h = handle(page)
    h.click()  # focus the handle
    settle(page)
    w_clicked = assert_panel_is_bpteach(page)
    latencies = []
    for n in range(10):
        latencies.append(press_and_time(page, "ArrowRight" if n % 2 == 0 else "ArrowLeft"))
        settle(page, quiet=0.2)
        assert_panel_is_bpteach(page)
    press_and_time(page, "ArrowRight")
    settle(page)
    w_key = assert_panel_is_bpteach(page)
    assert w_key == pytest.approx(w_clicked + 0.01, abs=1e-9)

    box = h.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 40, cy, steps=8)
    page.mouse.up()
    settle(page)
    w_drag = assert_panel_is_bpteach(page)
    assert w_drag > w_key + 0.1, "dragging right must raise the weight"
    return {"page": name, "weights": [w0, w_key, w_drag], "key_latency_s": latencies}


def record(result: dict) -> None:
    path = ARTIFACTS / "latency.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    result["median_key_latency_ms"] = 1e3 * statistics.median(result["key_latency_s"])
    data[result["page"]] = result
    path.write_text(json.dumps(data, indent=2))
    print(f"{result['page']}: median key-press-to-new-J {result['median_key_latency_ms']:.0f} ms")


def test_explorer_in_jupyterlab(browser, lab):
    base, token = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(f"{base}/lab/tree/10-explorer.ipynb?reset&token={token}")
    status = page.locator("#jp-main-statusbar")
    status.get_by_text("Idle").wait_for(timeout=120_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    # the Run menu's item: older JupyterLabs also keep the command palette, with the same label, in the page
    page.locator("#jp-mainmenu-run").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_selector(".bpteach-J", timeout=120_000)
    status.get_by_text("Idle").wait_for(timeout=120_000)
    page.locator(".bpteach-J").first.scroll_into_view_if_needed()
    result = drive_slider(page, "jupyterlab")
    page.screenshot(path=str(ARTIFACTS / "explorer-lab.png"))
    record(result)
    assert statistics.median(result["key_latency_s"]) < 1.0


def test_explorer_in_voila(browser, voila):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(voila)
    result = drive_slider(page, "voila")
    page.screenshot(path=str(ARTIFACTS / "explorer-voila.png"))
    record(result)
    assert statistics.median(result["key_latency_s"]) < 1.0
