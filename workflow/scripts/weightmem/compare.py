"""Compare two result folders: every weight set (tensors to a tolerance) and every CSV table.

    python -m weightmem.compare results-before results-after [--atol 1e-6] [--rename A=B ...]

Checks a change that is not meant to change results (refactors): prints one line per file that
differs or exists on one side only, then a summary; exits 1 if anything differs. Logs,
benchmarks, figures and the HTML report are not compared (they hold times, paths and pixels).
``--rename old=new`` maps a moved folder (e.g. ``hyperdiffusion/clouds=hyperdiffusion/behaviour``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SKIP = ("logs", "benchmarks", "figures")


def _files(root: Path) -> dict[str, Path]:
    out = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and p.suffix in (".safetensors", ".csv") and rel.split("/")[0] not in SKIP:
            out[rel] = p
    return out


def compare_tensors(a: Path, b: Path, atol: float) -> str | None:
    from safetensors.numpy import load_file

    ta, tb = load_file(str(a)), load_file(str(b))
    if set(ta) != set(tb):
        return f"tensor names differ: {sorted(set(ta) ^ set(tb))[:5]}"
    worst = 0.0
    for k in ta:
        x, y = ta[k], tb[k]
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"{k}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}"
        if x.dtype.kind in "fc":
            both_nan = np.isnan(x) & np.isnan(y)
            d = np.where(both_nan, 0.0, np.abs(x.astype(np.float64) - y.astype(np.float64)))
            worst = max(worst, float(np.nan_to_num(d, nan=np.inf).max(initial=0.0)))
        elif not np.array_equal(x, y):
            return f"{k}: values differ"
    return None if worst <= atol else f"max |Δ| = {worst:.3g} > {atol:g}"


def compare_tables(a: Path, b: Path) -> str | None:
    x, y = pd.read_csv(a), pd.read_csv(b)
    if list(x.columns) != list(y.columns):
        return f"columns differ: {sorted(set(x.columns) ^ set(y.columns)) or 'order'}"
    try:
        pd.testing.assert_frame_equal(x, y, check_exact=True)
    except AssertionError as e:
        return " ".join(str(e).split())[:200]
    return None


def compare(a: Path, b: Path, atol: float = 1e-6, renames: dict[str, str] | None = None):
    """(lines, n_equal, n_bad)."""
    fa, fb = _files(a), _files(b)
    for old, new in (renames or {}).items():
        fa = {(new + k[len(old):] if k == old or k.startswith(old + "/") else k): v
              for k, v in fa.items()}
    lines, same, bad = [], 0, 0
    for rel in sorted(set(fa) | set(fb)):
        if rel not in fb or rel not in fa:
            lines.append(f"only in {'first' if rel in fa else 'second'}: {rel}")
            bad += 1
            continue
        why = (compare_tensors(fa[rel], fb[rel], atol) if rel.endswith(".safetensors")
               else compare_tables(fa[rel], fb[rel]))
        if why:
            lines.append(f"differs: {rel}: {why}")
            bad += 1
        else:
            same += 1
    n_w = sum(r.endswith(".safetensors") for r in set(fa) & set(fb))
    lines.append(f"{same} equal ({n_w} weight/behaviour files to {atol:g}, "
                 f"{len(set(fa) & set(fb)) - n_w} CSV tables exactly), {bad} different or missing")
    return lines, same, bad


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("first", type=Path)
    ap.add_argument("second", type=Path)
    ap.add_argument("--atol", type=float, default=1e-6)
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    args = ap.parse_args(argv)
    for d in (args.first, args.second):
        if not d.is_dir():
            print(f"compare: {d} is not a folder", file=sys.stderr)
            return 2
    lines, _, bad = compare(args.first, args.second, args.atol,
                            dict(r.split("=", 1) for r in args.rename))
    print("\n".join(lines))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
