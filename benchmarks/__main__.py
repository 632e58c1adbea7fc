"""python -m benchmarks [--quick] [--json PATH]: every performance figure, side by side in one process.

Method. Each implementation's gradients are checked against bpteach float64 before it is
timed. The machines are shared and their speed drifts by tens of percent within minutes, so
the implementations are timed in rounds, one sample of each per round (backprop_vs_torch.interleaved),
and a ratio is the median of the per-round ratios: a slow minute slows both sides alike.
A sample repeats a call for at least 20 ms, so that a tiny net is not all timer noise.
Backward is timed on its own, on the trace of one earlier forward pass (torch keeps its
graph with `retain_graph=True`). Not controlled, and a source of noise on the large net:
OpenBLAS's idle threads spin for about 0.1 s after a product, and glibc's malloc thresholds
drift as a process runs, so the same step can cost thousands of page faults early in a
process and none later (MALLOC_MMAP_THRESHOLD_=33554432 in the environment removes them).
Read the second decimal of a ratio as noise.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import backprop_vs_torch as bt
from . import explorer_latency


def _ms(s: float) -> str:
    return f"{s * 1e3:.3f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the five-layer net only, few rounds (a smoke run)")
    ap.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = ap.parse_args(argv)
    info = bt.machine()
    info["torch"] = bt.torch_version()
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()))

    rows = bt.run_networks(quick=args.quick)
    print(
        f"\n{'network':<23}{'batch':>6}  {'impl':<20}{'dtype':<9}{'fwd ms':>9}{'bwd ms':>9}{'total ms':>10}"
        f"{'bwd/fwd':>8}{'/ torch':>8}"
    )
    for r in rows:
        head = f"{r['network']:<23}{r['batch']:>6}  {r['impl']:<20}{r['dtype']:<9}"
        if r["status"] != "ok":
            print(head + r["status"])
            continue
        ratio = f"{r['over_torch']:>8.2f}" if "over_torch" in r else ""
        print(
            f"{head}{_ms(r['forward_s']):>9}{_ms(r['backward_s']):>9}{_ms(r['total_s']):>10}"
            f"{r['backward_over_forward']:>8.2f}{ratio}"
        )

    paths = bt.run_paths(quick=args.quick)
    print(
        f"\nthe naive path sum for one weight against delta for every weight\n"
        f"{'width':>5}{'depth':>6}{'terms':>12}{'naive s':>16}{'delta ms':>10}{'delta mults':>12}"
    )
    for p in paths:
        naive = "> 1 s, skipped" if p["naive_s"] is None else f"{p['naive_s']:.4f}"
        print(
            f"{p['width']:>5}{p['depth']:>6}{p['terms']:>12,}{naive:>16}{_ms(p['delta_s']):>10}"
            f"{p['delta_multiplications']:>12,}"
        )

    slider = explorer_latency.run(events=40 if args.quick else 200)
    print(
        f"\nexplorer slider event (Python side): median {slider['median_ms']:.1f} ms, p90 {slider['p90_ms']:.1f} ms;"
        f" a full figure redraw alone: {slider['full_redraw_median_ms']:.1f} ms"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "networks": rows, "paths": paths, "explorer": slider}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
