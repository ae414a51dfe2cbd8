"""Benchmark: nearest training model by permutation-aligned L2, pruned vs every pair solved.

G.pt's distance (docs/gpt.md §5.3) solves a 10×10 assignment problem per (target, training) pair; the
paper's training-vs-training histogram needs ≈1.05×10⁸ of them. ``aligned_nearest`` bounds every
pair from below (sum of its cost matrix's row minima, or of its column minima, whichever is
larger; one float32 matrix product per block of targets, lowered by the worst-case rounding
error) and solves pairs exactly, in order of that bound, until it exceeds the current best.

Default: a zoo of 64-10-10 MLPs on scikit-learn's digits (batched, seconds); each model's nearest
other model (self excluded) both ways; both times, the ratio, the fraction of pairs solved and
whether the results agree.

``--paper``: the paper's size, 10,228 trained-like 784-10-10 MLPs against themselves. How they are
made (pruning depends on how realistic they are): 10,228 *independent* runs of the G.pt zoo
recipe (own seed → own PyTorch-default init and data order; SGD + Nesterov, lr 0.1, cosine per
epoch, weight decay 5e-4), trained batched on scikit-learn's digits upsampled to 28×28 (the
MNIST input size; MNIST itself cannot be downloaded here) for ``--epochs`` epochs of batch 32.
No copies, permutations or perturbations of one another: like the paper's zoo, every model is
its own run. The zoo is cached (``--cache``) so the search can be rerun alone. Prints the total
time, pairs/s, the fraction of assignments solved, and checks exactness against solving every
pair (brute force) for ``--check`` random targets against all 10,228 references.

Usage: python bench/aligned_distance.py [--models 256] [--epochs 25] [--k 1]
       python bench/aligned_distance.py --paper [--epochs 5] [--check 100]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from weightmem.data.images import digits
from weightmem.evaluation import weights as W
from weightmem.nets.mlp import MLPArch
from weightmem.zoo.mlp import SGDRecipe, train_mlp_zoo

PAPER_MODELS = 10_228


class Counter:
    """Counts calls of the Hungarian solver inside weightmem.evaluation.weights."""

    def __init__(self):
        self.n, self.real = 0, W.linear_sum_assignment

    def __enter__(self):
        def counting(c):
            self.n += 1
            return self.real(c)

        W.linear_sum_assignment = counting
        return self

    def __exit__(self, *exc):
        W.linear_sum_assignment = self.real


def small(args) -> None:
    d = digits()
    X, Y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    arch = MLPArch(64, 10, 10)
    zoo = train_mlp_zoo(arch, X, Y, X, Y, list(range(args.models)),
                        SGDRecipe(epochs=args.epochs, batch_size=32, checkpoints_per_run=2),
                        record=False, show_progress=False)
    with Counter() as c:
        t = time.perf_counter()
        fast = W.aligned_nearest(arch, zoo, zoo, k=args.k, exclude_self=True)
        t_fast = time.perf_counter() - t
    t = time.perf_counter()
    slow = W.aligned_nearest(arch, zoo, zoo, k=args.k, exclude_self=True, prune=False)
    t_slow = time.perf_counter() - t
    same = torch.equal(fast[1], slow[1]) and torch.allclose(fast[0], slow[0])
    pairs = args.models * (args.models - 1)
    print(f"[aligned nearest, {args.models} trained 64-10-10 MLPs vs themselves, k={args.k}] "
          f"every pair {t_slow:.2f} s, pruned {t_fast:.2f} s, ratio {t_slow / t_fast:.1f}x; "
          f"assignments solved {c.n:,} of {pairs:,} ({100 * c.n / pairs:.2f}%); "
          f"identical neighbours and distances: {same}")


def paper_zoo(models: int, epochs: int, cache: Path) -> torch.Tensor:
    if cache.is_file():
        from safetensors.torch import load_file

        zoo = load_file(str(cache))["weights"]
        if zoo.shape[0] == models:
            print(f"zoo: {models:,} models from {cache}")
            return zoo
    d = digits(image_size=28)
    X, Y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    t = time.perf_counter()
    zoo = train_mlp_zoo(MLPArch(784, 10, 10), X, Y, X, Y, list(range(models)),
                        SGDRecipe(epochs=epochs, batch_size=32, checkpoints_per_run=2),
                        record=False, show_progress=False)
    print(f"zoo: {models:,} independent 784-10-10 runs, {epochs} epochs of batch 32 on digits "
          f"upsampled to 28×28, trained in {time.perf_counter() - t:.0f} s")
    from safetensors.torch import save_file

    save_file({"weights": zoo.contiguous()}, str(cache))
    return zoo


def paper(args) -> None:
    arch = MLPArch(784, 10, 10)
    cache = Path(args.cache or f"/tmp/weightmem-aligned-zoo-{args.models}-{args.epochs}.safetensors")
    zoo = paper_zoo(args.models, args.epochs, cache)
    n = zoo.shape[0]
    with Counter() as c:
        t = time.perf_counter()
        dist, idx, _ = W.aligned_nearest(arch, zoo, zoo, k=1, exclude_self=True)
        took = time.perf_counter() - t
    pairs = n * (n - 1)
    print(f"[aligned nearest, {n:,} trained 784-10-10 MLPs vs themselves, {torch.get_num_threads()} "
          f"threads] {took:.0f} s ({took / 60:.1f} min), {pairs / took:,.0f} pairs/s; assignments "
          f"solved {c.n:,} of {pairs:,} ({100 * c.n / pairs:.3f}%)")
    d = dist[:, 0].numpy()
    print(f"nearest-neighbour distance: median {np.median(d):.3f}, range {d.min():.3f}–{d.max():.3f}")
    # exactness: brute force (every pair solved) for random targets against all references
    rng = np.random.default_rng(0)
    sub = np.sort(rng.choice(n, size=min(args.check, n), replace=False))
    t = time.perf_counter()
    bd, bi = brute_force(arch, zoo, sub)
    tb = time.perf_counter() - t
    same_i = np.array_equal(bi, idx[sub, 0].numpy())
    err = float(np.abs(bd - d[sub]).max())
    print(f"brute force for {len(sub)} targets × {n:,} references ({len(sub) * (n - 1):,} "
          f"assignments, {tb:.0f} s): same neighbours {same_i}, largest distance difference "
          f"{err:.2e}")
    if not same_i or err > 1e-9:
        raise SystemExit("pruned search differs from brute force")


def brute_force(arch, zoo, rows) -> tuple[np.ndarray, np.ndarray]:
    """Every pair solved for the given targets (self excluded), in blocks of targets."""
    dist, idx = [], []
    for s in range(0, len(rows), 8):
        r = torch.as_tensor(rows[s:s + 8])
        d, i, _ = W.aligned_nearest(arch, zoo[r], zoo, k=2, prune=False)
        for j, m in enumerate(r.tolist()):  # drop the model itself (distance 0)
            keep = i[j] != m
            dist.append(float(d[j][keep][0]))
            idx.append(int(i[j][keep][0]))
    return np.array(dist), np.array(idx)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paper", action="store_true", help="10,228 trained 784-10-10 MLPs")
    ap.add_argument("--models", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=None)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", type=int, default=100, help="--paper: targets checked by brute force")
    ap.add_argument("--cache", default=None, help="--paper: zoo file (made if missing)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.paper:
        args.models = args.models or PAPER_MODELS
        args.epochs = args.epochs or 5
        paper(args)
    else:
        args.models = args.models or 256
        args.epochs = args.epochs or 25
        small(args)


if __name__ == "__main__":
    main()
