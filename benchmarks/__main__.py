"""python -m benchmarks [--quick] [--json PATH]: every figure side by side, in one process."""

from __future__ import annotations

import argparse
import json
import sys

from . import backprop_vs_torch as bt
from . import explorer_latency
from .common import machine, steady_allocator


def _ms(s):
    return "-" if s is None else f"{s * 1e3:.3f}"


def targets(rows: list[dict]) -> list[dict]:
    """The issue's targets, each judged on this run's figures."""
    out = []

    def check(what, value, op, limit):
        out.append({"what": what, "value": value, "op": op, "limit": limit,
                    "met": value <= limit if op == "<=" else value >= limit})  # fmt: skip

    ratio_limit = {("five-layer toy", 1): 0.35, ("five-layer toy", 256): 0.35, ("medium", 1): 1.0,
                   ("medium", 256): 0.9, ("large", 256): 1.0}  # fmt: skip
    for r in rows:
        if r["impl"] != "bpteach" or r["status"] != "ok":
            continue
        where = f"{r['network']}, batch {r['batch']}, {r['dtype']}"
        if "over_torch" in r:
            check(f"bpteach / torch time, {where}", r["over_torch"], "<=", ratio_limit[r["network"], r["batch"]])
        limit = 3.0 if (r["network"], r["batch"]) == ("medium", 1) else 2.0
        check(f"backward / forward, {where}", r["backward_over_forward"], "<=", limit)
        if "of_matmul_rate" in r:
            check(f"share of numpy's matmul rate, {where}", r["of_matmul_rate"], ">=", 0.85)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="tiny net only, few repeats (a smoke run)")
    ap.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = ap.parse_args(argv)

    allocator = steady_allocator()  # first, before the run allocates anything large
    info = machine()
    info["allocator"] = allocator
    try:
        import torch

        info["torch"] = f"{torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        info["torch"] = "not installed (pip install -e '.[bench]')"
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()))

    rows, reference = bt.run_networks(quick=args.quick)
    print()
    head = f"{'network':<16}{'batch':>6}  {'impl':<20}{'dtype':<8}{'fwd ms':>9}{'bwd ms':>9}{'total ms':>10}{'bwd/fwd':>8}{'us/example':>11}{'GFLOP/s':>9}{'faults':>8}"  # noqa: E501
    print(head)
    print("-" * len(head))
    for r in rows:
        if r["status"] != "ok":
            print(f"{r['network']:<16}{r['batch']:>6}  {r['impl']:<20}{r['dtype']:<8}{r['status']}")
            continue
        print(
            f"{r['network']:<16}{r['batch']:>6}  {r['impl']:<20}{r['dtype']:<8}{_ms(r['forward_s']):>9}"
            f"{_ms(r['backward_s']):>9}{_ms(r['total_s']):>10}{r['backward_over_forward']:>8.2f}"
            f"{r['per_example_s'] * 1e6:>11.2f}{r['gflops']:>9.2f}{r['page_faults_per_step']:>8.0f}"
        )

    ratios = [{k: r[k] for k in ("network", "batch", "impl", "dtype", "over_torch")} for r in rows if "over_torch" in r]
    if ratios:
        print("\ntotal time / torch's total time (same dtype; median of the per-round ratios):")
        for q in ratios:
            print(f"  {q['network']:<16} batch {q['batch']:>4} {q['impl']:<20}{q['dtype']}: {q['over_torch']:.2f}")
    for dtype, ref in reference.items():
        print(f"\nnumpy matmul 1024x1024 @ 1024x256 {dtype}, timed in the large net's rounds: "
              f"{ref['matmul_gflops']:.1f} GFLOP/s (shares below: medians of per-round shares)")  # fmt: skip
        for r in rows:
            if r.get("dtype") == dtype and "of_matmul_rate" in r:
                print(f"  large net, batch 256, {r['impl']}: {r['gflops']:.1f} GFLOP/s at its median time; "
                      f"{100 * r['of_matmul_rate']:.0f}% of that rate")  # fmt: skip
        print(f"  the step's products alone: {ref['products_s'] * 1e3:.1f} ms = {100 * ref['products_share']:.0f}%;"
              f" with one exp per unit ({ref['exp_s'] * 1e3:.1f} ms): {100 * ref['floor_share']:.0f}%,"
              " a ceiling no numpy code for this step can pass here")  # fmt: skip

    checks = targets(rows)
    if checks:
        print("\ntargets (issue 6):")
        for c in checks:
            verdict = "met" if c["met"] else "MISSED"
            print(f"  {verdict:<7}{c['what']}: {c['value']:.3f} (target {c['op']} {c['limit']})")

    paths = bt.run_paths(quick=args.quick)
    print(f"\n{'width':>5}{'depth':>6}{'terms':>12}{'naive s':>11}{'delta ms':>10}{'delta mults':>12}")
    for p in paths:
        naive = "> 1 s, skipped" if p["naive_s"] is None else f"{p['naive_s']:.4f}"
        print(f"{p['width']:>5}{p['depth']:>6}{p['terms']:>12,}{naive:>11}{p['delta_s'] * 1e3:>10.3f}"
              f"{p['delta_multiplications']:>12,}")  # fmt: skip

    slider = explorer_latency.run(events=40 if args.quick else 200)
    print(
        f"\nexplorer slider event (Python side): median {slider['median_ms']:.1f} ms, p90 {slider['p90_ms']:.1f} ms;"
        f" a full figure redraw alone: {slider['full_redraw_median_ms']:.1f} ms"
    )

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "numpy_reference": reference, "networks": rows, "ratios": ratios,
                       "targets": checks,
                       "paths": paths, "explorer": slider}, f, indent=2)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
