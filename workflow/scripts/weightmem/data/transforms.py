"""Batched image transforms on normalised tensors (no torchvision): the train augmentation
RandomResizedCrop + horizontal flip, and the test pipeline Resize(shorter side) → CenterCrop
(docs/pdiff.md §1.1). Per-channel normalisation commutes with bilinear resampling (its weights sum to
one), so transforming already-normalised images equals normalising transformed ones, up to the
8-bit rounding of the original PIL pipeline.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_resized_crop(x: torch.Tensor, size: int, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
                        flip: bool = True, generator: torch.Generator | None = None) -> torch.Tensor:
    """Per image: a box of area fraction U(scale) and log-uniform aspect ratio (torchvision's rule,
    falling back to the whole image when no box fits in 10 tries), resampled bilinearly to
    size×size with one affine grid per image; flipped left-right with probability ½."""
    b, _, h, w = x.shape
    g = generator
    area = torch.empty(b, 10).uniform_(*scale, generator=g) * (h * w)
    logr = torch.empty(b, 10).uniform_(math.log(ratio[0]), math.log(ratio[1]), generator=g)
    r = logr.exp()
    cw, ch = (area * r).sqrt(), (area / r).sqrt()
    ok = (cw <= w) & (ch <= h)
    first = torch.where(ok.any(1), ok.float().argmax(1), torch.zeros(b, dtype=torch.long))
    take = lambda t: t.gather(1, first[:, None])[:, 0]
    cw = torch.where(ok.any(1), take(cw), torch.full((b,), float(w)))
    ch = torch.where(ok.any(1), take(ch), torch.full((b,), float(h)))
    x0 = torch.rand(b, generator=g) * (w - cw)
    y0 = torch.rand(b, generator=g) * (h - ch)
    sx, sy = cw / w, ch / h
    cx, cy = (2 * x0 + cw) / w - 1, (2 * y0 + ch) / h - 1
    if flip:
        sx = torch.where(torch.rand(b, generator=g) < 0.5, -sx, sx)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sx, cx, sy, cy
    grid = F.affine_grid(theta.to(x), [b, x.shape[1], size, size], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def resize_center_crop(x: torch.Tensor, resize: int, size: int) -> torch.Tensor:
    """Resize so the shorter side is ``resize`` (bilinear), then crop the central size×size."""
    h, w = x.shape[-2:]
    if min(h, w) != resize:
        s = resize / min(h, w)
        x = F.interpolate(x, size=(round(h * s), round(w * s)), mode="bilinear",
                          align_corners=False, antialias=s < 1)
    h, w = x.shape[-2:]
    if size > min(h, w):
        raise ValueError(f"centre crop {size} is larger than the resized image {h}×{w}")
    top, left = (h - size) // 2, (w - size) // 2
    return x[..., top:top + size, left:left + size]
