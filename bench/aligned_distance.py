"""Benchmark: nearest training model by permutation-aligned L2, pruned vs every pair solved.

G.pt's distance (docs/gpt.md §5.3) solves a 10×10 assignment problem per (target, training) pair; the
paper's training-vs-training histogram needs ≈1.05×10⁸ of them. ``aligned_nearest`` computes all
neuron-to-neuron costs as matrix products, bounds every pair from below (sum of the cost matrix's
row minima, or of its column minima, whichever is larger) and solves pairs in order of that bound
until it exceeds the current best. This script trains a zoo of 64-10-10 MLPs on scikit-learn's
digits (batched, seconds), then finds each model's nearest other model (self excluded) both ways
and prints both times, the ratio, the fraction of pairs solved and whether the results agree.

Usage: python bench/aligned_distance.py [--models 256] [--epochs 25] [--k 1]
"""
from __future__ import annotations

import argparse
import time

import torch

from weightmem.data.images import digits
from weightmem.evaluation import weights as W
from weightmem.nets.mlp import MLPArch
from weightmem.zoo.mlp import SGDRecipe, train_mlp_zoo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d = digits()
    X, Y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    arch = MLPArch(64, 10, 10)
    zoo = train_mlp_zoo(arch, X, Y, X, Y, list(range(args.models)),
                        SGDRecipe(epochs=args.epochs, batch_size=32, checkpoints_per_run=2),
                        record=False, show_progress=False)

    solved = 0
    real = W.linear_sum_assignment

    def counting(c):
        nonlocal solved
        solved += 1
        return real(c)

    W.linear_sum_assignment = counting
    try:
        t = time.perf_counter()
        fast = W.aligned_nearest(arch, zoo, zoo, k=args.k, exclude_self=True)
        t_fast = time.perf_counter() - t
        n_fast, solved = solved, 0
        t = time.perf_counter()
        slow = W.aligned_nearest(arch, zoo, zoo, k=args.k, exclude_self=True, prune=False)
        t_slow = time.perf_counter() - t
    finally:
        W.linear_sum_assignment = real
    same = torch.equal(fast[1], slow[1]) and torch.allclose(fast[0], slow[0])
    pairs = args.models * (args.models - 1)
    print(f"[aligned nearest, {args.models} trained 64-10-10 MLPs vs themselves, k={args.k}] "
          f"every pair {t_slow:.2f} s, pruned {t_fast:.2f} s, ratio {t_slow / t_fast:.1f}x; "
          f"assignments solved {n_fast:,} of {pairs:,} ({100 * n_fast / pairs:.1f}%); "
          f"identical neighbours and distances: {same}")


if __name__ == "__main__":
    main()
