"""Behaviour of classifiers: accuracy, error masks, and maximum error-IoU similarity (docs/study.md).

similarity(A, B) = |E_A ∩ E_B| / (|E_A ∪ E_B| + 1e-8) for error masks E. All pairs are computed as
one matrix product of the masks (intersections) plus the mask sizes (unions = |A| + |B| − ∩),
blocked over target rows so memory stays bounded.
"""
from __future__ import annotations

import torch


@torch.no_grad()
def evaluate_classifiers(forward, weights: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
                         chunk: int = 64, device: torch.device | str = "cpu",
                         progress=None) -> dict[str, torch.Tensor]:
    """Run N models (flat weights [N, D]) on the test set. Returns accuracy (%) [N], error masks
    bool [N, E], predictions int16 [N, E] and a 'diverged' flag (non-finite weights or logits).
    Diverged models are evaluated like any other (their NaN logits count as errors)."""
    device = torch.device(device)
    x, y = x.to(device), y.to(device)
    n = weights.shape[0]
    masks = torch.empty(n, y.shape[0], dtype=torch.bool)
    preds = torch.empty(n, y.shape[0], dtype=torch.int16)
    diverged = torch.empty(n, dtype=torch.bool)
    starts = range(0, n, chunk)
    for s in (progress(starts) if progress else starts):
        w = weights[s:s + chunk].to(device)
        logits = forward(w, x)  # [c, E, classes]
        bad = ~torch.isfinite(logits).all(dim=2)
        p = logits.nan_to_num(nan=-float("inf")).argmax(dim=2)
        err = (p != y) | bad  # a non-finite output is an error, never a lucky argmax
        masks[s:s + chunk] = err.cpu()
        preds[s:s + chunk] = p.to(torch.int16).cpu()
        diverged[s:s + chunk] = (~torch.isfinite(w).all(dim=1) | bad.any(dim=1)).cpu()
    acc = 100.0 * (1.0 - masks.float().mean(dim=1))
    return {"accuracy": acc, "masks": masks, "predictions": preds, "diverged": diverged}


def pairwise_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of error masks for all pairs: a [M, E], b [N, E] (bool) → [M, N] float32."""
    af, bf = a.to(torch.float32), b.to(torch.float32)
    inter = af @ bf.T  # exact: counts < 2^24
    union = af.sum(1)[:, None] + bf.sum(1)[None, :] - inter
    return inter / (union + 1e-8)


def paired_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of error masks row by row: a, b [N, E] (bool) → [N] float64."""
    inter = (a & b).sum(1).double()
    return inter / ((a | b).sum(1).double() + 1e-8)


def max_similarity(targets: torch.Tensor, reference: torch.Tensor, exclude_self: bool = False,
                   block: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Per target row: max similarity over reference rows and its index. With
    ``exclude_self`` (targets are the reference set) the diagonal is set to 0 first."""
    if exclude_self and targets.shape != reference.shape:
        raise ValueError("exclude_self needs the targets to be the reference set")
    best = torch.empty(targets.shape[0])
    arg = torch.empty(targets.shape[0], dtype=torch.long)
    for s in range(0, targets.shape[0], block):
        sim = pairwise_similarity(targets[s:s + block], reference)
        if exclude_self:
            r = torch.arange(sim.shape[0])
            sim[r, r + s] = 0.0
        best[s:s + block], arg[s:s + block] = sim.max(dim=1)
    return best, arg


def max_similarity_naive(targets: torch.Tensor, reference: torch.Tensor,
                         exclude_self: bool = False) -> torch.Tensor:
    """The broadcast-boolean definition, [M, N, E] at once (for tests and the benchmark)."""
    inter = (targets[:, None, :] & reference[None, :, :]).sum(-1).float()
    union = (targets[:, None, :] | reference[None, :, :]).sum(-1).float()
    sim = inter / (union + 1e-8)
    if exclude_self:
        sim.fill_diagonal_(0.0)
    return sim.max(dim=1).values


# ------------------------------------------------ a network with frozen parts (P-diff's context)
def _chunks(n_models: int, per_model: int, budget: float = 2 ** 27) -> int:
    return max(1, min(n_models, int(budget // max(per_model, 1))))


@torch.no_grad()
def tail_predictions(tail, flat: torch.Tensor, x: torch.Tensor, device,
                     classes: list[int] | None = None, image_batch: int = 1024,
                     progress=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions [N, B] (argmax, optionally over ``classes`` only) and a per-model flag of
    non-finite logits, for N BN-vectors on images x, sharing the frozen computation."""
    n = flat.shape[0]
    preds = torch.empty(n, len(x), dtype=torch.long)
    bad = ~torch.isfinite(flat).all(dim=1)
    starts = range(0, len(x), image_batch)
    for s in (progress(starts, desc="evaluate") if progress else starts):
        feats = tail.features(x[s:s + image_batch].to(device))
        m = _chunks(n, feats[:, :tail.c].numel())
        for a in range(0, n, m):
            z = tail.logits(flat[a:a + m].to(device), feats)
            if classes is not None:
                z = z[..., classes]
            finite = torch.isfinite(z).all(dim=2)
            p = z.nan_to_num(nan=-float("inf")).argmax(dim=2)
            p = torch.where(finite, p, torch.full_like(p, -1))  # non-finite output = an error
            preds[a:a + m, s:s + image_batch] = p.cpu()
            bad[a:a + m] |= ~finite.all(dim=1).cpu()
    return preds, bad
