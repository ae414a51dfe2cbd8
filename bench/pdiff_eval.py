"""Benchmark: evaluating many BN-variants of one frozen ResNet-18 (P-diff's evaluation).

Naive way: one full eval-mode forward pass per BN-vector (load the 4 tensors, run the network).
Shortcut (docs/pdiff.md §7.2): cache the frozen computation once per image (normalised layer4.1.conv1
output and the block's residual input), then per model only bn1-affine → ReLU → conv2 → bn2 → add →
ReLU → pool → fc, with all models × images in one convolution. Prints both times, the ratio and
the largest logit difference (the shortcut is exact up to float rounding).

Usage: python bench/pdiff_eval.py [--models 64] [--images 512] [--width 16] [--size 8]
       (paper-like: --width 64 --size 224 --stem imagenet, on a GPU)
"""
from __future__ import annotations

import argparse
import time

import torch

from weightmem.nets.resnet import FrozenTail, ResNet18, ResNetConfig, full_logits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=64)
    ap.add_argument("--images", type=int, default=512)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--size", type=int, default=8)
    ap.add_argument("--stem", default="cifar", choices=["cifar", "imagenet"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cin = 1 if args.stem == "cifar" else 3
    model = ResNet18(ResNetConfig(10, cin, args.width, args.stem)).eval()
    x = torch.randn(args.images, cin, args.size, args.size)
    flat = model.bn_vector()[None] + 0.1 * torch.randn(args.models, 32 * args.width)

    t = time.perf_counter()
    slow = full_logits(model, flat, x)
    t_slow = time.perf_counter() - t

    t = time.perf_counter()
    tail = FrozenTail(model)
    fast = tail.logits(flat, tail.features(x))
    t_fast = time.perf_counter() - t

    print(f"{args.models} BN-vectors × {args.images} images, ResNet-18 width {args.width}, "
          f"{args.size}px, {args.stem} stem")
    print(f"full forward per model: {t_slow:.3f} s")
    print(f"frozen-feature shortcut (cache included): {t_fast:.3f} s")
    print(f"speed-up: {t_slow / t_fast:.1f}×; max |logit difference| "
          f"{(fast - slow).abs().max().item():.2e}")


if __name__ == "__main__":
    main()
