"""The presenter's keys in JupyterLab (notebook 10, Run All): with the focus on the explorer, → / ← step it,
PageDown on a focused slider steps too (the weight stays) and JupyterLab's own keys stay quiet; with the focus
elsewhere, the explorer ignores them and JupyterLab's work.

Written to test-artifacts/: explorer-lab-keys.png and explorer-lab-keys.json."""

from __future__ import annotations

import json

from test_explorer_browser import SLIDER, lab_page, settle  # noqa: F401  (lab_page: a fixture, used by name)

from conftest import ARTIFACTS

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


def test_keys_step_the_explorer_in_jupyterlab_only_when_it_has_the_focus(lab_page):  # noqa: F811
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
