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
    idx, gn, rows, prov = _noise_draw(source.finite_rows().tolist(), source.rows,
                                      source.provenance, std, count, seed, scale, name)
    base = source.weights[torch.tensor(idx, dtype=torch.long)]
    out = base + torch.randn(base.shape, generator=gn) * (std * scale)
    return WeightSet(out, source.layout, source.arch, rows, prov)


def _noise_draw(finite: list[bool], rows: dict, provenance: dict, std: float, count: int | None,
                seed: int, scale: float, name: str):
    """What :func:`noise` and :func:`noise_to_file` draw: the source rows (diverged models are
    not perturbed), the noise stream, and the baseline's row columns and provenance."""
    g = torch.Generator().manual_seed(seed)
    usable = torch.tensor([i for i, ok in enumerate(finite) if ok], dtype=torch.long)
    idx = usable[_pick(len(usable), count, g)].tolist()
    # a separate stream per amplitude keeps the chosen rows identical across amplitudes
    gn = torch.Generator().manual_seed(seed + 1 + int(round(std * 1e6)))
    out_rows = {k: [v[i] for i in idx] for k, v in rows.items()}
    out_rows["source_index"] = idx
    prov = {**provenance, "stage": f"baseline:{name}", "noise_std": std, "noise_scale": scale,
            "seed": seed}
    return idx, gn, out_rows, prov


NOISE_BLOCK = 1 << 22  # values per block of noise_to_file (16 MB of float32; a multiple of 16)


def noise_to_file(source_path, out_path, std: float, count: int | None, seed: int,
                  scale: float = 1.0, name: str = "noise", block: int = NOISE_BLOCK,
                  progress=None) -> int:
    """:func:`noise` from file to file, streamed, for sets larger than memory: the same rows, the
    same noise and the same bytes as ``save_weightset(noise(load_weightset(source_path), ...))``,
    holding one model and a few blocks of ``block`` values. Returns the number of models.

    The noise is drawn in blocks of the flat [count × D] output. torch's CPU normal sampler
    fills uniforms in order and transforms them 16 at a time, recomputing the last 16 values of a
    call whose size is not a multiple of 16. So blocks whose sizes are multiples of 16, the last
    of them at least 16 values long, give the values one call for the whole matrix gives
    (checked against it in tests/test_baselines.py)."""
    import numpy as np

    from weightmem.audit import FileSource, _all_finite
    from weightmem.io import atomic_path, read_weightset_header, weightset_file_header

    if block % 16:
        raise ValueError(f"block must be a multiple of 16, got {block}")
    head = read_weightset_header(source_path)
    src = FileSource(source_path)
    d = head.dim
    row = torch.empty(d)
    finite = [_all_finite(src.columns(0, d, [i], out=row.view(1, d)).view(-1))
              for i in range(head.n)]
    idx, gn, rows, prov = _noise_draw(finite, head.rows, head.provenance, std, count, seed,
                                      scale, name)
    m, total = len(idx), len(idx) * d
    # block boundaries: multiples of 16 from the start; a short remainder joins the last block
    bounds = list(range(0, total, block)) + [total]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < 16:
        del bounds[-2]
    base = torch.empty(min(total, block + 16))
    steps = range(len(bounds) - 1)
    with atomic_path(out_path) as tmp, open(tmp, "wb") as out:
        out.write(weightset_file_header(m, d, head.layout, head.arch, rows, prov))
        for b in (progress(steps) if progress else steps):
            s, e = bounds[b], bounds[b + 1]
            pos = s
            while pos < e:  # the block's values, row segment by row segment
                j, c = divmod(pos, d)
                stop = min(e - s, pos - s + d - c)
                width = stop - (pos - s)
                src.columns(c, c + width, [idx[j]], out=base[pos - s:stop].view(1, width))
                pos += width
            noisy = base[:e - s] + torch.randn(e - s, generator=gn) * (std * scale)
            out.write(np.ascontiguousarray(noisy.numpy()).data)
    return m


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
