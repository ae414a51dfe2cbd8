"""All-pairs Chamfer distance: KD-trees (weightmem.evaluation.shapes.chamfer_matrix) vs a dense
torch.cdist matrix per pair, measured in the same run on the same clouds.

    python bench/chamfer.py [--n 200] [--points 2048] [--naive-pairs 400] [--threads 1]

The KD-tree method computes all n × n pairs. The dense way is timed on ``--naive-pairs`` random
pairs (all 40,000 would take many minutes) and its per-pair time is scaled up to n × n; the
values of those pairs are compared with the KD-tree values (max absolute difference printed).
Clouds are surface samples of procedural airplanes, normalised as in the study.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow" / "scripts"))
from weightmem.data import shapes as S  # noqa: E402
from weightmem.evaluation import shapes as M  # noqa: E402


def clouds(n: int, points: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = [S.exterior_surface_samples(S.normalise(S.airplane(rng)), points, seed + i)
           for i in range(n)]
    return M.normalise_clouds(np.stack(out))


def dense_pair(a: torch.Tensor, b: torch.Tensor) -> float:
    d = torch.cdist(a, b) ** 2
    return float(d.min(1).values.mean() + d.min(0).values.mean())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--points", type=int, default=2048)
    ap.add_argument("--naive-pairs", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    c = clouds(args.n, args.points, 0)
    print(f"{args.n} × {args.n} clouds of {args.points} points, {args.threads} thread(s)")

    t = time.perf_counter()
    cd = M.chamfer_matrix(c, c)
    t_kd = time.perf_counter() - t
    pairs = args.n * args.n
    print(f"KD-tree, all {pairs} pairs: {t_kd:.1f} s ({1e3 * t_kd / pairs:.3f} ms/pair)")

    rng = np.random.default_rng(1)
    sel = rng.integers(0, args.n, size=(args.naive_pairs, 2))
    ct = torch.from_numpy(c)
    t = time.perf_counter()
    dense = np.array([dense_pair(ct[i], ct[j]) for i, j in sel])
    t_dense = (time.perf_counter() - t) / args.naive_pairs
    print(f"dense torch.cdist per pair: {1e3 * t_dense:.3f} ms/pair "
          f"(→ {t_dense * pairs:.0f} s for all pairs)")
    diff = np.abs(dense - cd[sel[:, 0], sel[:, 1]]).max()
    print(f"speed-up: {t_dense * pairs / t_kd:.1f}x   max |difference| on {args.naive_pairs} pairs: "
          f"{diff:.2e} (dense float32 vs KD-tree float64)")


if __name__ == "__main__":
    main()
