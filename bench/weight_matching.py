"""Benchmark: weight matching (Git Re-Basin's coordinate descent of linear assignments,
weightmem.evaluation.matching) against the naive ways, measured in the same run.

1. **Brute force** on a tiny net (MLP 4-5-4-2: 5!·4! = 2,880 permutation pairs): the true minimum
   over all hidden permutations per pair vs weight matching (from the identity, no restarts):
   pairs/s of each, the speed ratio, and how far the matched distance (an upper bound) is above
   the true minimum — on random pairs (the hard case: no good alignment exists) and on permuted
   copies plus noise (the case the audit must catch).
2. **Throughput** of :func:`match` on the tests' shapes: a deep MLP 20-16-12-10 and a conv chain
   with BatchNorm and a flatten head (3→8→6 channels, 3×3 kernels, 4×4 map → 10).
3. **Nearest neighbours** (:func:`matched_nearest`, the audit's tables): targets against references
   with planted permuted copies, shortlisted (plain-L2 nearest + the sorted-values lower bound,
   ``--shortlist``) vs matching every pair: time, pairs matched, and whether the nearest
   neighbours and distances agree.

Usage: PYTHONPATH=workflow/scripts python bench/weight_matching.py [--pairs 20]
       [--targets 100] [--references 300] [--shortlist 16] [--threads 1]
"""
from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np
import torch

from weightmem.evaluation import matching as W
from weightmem.evaluation.weights import ArraySource

TINY = [("l1.weight", (5, 4)), ("l1.bias", (5,)), ("l2.weight", (4, 5)), ("l2.bias", (4,)),
        ("l3.weight", (2, 4)), ("l3.bias", (2,))]
DEEP = [("fc1.weight", (16, 20)), ("fc1.bias", (16,)), ("fc2.weight", (12, 16)),
        ("fc2.bias", (12,)), ("fc3.weight", (10, 12)), ("fc3.bias", (10,))]
CNN = [("0.weight", (8, 3, 3, 3)), ("0.bias", (8,)), ("1.weight", (8,)), ("1.bias", (8,)),
       ("1.running_mean", (8,)), ("1.running_var", (8,)), ("3.weight", (6, 8, 3, 3)),
       ("3.bias", (6,)), ("4.weight", (6,)), ("4.bias", (6,)), ("4.running_mean", (6,)),
       ("4.running_var", (6,)), ("7.weight", (10, 96)), ("7.bias", (10,))]


def brute(s: W.Structure, a: np.ndarray, b: np.ndarray) -> float:
    """The true minimum over every combination of hidden permutations (naive loop)."""
    best = np.inf
    for perms in itertools.product(*(itertools.permutations(range(n)) for n in s.sizes)):
        best = min(best, float(np.linalg.norm(a - W.apply(s, b, [np.array(p) for p in perms]))))
    return best


def pairs(s, n, rng, copies: bool):
    out = []
    for _ in range(n):
        a = rng.normal(size=s.dim)
        b = (W.apply(s, a, [rng.permutation(k) for k in s.sizes]) + 1e-2 * rng.normal(size=s.dim)
             if copies else rng.normal(size=s.dim))
        out.append((a, b))
    return out


def part_brute(args, rng) -> None:
    s = W.permutation_structure(TINY)
    print(f"1. brute force vs weight matching, {s.summary} "
          f"({math.prod(math.factorial(n) for n in s.sizes):,} permutation pairs per pair)")
    for kind in ("random pairs", "permuted copies + 1e-2 noise"):
        ps = pairs(s, args.pairs, rng, copies=kind != "random pairs")
        t0 = time.perf_counter()
        exact = [brute(s, a, b) for a, b in ps]
        t1 = time.perf_counter()
        matched = [W.match(s, a, b)[0] for a, b in ps]
        t2 = time.perf_counter()
        plain = [float(np.linalg.norm(a - b)) for a, b in ps]
        ratio = np.array(matched) / np.array(exact)
        print(f"   {kind}: brute force {len(ps) / (t1 - t0):.1f} pairs/s, matching "
              f"{len(ps) / (t2 - t1):.0f} pairs/s ({(t1 - t0) / (t2 - t1):.0f}× faster); "
              f"matched / true minimum: median {np.median(ratio):.4f}, max {ratio.max():.4f}, "
              f"exact in {np.mean(ratio < 1 + 1e-9):.0%}; plain / true minimum median "
              f"{np.median(np.array(plain) / np.array(exact)):.3f}")


def part_throughput(args, rng) -> None:
    print("2. throughput of match() (one pair at a time, random pairs)")
    for name, layout in (("deep MLP", DEEP), ("conv chain + BN", CNN)):
        s = W.permutation_structure(layout)
        ps = pairs(s, 4 * args.pairs, rng, copies=False)
        t0 = time.perf_counter()
        res = [W.match(s, a, b)[0] for a, b in ps]
        dt = time.perf_counter() - t0
        plain = np.array([np.linalg.norm(a - b) for a, b in ps])
        print(f"   {name} ({s.summary}, D={s.dim}): {len(ps) / dt:.0f} pairs/s; "
              f"matched / plain median {np.median(np.array(res) / plain):.3f}")


def part_nearest(args, rng) -> None:
    s = W.permutation_structure(DEEP)
    g = torch.Generator().manual_seed(0)
    ref = torch.randn(args.references, s.dim, generator=g)
    n_copy = args.targets // 5
    src = rng.choice(args.references, n_copy, replace=False)
    copies = torch.tensor(np.stack([W.apply(s, ref[i].double().numpy(),
                                            [rng.permutation(k) for k in s.sizes])
                                    for i in src]), dtype=torch.float32)
    tgt = torch.cat([copies + 1e-3 * torch.randn(n_copy, s.dim, generator=g),
                     torch.randn(args.targets - n_copy, s.dim, generator=g)])
    print(f"3. nearest training model, {args.targets} targets ({n_copy} permuted copies + 1e-3 "
          f"noise) × {args.references} references, {s.summary}")
    t0 = time.perf_counter()
    d, i, _, stats = W.matched_nearest(ArraySource(tgt), ArraySource(ref), s, k=2,
                                       shortlist=args.shortlist)
    t1 = time.perf_counter()
    every = np.array([[W.match(s, tgt[m].double().numpy(), ref[n].double().numpy())[0]
                       for n in range(args.references)] for m in range(args.targets)])
    t2 = time.perf_counter()
    best = every.argmin(1)
    same = (i[:, 0].numpy() == best)
    over = d[:, 0].numpy() / every.min(1)
    print(f"   shortlisted: {t1 - t0:.2f} s, {stats.pairs} pairs matched "
          f"({stats.pairs / (args.targets * args.references):.1%} of all), {stats.unproven} "
          f"targets not proven beyond the shortlist of {args.shortlist}")
    print(f"   every pair:  {t2 - t1:.2f} s, {args.targets * args.references} pairs "
          f"({args.targets * args.references / (t2 - t1):.0f} pairs/s)  →  "
          f"{(t2 - t1) / (t1 - t0):.1f}× faster shortlisted")
    print(f"   same nearest as every pair: {same.mean():.0%} (copies: "
          f"{same[:n_copy].mean():.0%}, found their source: "
          f"{np.mean(i[:n_copy, 0].numpy() == src):.0%}); shortlisted / every-pair distance: "
          f"median {np.median(over):.4f}, max {over.max():.4f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--targets", type=int, default=100)
    ap.add_argument("--references", type=int, default=300)
    ap.add_argument("--shortlist", type=int, default=W.SHORTLIST)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    part_brute(args, rng)
    part_throughput(args, rng)
    part_nearest(args, rng)


if __name__ == "__main__":
    main()
