"""Cheap ways to make "new" weights, against which every generator is judged (docs/study.md).

* noise: chosen training vectors + i.i.d. Gaussian noise of a given std (in the space the method
  names: G.pt's normalised units are handled by passing ``scale`` = 1 / normalisation factor);
* average: mean of k distinct random training vectors, repeated (P-diff); a copy is made before
  accumulating, unlike the original's in-place sum (docs/pdiff.md §4);
* gaussian: per-coordinate normal with the training mean and (unbiased) std (P-diff).
"""
from __future__ import annotations

import torch

from weightmem.io import WeightSet


def _pick(n_available: int, count: int | None, g: torch.Generator) -> torch.Tensor:
    if count is None or count >= n_available:
        return torch.arange(n_available)
    return torch.randperm(n_available, generator=g)[:count].sort().values


def noise(source: WeightSet, std: float, count: int | None, seed: int, scale: float = 1.0,
          name: str = "noise") -> WeightSet:
    """``count`` source rows (all if None or more than there are; the same rows for every std
    when called with the same seed) + N(0, (std·scale)²) per coordinate."""
    g = torch.Generator().manual_seed(seed)
    usable = source.finite_rows().nonzero().flatten()  # diverged models are not perturbed
    idx = usable[_pick(len(usable), count, g)]
    base = source.weights[idx]
    # a separate stream per amplitude keeps the chosen rows identical across amplitudes
    gn = torch.Generator().manual_seed(seed + 1 + int(round(std * 1e6)))
    out = base + torch.randn(base.shape, generator=gn) * (std * scale)
    rows = {k: [v[i] for i in idx.tolist()] for k, v in source.rows.items()}
    rows["source_index"] = idx.tolist()
    return WeightSet(out, source.layout, source.arch, rows,
                     {**source.provenance, "stage": f"baseline:{name}", "noise_std": std,
                      "noise_scale": scale, "seed": seed})


def average(source: WeightSet, k: int, count: int, seed: int) -> WeightSet:
    g = torch.Generator().manual_seed(seed)
    if k > len(source):
        raise ValueError(f"average baseline needs k={k} distinct vectors but the source has "
                         f"{len(source)}")
    picks = torch.stack([torch.randperm(len(source), generator=g)[:k] for _ in range(count)])
    out = source.weights[picks].mean(dim=1)  # fancy indexing copies: the source is untouched
    return WeightSet(out, source.layout, source.arch, {"members": [p.tolist() for p in picks]},
                     {**source.provenance, "stage": "baseline:average", "k": k, "seed": seed})


def gaussian(source: WeightSet, count: int, seed: int) -> WeightSet:
    g = torch.Generator().manual_seed(seed)
    w = source.weights.to(torch.float64)
    mean, std = w.mean(0), w.std(0, unbiased=True)
    out = mean + std * torch.randn(count, w.shape[1], generator=g, dtype=torch.float64)
    return WeightSet(out.to(torch.float32), source.layout, source.arch, {},
                     {**source.provenance, "stage": "baseline:gaussian", "seed": seed})
