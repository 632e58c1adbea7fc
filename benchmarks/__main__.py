"""python -m benchmarks [--quick] [--json PATH]: every performance figure of the maths, side by side in one process.

Method. Each implementation's gradients are checked against bpteach float64 before it is timed.
Shared machines drift by tens of percent within minutes, so the implementations are timed in
rounds, one sample of each per round, the first rotating (backprop_vs_torch.interleaved), and a
ratio is the median of the per-round ratios: a slow minute slows both sides alike. A sample
repeats a call for at least 20 ms, so that a tiny net is not all timer noise. Still not
controlled: OpenBLAS's idle threads spinning after a product, and malloc's thresholds drifting
as a process runs; read the second decimal of a ratio as noise.
"""

import argparse
import json
import sys

from . import backprop_vs_torch as bt
from . import explorer_latency


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the five-layer net only, few rounds (a smoke run)")
    ap.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = ap.parse_args(argv)
    info = bt.machine() | {"torch": bt.torch_version()}
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()))

    rows = bt.run_networks(quick=args.quick)
    print("\none forward and backward pass (ms), and its time over torch's")
    print(f"{'network':<23}{'batch':>6}  {'impl':<20}{'dtype':<9}{'ms':>9}{'/ torch':>8}")
    for r in rows:
        head = f"{r['network']:<23}{r['batch']:>6}  {r['impl']:<20}{r['dtype']:<9}"
        ratio = f"{r['over_torch']:>8.2f}" if "over_torch" in r else ""
        print(head + (f"{r['step_s'] * 1e3:>9.3f}{ratio}" if r["status"] == "ok" else r["status"]))

    paths = bt.run_paths(quick=args.quick)
    print("\nthe naive path sum for one weight against delta for every weight")
    print(f"{'width':>5}{'depth':>6}{'terms':>12}{'naive s':>16}{'delta ms':>10}{'delta mults':>12}")
    for p in paths:
        naive = "> 1 s, skipped" if p["naive_s"] is None else f"{p['naive_s']:.4f}"
        delta = f"{p['delta_s'] * 1e3:>10.3f}{p['delta_multiplications']:>12,}"
        print(f"{p['width']:>5}{p['depth']:>6}{p['terms']:>12,}{naive:>16}{delta}")

    slider = explorer_latency.run(events=40 if args.quick else 200)
    print(
        f"\nexplorer slider event (Python side): median {slider['median_ms']:.1f} ms, p90 {slider['p90_ms']:.1f} ms;"
        f" a step of the step-through: median {slider['step_median_ms']:.1f} ms;"
        f" a full figure redraw alone: {slider['full_redraw_median_ms']:.1f} ms"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "networks": rows, "paths": paths, "explorer": slider}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
