"""The numbers of the copying finding of one results folder, as text (bench/gpu_regime.sh).

    python -m weightmem.regime RESULTS [--method gpt] [--seconds S]

Reads the per-model tables of training, generated and held-out models
(``RESULTS/<method>/tables/{training,generated,heldout}.csv``), and, where they exist, the
report's ``tables/findings.csv``, the generator's ``train_log.csv`` and its benchmark record, and
prints: per set the models, median / mean min L2 to training and mean accuracy; the Z_U copying
test of generated against held-out models (the same call the report's F1 makes,
weightmem.report.copying_test); the findings; the generator's final loss and fit time.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from weightmem import methods, report

SETS = ("training", "generated", "heldout")


def finding(results: str | Path, method: str = "gpt") -> dict:
    """The numbers (a dict) from the tables of ``results``; a missing table is an error naming it."""
    results = Path(results)
    decl = methods.get(method)
    tables = {}
    for s in SETS:
        p = results / method / "tables" / f"{s}.csv"
        if not p.is_file():
            raise FileNotFoundError(f"{p}: missing (did the run finish?)")
        tables[s] = pd.read_csv(p)
    out: dict = {"results": str(results), "method": method, "sets": {}}
    for s, df in tables.items():
        d = report.usable_rows(df)
        dist = report.weight_distance(decl, d)
        dist = dist[np.isfinite(dist)]
        q = decl.quality.name
        out["sets"][s] = {"models": len(df), "excluded": len(df) - len(d),
                          "median_min_l2": float(dist.median()) if len(dist) else math.nan,
                          "mean_min_l2": float(dist.mean()) if len(dist) else math.nan,
                          "quality": float(d[q].mean()) if q in d and len(d) else math.nan}
    out["quality_name"] = decl.quality.name
    v = report.copying_test(decl, tables, "weights")
    out["copying"] = {k: v.get(k) for k in ("verdict", "z_u", "p_value", "closer_chance",
                                            "reason")}
    f = results / "tables" / "findings.csv"
    if f.is_file():
        fd = pd.read_csv(f)
        out["findings"] = fd[fd.method == method][["finding", "holds", "verdict"]].to_dict("records")
    log = results / method / "generator" / "default" / "train_log.csv"
    if log.is_file():
        c = pd.read_csv(log)
        out["generator"] = {"steps": len(c), "final_loss": float(c.loss.tail(100).mean())}
        b = results / "benchmarks" / method / "generator" / "default.tsv"
        if b.is_file():
            s = float(pd.read_csv(b, sep="\t")["s"].iloc[0])
            out["generator"].update({"fit_seconds": s, "ms_per_step": 1000 * s / max(len(c), 1)})
    return out


def describe(d: dict) -> str:
    """Readable lines of :func:`finding`'s dict."""
    s, c = d["sets"], d["copying"]
    lines = [f"{d['method']} in {d['results']}",
             f"{'set':<10} {'models':>6} {'median min L2':>14} {'mean min L2':>12} "
             f"{'mean ' + d['quality_name']:>14}"]
    for name in SETS:
        x = s[name]
        ex = f" ({x['excluded']} excluded)" if x["excluded"] else ""
        lines.append(f"{name:<10} {x['models']:>6} {x['median_min_l2']:>14.4g} "
                     f"{x['mean_min_l2']:>12.4g} {x['quality']:>14.4g}{ex}")
    g, h, t = (s[k]["median_min_l2"] for k in ("generated", "heldout", "training"))
    lines.append(f"median min L2 ratio: generated / held-out {g / h:.3f}, "
                 f"generated / training {g / t:.3f}")
    lines.append(f"Z_U copying test (generated vs held-out): Z_U = {c['z_u']:.3f}, "
                 f"p = {c['p_value']:.3g}, A = {_f(c.get('closer_chance'))} -> {c['verdict']}")
    lines.append(f"  {c['reason']}")
    for r in d.get("findings", []):
        lines.append(f"{r['finding']}: {'holds' if r['holds'] else 'does not hold'}"
                     + (f" ({r['verdict']})" if isinstance(r.get("verdict"), str) else ""))
    if "generator" in d:
        gen = d["generator"]
        line = f"generator: {gen['steps']} steps, loss (last 100) {gen['final_loss']:.4f}"
        if "fit_seconds" in gen:
            line += f", fit {gen['fit_seconds']:.0f} s ({gen['ms_per_step']:.1f} ms/step)"
        lines.append(line)
    if "seconds" in d:
        lines.append(f"whole chain: {d['seconds']:.0f} s")
    return "\n".join(lines)


def _f(v) -> str:
    return "nan" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.3f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m weightmem.regime", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results")
    p.add_argument("--method", default="gpt")
    p.add_argument("--seconds", type=float, help="wall time of the whole chain, to print")
    a = p.parse_args(argv)
    try:
        d = finding(a.results, a.method)
    except FileNotFoundError as e:
        print(f"weightmem.regime: {e}", file=sys.stderr)
        return 1
    if a.seconds is not None:
        d["seconds"] = a.seconds
    print(describe(d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
