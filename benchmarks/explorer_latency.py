"""Python-side cost of one explorer event: a slider move, and a step of the step-through (state updated,
figure restyled, PNG ready)."""

import time

import numpy as np


def run(events: int = 200) -> dict:
    from bpteach.explorer import Explorer

    ex = Explorer()
    slider = ex.weight_sliders[1, 2, 1]
    times = []
    for n in range(events):
        start = time.perf_counter()
        slider.value = round(slider.value + (0.01 if n % 2 == 0 else -0.01), 2)
        times.append(time.perf_counter() - start)
    ex.step_forward()
    steps = []  # the step-through, forwards and back (the lecture keys)
    for n in range(events // 4):
        start = time.perf_counter()
        ex.step_forward() if n % 2 == 0 else ex.previous_step()
        steps.append(time.perf_counter() - start)
    full = []  # for comparison: what the same update costs if the figure is fully redrawn
    for _ in range(20):
        start = time.perf_counter()
        ex.diagram.fig.canvas.draw()
        full.append(time.perf_counter() - start)
    return {
        "events": events,
        "median_ms": 1e3 * float(np.median(times)),
        "p90_ms": 1e3 * float(np.percentile(times, 90)),
        "step_median_ms": 1e3 * float(np.median(steps)),
        "full_redraw_median_ms": 1e3 * float(np.median(full)),
        "png_bytes": len(bytes(ex.image.value)),
    }
