"""The explorer in a real browser: JupyterLab (Run All on notebook 10) and the Voilà lecture page.

What the page shows must be what bpteach computes: J and the gradient for the weight the page
says it has, the δ of the step-through, the weight after a gradient step smaller than the
sliders' step. Also checked: the picture keeps its shape, a chosen path is drawn where it is,
reset stops the player, unit labels contrast with their fills, the lecture page fills a
projector, makes no request beyond 127.0.0.1 and leaves no kernel behind when reloaded.

Written to test-artifacts/: latency.json (every key-press latency, medians), browser.json (the
other measurements) and screenshots.
"""

from __future__ import annotations

import io
import itertools
import json
import statistics
import time

import matplotlib
import numpy as np
import pytest
from PIL import Image

import bpteach as bp
from bpteach.diagram import contrast_ratio
from bpteach.explorer import Explorer
from conftest import ARTIFACTS, kernels_of

matplotlib.use("Agg")
SLIDER = "W⁽¹⁾ᵢ₃←ⱼ₂"  # W^(1)_{i3<-j2}, the explorer's default weight under study
X, Y = np.array([0.5, -0.3]), np.array([1.0, 0.0])
LATENCY_BOUND_S = 1.0  # generous on a busy 2-core machine; the medians are recorded and reported


def expected(weight: float) -> tuple[float, float]:
    net = bp.Network.five_layer(seed=0)  # the explorer holds the true weights: nothing rounded
    net.W[1][2, 1] = weight
    return net.cost(X, Y), net.gradients(X, Y).W[1][2, 1]


def read_panel(page) -> tuple[float, float, float]:
    text = {c: page.locator(f".bpteach-{c}").first.inner_text() for c in ("w", "J", "grad")}
    return float(text["w"]), float(text["J"]), float(text["grad"])


def assert_panel_is_bpteach(page) -> float:
    w, J, grad = read_panel(page)
    J_exp, grad_exp = expected(w)
    assert J == pytest.approx(J_exp, abs=1.5e-6), f"displayed J {J} for W = {w}, bpteach says {J_exp}"
    assert grad == pytest.approx(grad_exp, rel=1e-4), f"displayed gradient {grad}, bpteach says {grad_exp}"
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
    )
    return time.perf_counter() - start


# settle()'s wait, in the page: the text of `sel` and the picture's src, unchanged for `quiet` seconds since this
# call (its token) began. One call from Python instead of a round trip through playwright every 50 ms, which cost
# about 11 ms of CPU each (Python, node and Chromium) and ran for minutes in the browser suite.
SETTLE_JS = """([token, sel, quiet]) => {
    const e = document.querySelector(sel), img = document.querySelector('.bpteach-root img');
    const now = (e ? e.innerText : '') + String(img ? img.getAttribute('src') : null);
    const s = window.__bpteachSettle, t = performance.now();
    if (!s || s.token !== token || s.last !== now) {
        window.__bpteachSettle = {token, last: now, since: t};
        return false;
    }
    return t - s.since > 1000 * quiet;
}"""
_settles = itertools.count(1)


def settle(page, selector: str = ".bpteach-panel", quiet: float = 0.6, timeout: float = 30.0) -> None:
    """Wait until an element and the picture have stopped changing (the kernel has caught up)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(SETTLE_JS, arg=[next(_settles), selector, quiet], polling=50,
                               timeout=1000 * timeout)
    except PlaywrightTimeout as err:
        raise TimeoutError(f"{selector} kept changing") from err


def drive_slider(page, name: str) -> dict:
    page.wait_for_selector(".bpteach-J", timeout=120_000)
    settle(page)
    w0 = assert_panel_is_bpteach(page)
    assert w0 == pytest.approx(bp.Network.five_layer(seed=0).W[1][2, 1], abs=1e-6)  # the true weight, unrounded
    h = handle(page)
    h.click()  # focus the handle (a click may also move it a little)
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
    assert w_key == pytest.approx(round(w_clicked, 2) + 0.01, abs=1e-9)

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


def record(result: dict, file: str = "latency.json") -> None:
    path = ARTIFACTS / file
    data = json.loads(path.read_text()) if path.exists() else {}
    if "key_latency_s" in result:
        result["median_key_latency_ms"] = 1e3 * statistics.median(result["key_latency_s"])
        print(f"{result['page']}: median key-press-to-new-J {result['median_key_latency_ms']:.0f} ms")
    data[result["page"]] = result
    path.write_text(json.dumps(data, indent=2))


def image_box(page):
    return page.locator(".bpteach-root img").first.bounding_box()


def diagram_pixels(page) -> np.ndarray:
    """The diagram as displayed (a screenshot of its <img>), RGB."""
    png = page.locator(".bpteach-root img").first.screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def to_css(page, ex: Explorer, point) -> tuple[float, float]:
    """Where a point of the diagram (data coordinates) is in the screenshot of the <img>."""
    d = ex.diagram
    fx, fy = d.ax.transData.transform(point)
    W, H = d.fig.canvas.get_width_height()
    box = image_box(page)
    scale = page.evaluate("window.devicePixelRatio") * box["width"] / W
    return fx * scale, (H - fy) * scale


def top_of_explorer(page) -> None:
    page.evaluate("document.querySelector('.bpteach-root').scrollIntoView()")


def click_button(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).first.click()


def advance(page, button: str, k: int) -> None:
    """Click a step-through button and wait until the page says it has done step k."""
    click_button(page, button)
    js = "k => [...document.querySelectorAll('.bpteach-root .widget-html')]"
    js += ".some(e => e.textContent.trim() === `step ${k} of 12`)"
    page.wait_for_function(js, arg=k, polling=100, timeout=30_000)
    settle(page, ".bpteach-stage")


def stage_value(page) -> float:
    return float(page.locator(".bpteach-stage-value").first.inner_text())


def run_checks(page, name: str, lecture: bool) -> dict:
    """Everything both pages must do, on the explorer as the page shows it."""
    out: dict = {"page": name}
    ex = Explorer(lecture=lecture)  # the same explorer, headless: for geometry and expected numbers
    net = bp.Network.five_layer(seed=0)
    delta = net.deltas(X, Y)

    # the bitmap is rendered for the device pixel ratio (2x the CSS size here)
    img = page.locator(".bpteach-root img").first
    natural = page.evaluate("e => [e.naturalWidth, e.getBoundingClientRect().width]", img.element_handle())
    out["image_natural_over_css_width"] = natural[0] / natural[1]
    assert natural[0] >= 1.5 * natural[1] * 0.98

    # aspect ratio constant across studied weights
    ratios = []
    for option in ("W⁽⁴⁾ₚ₁←q₁", "W⁽³⁾q₂←ₖ₁", "W⁽¹⁾ᵢ₃←ⱼ₂"):
        page.locator(".bpteach-root select").first.select_option(label=option)
        settle(page)
        box = image_box(page)
        ratios.append(box["width"] / box["height"])
    out["aspect_ratios"] = ratios
    assert max(ratios) / min(ratios) < 1.01

    # step-through: forward done, then the backward pass half-way, then to the end
    for k in range(1, 5):
        advance(page, "Forward ▸", k)
    top_of_explorer(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}-forward-done.png"))
    u = ex.model.units()
    t = net.forward(X)
    assert stage_value(page) == pytest.approx(t.z[5][u[5]], abs=5e-5)
    for k in range(5, 9):
        advance(page, "Backward ◂", k)
    top_of_explorer(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}-backward-half-way.png"))
    assert stage_value(page) == pytest.approx(delta[2][u[2]], rel=1e-5)  # the displayed δ is bpteach's
    for k in range(9, 13):
        advance(page, "Backward ◂", k)
    assert page.get_by_text("step 12 of 12").count() == 1
    assert stage_value(page) == pytest.approx(net.gradients(X, Y).W[1][u[2], u[1]], rel=1e-5)

    # labels contrast with their fills under "colour by δ", measured on the displayed pixels
    click_button(page, "whole pass")
    settle(page)
    click_button(page, "δ")
    settle(page)
    ex.color_by.value, ex.links_by.value = "delta", "gradient"  # the same layout as the page's picture
    pix = diagram_pixels(page)
    contrasts = []
    for px, py in ex.diagram.pos.values():
        cx, cy = to_css(page, ex, (px, py))
        r = int(0.012 * pix.shape[1])
        fill = pix[int(cy), int(cx - 1.6 * r)]  # inside the circle, left of the label
        patch = pix[int(cy) - r : int(cy) + r, int(cx) - r : int(cx) + r].reshape(-1, 3)
        ink = max(patch, key=lambda c: contrast_ratio(c / 255, fill / 255))
        contrasts.append(contrast_ratio(ink / 255, fill / 255))
    out["label_contrast_min"] = min(contrasts)
    assert min(contrasts) >= 4.5

    # choosing a path term draws that path: the picture turns orange where the path is
    select = page.locator(".bpteach-root select[size]").first
    labels = [o.strip() for o in select.locator("option").all_inner_texts()]
    old_path = ex.path_select.options[0][1]
    new_path = next(p for _, p in ex.path_select.options if p[2] != old_path[2])
    l0 = ex.study.value[0]
    a, b = ex.diagram.pos[l0 + 2, new_path[2]], ex.diagram.pos[l0 + 1, new_path[1]]
    mid = to_css(page, ex, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2))
    before = diagram_pixels(page)[int(mid[1]), int(mid[0])]
    index = [p for _, p in ex.path_select.options].index(new_path)
    select.select_option(index=index)
    settle(page)
    after = diagram_pixels(page)[int(mid[1]), int(mid[0])]
    out["path_pixel_before_after"] = [before.tolist(), after.tolist()]
    assert len(labels) == 24
    assert after[0] > 200 and 120 < after[1] < 200 and after[2] < 90, f"no orange path at {mid}: {after}"
    assert not (before[0] > 200 and 120 < before[1] < 200 and before[2] < 90)

    # a gradient step moves W^(1)_{i3<-j2} although its update is below the sliders' 0.005
    w_before, _, grad = read_panel(page)
    net.W[1][2, 1] = w_before
    update = -2.0 * net.gradients(X, Y).W[1][2, 1]
    assert 0 < abs(update) < 0.005
    click_button(page, "gradient step")
    settle(page)
    w_after = read_panel(page)[0]
    out["step_update_shown"] = w_after - w_before
    assert w_after - w_before == pytest.approx(update, abs=2e-6)

    # reset stops the train player
    page.locator(".bpteach-root .widget-play").nth(1).locator("button").first.click()  # train, not the pass
    page.wait_for_function(
        "() => Number(document.querySelector('.bpteach-steps').textContent) >= 2", polling=100, timeout=60_000
    )
    click_button(page, "reset")
    settle(page, ".bpteach-steps", quiet=1.5)
    counts = []
    for _ in range(3):
        counts.append(int(page.locator(".bpteach-steps").first.inner_text()))
        time.sleep(0.7)
    out["steps_after_reset"] = counts
    assert counts == [0, 0, 0]
    return out


def idle_for(status, seconds: float, timeout: float) -> None:
    """Wait until the kernel has stayed idle for `seconds`: during Run All it reports idle for an
    instant after every cell, and a read in such an instant saw the state of a later cell half-way."""
    since, deadline = None, time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Idle" in status.inner_text():
            since = since or time.monotonic()
            if time.monotonic() - since >= seconds:
                return
        else:
            since = None
        time.sleep(0.1)
    raise TimeoutError("the kernel never stayed idle after Run All")


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    base, token = lab
    page = browser.new_page(viewport={"width": 1500, "height": 1000}, device_scale_factor=2)
    page.goto(f"{base}/lab/tree/10-explorer.ipynb?reset&token={token}")
    status = page.locator("#jp-main-statusbar")
    status.get_by_text("Idle").wait_for(timeout=120_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    # the Run menu's item: older JupyterLabs also keep the command palette, with the same label, in the page
    page.locator("#jp-mainmenu-run").get_by_text("Run All Cells", exact=True).click()
    page.wait_for_selector(".bpteach-J", timeout=120_000)
    idle_for(status, seconds=2.0, timeout=180.0)
    page.locator(".bpteach-root").first.scroll_into_view_if_needed()
    yield page
    page.close()


def test_explorer_in_jupyterlab(lab_page):
    page = lab_page
    result = drive_slider(page, "jupyterlab")
    page.screenshot(path=str(ARTIFACTS / "explorer-lab.png"))
    record(result)
    assert statistics.median(result["key_latency_s"]) < LATENCY_BOUND_S


def test_explorer_controls_in_jupyterlab(lab_page):
    page = lab_page
    page.get_by_role("button", name="reset", exact=True).first.click()
    settle(page)
    record(run_checks(page, "jupyterlab", lecture=False), "browser.json")


# The presenter's keys in JupyterLab, on the same page (one JupyterLab and one Run All for the three tests):
# with the focus on the explorer, → / ← step it, PageDown on a focused slider steps too (the weight stays) and
# JupyterLab's own keys stay quiet; with the focus elsewhere, the explorer ignores them and JupyterLab's work.
# Written to test-artifacts/: explorer-lab-keys.png and explorer-lab-keys.json.
STEP_JS = """k => document.querySelector('.bpteach-root').innerText.includes(`step ${k} of 12`)"""
# the active cell's number in the notebook (JupyterLab 4 renders only the cells near the view: not a DOM index)
ACTIVE_CELL_JS = """() => Number(document.querySelector('.jp-Notebook .jp-Cell.jp-mod-active')
    .dataset.windowedListIndex)"""


def wait_step(page, k: int) -> None:
    try:
        page.wait_for_function(STEP_JS, arg=k, polling=100, timeout=60_000)
    except Exception as err:
        shown = page.evaluate("() => (document.querySelector('.bpteach-root').innerText.match(/step \\d+ of 12/)"
                              " || ['no step'])[0]")
        raise AssertionError(f"the explorer never reached step {k}; it shows {shown!r}") from err


def test_keys_step_the_explorer_in_jupyterlab_only_when_it_has_the_focus(lab_page):
    page, report = lab_page, {}
    root = page.locator(".bpteach-root").first
    root.get_by_role("button", name="whole pass", exact=True).click()
    wait_step(page, 0)
    settle(page)
    root.locator(".bpteach-stage").click()  # a click on the explorer's text, not on a control: it takes the focus
    report["focus inside the explorer"] = page.evaluate(
        "() => !!document.activeElement.closest('.bpteach-root')")
    cell = page.evaluate(ACTIVE_CELL_JS)
    for k, key in enumerate(["ArrowRight", "ArrowRight", "ArrowRight"], start=1):
        page.keyboard.press(key)
        wait_step(page, k)
    page.keyboard.press("ArrowLeft")
    wait_step(page, 2)
    settle(page, ".bpteach-stage")
    page.screenshot(path=str(ARTIFACTS / "explorer-lab-keys.png"))
    report["active cell before, after the keys"] = [cell, page.evaluate(ACTIVE_CELL_JS)]
    legend = root.inner_text()
    report["key legend"] = next((line for line in legend.splitlines() if line.startswith("keys")), "")

    # a remote's PageDown on a focused slider: the next step, not a weight change
    w0 = root.locator(".bpteach-w").inner_text()
    root.locator(".widget-hslider", has=page.locator(".widget-label", has_text=SLIDER)).first.locator(
        ".noUi-handle").first.focus()
    page.keyboard.press("PageDown")
    wait_step(page, 3)
    settle(page)
    report["PageDown on the slider: weight before, after"] = [w0, root.locator(".bpteach-w").inner_text()]

    # the focus elsewhere (the prompt area of the markdown cell under the picture's cell): the explorer ignores the
    # keys, JupyterLab's ArrowDown selects the next cell
    page.locator('.jp-Notebook .jp-Cell[data-windowed-list-index="3"] .jp-InputPrompt').click()
    page.wait_for_timeout(1000)  # JupyterLab selects the cell and may scroll it into view
    cells = [page.evaluate(ACTIVE_CELL_JS)]
    for key in ("ArrowRight", "ArrowDown"):  # JupyterLab's: the next heading cell, then the cell below it
        page.keyboard.press(key)
        page.wait_for_timeout(1000)
        cells.append(page.evaluate(ACTIVE_CELL_JS))
    settle(page, ".bpteach-stage")
    report["focus elsewhere: active cell before, after ArrowRight, after ArrowDown"] = cells
    report["focus elsewhere: the explorer still at step 3"] = page.evaluate(STEP_JS, 3)
    (ARTIFACTS / "explorer-lab-keys.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))

    assert report["focus inside the explorer"]
    assert report["active cell before, after the keys"][0] == report["active cell before, after the keys"][1]
    assert "in JupyterLab once you click the explorer" in legend and "anywhere on the lecture page" in legend
    assert "→ / PageDown next step, ← / PageUp back, space play/pause" in legend
    assert report["focus elsewhere: the explorer still at step 3"]
    assert w0 == report["PageDown on the slider: weight before, after"][1]
    a, b, c = cells
    assert a < b and c == b + 1, f"JupyterLab's ArrowRight, ArrowDown did not move on from cell {a}: {b}, {c}"


def test_lecture_page_in_voila(browser, voila):
    url, server = voila
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    requests, warnings = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: warnings.append(m.text) if "Unsatisfied version" in m.text else None)
    page.goto(url)
    result = drive_slider(page, "voila")
    assert page.title() == "Back-propagation, live · bpteach"  # not "lecture"
    record(result)
    assert statistics.median(result["key_latency_s"]) < LATENCY_BOUND_S

    # lecture mode uses the projector: full width at 1920x1080, and at 1280x720
    click_button(page, "reset")
    settle(page)
    width = page.locator(".bpteach-root").first.bounding_box()["width"]
    top_of_explorer(page)
    page.screenshot(path=str(ARTIFACTS / "lecture-1920x1080.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    settle(page)
    top_of_explorer(page)
    page.screenshot(path=str(ARTIFACTS / "lecture-1280x720.png"))
    width_720 = page.locator(".bpteach-root").first.bounding_box()["width"]
    page.set_viewport_size({"width": 1920, "height": 1080})
    settle(page)
    out = run_checks(page, "voila", lecture=True)
    out.update(widget_width_1920=width, widget_width_1280=width_720)
    assert width >= 0.8 * 1920 and width_720 >= 0.8 * 1280

    # no request leaves this machine
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]
    out["requests"], out["requests_outside"] = len(requests), outside
    out["unsatisfied_version_warnings"] = len(warnings)
    assert outside == []

    # reloading leaves at most one kernel per open page
    for _ in range(5):
        page.reload()
        page.wait_for_selector(".bpteach-J", timeout=120_000)
    out["kernels_right_after_5_reloads"] = len(kernels_of(server))
    start, n = time.monotonic(), None
    while time.monotonic() < start + 15:  # a lecturer who reloads five times has one kernel again within 15 s
        n = len(kernels_of(server))
        if n <= 1:
            break
        time.sleep(1)
    out["kernels_after_5_reloads"] = n
    out["seconds_until_one_kernel"] = round(time.monotonic() - start)
    record(out, "browser.json")
    assert n <= 1, f"{n} kernels 15 s after 5 reloads"
    time.sleep(8)  # longer than the cull's idle time: the open page's own kernel is never culled
    assert len(kernels_of(server)) == 1 and page.locator(".bpteach-J").count() == 1
    page.close()
