"""Benchmark: maximum error-IoU similarity, matrix form vs the broadcast-boolean definition.

Shape of the study's largest case (Hyper-Representations): 512 target models × 200 training models
× 26,032 test examples. The naive form materialises [M, N, E] booleans (in blocks of targets so it
fits in memory); the matrix form computes all intersections as one float matrix product.
Prints both times, the ratio (goal ≥ 100×) and whether the values are identical.

Usage: python bench/similarity.py [--targets 512] [--reference 200] [--examples 26032]
"""
from __future__ import annotations

import argparse
import time

import torch

from weightmem.evaluation.behaviour import max_similarity, max_similarity_naive


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", type=int, default=512)
    ap.add_argument("--reference", type=int, default=200)
    ap.add_argument("--examples", type=int, default=26032)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    # error masks with realistic rates (10-60 % errors per model)
    rate_t = torch.rand(args.targets, 1, generator=g) * 0.5 + 0.1
    rate_r = torch.rand(args.reference, 1, generator=g) * 0.5 + 0.1
    tgt = torch.rand(args.targets, args.examples, generator=g) < rate_t
    ref = torch.rand(args.reference, args.examples, generator=g) < rate_r

    t = time.perf_counter()
    fast, _ = max_similarity(tgt, ref)
    t_fast = time.perf_counter() - t

    t = time.perf_counter()
    slow = torch.cat([max_similarity_naive(tgt[s:s + 16], ref) for s in range(0, len(tgt), 16)])
    t_slow = time.perf_counter() - t

    same = torch.equal(fast, slow)
    print(f"[max similarity {args.targets} x {args.reference} models x {args.examples} examples] "
          f"broadcast-boolean {t_slow:.2f} s, matrix product {t_fast:.3f} s, "
          f"ratio {t_slow / t_fast:.0f}x (goal >= 100x); identical values: {same} "
          f"(max |diff| {(fast - slow).abs().max().item():.1e})")


if __name__ == "__main__":
    main()
