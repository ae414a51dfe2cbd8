"""Batched fitting of occupancy fields: N shapes' MLPs in one tensor program (docs/hyperdiffusion.md §1.5).

Per field: BCE-with-logits summed over a batch of points drawn uniformly with replacement from its
own supervision set; Adam (lr 1e-2, default betas); ReduceLROnPlateau on the per-epoch mean loss
(factor 0.8, patience 10, threshold 0, min lr 1e-5); early stop after ``early_stop`` epochs without
a new best. Adam is per coordinate, so one Adam over the [N, D] tensor with a per-field learning
rate is exactly N independent Adams; a field that has stopped is frozen (its update masked out).
All fields start from one shared initialisation (the study's "first_weights" strategy).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from weightmem.nets.field import FieldArch
from weightmem.runtime import progress
from weightmem.settings import from_dict


@dataclass
class FieldRecipe:
    """Settings of the section of the same name in config/schema.yaml, which holds every default."""
    lr: float
    batch_points: int
    max_epochs: int
    lr_factor: float
    patience: int
    min_lr: float
    early_stop: int
    fail_loss: float  # mean BCE per point on the final evaluation above this = failed fit


def recipe_from(d: dict) -> FieldRecipe:
    return from_dict(FieldRecipe, d, "field-fitting")


def fit_fields(arch: FieldArch, samples: torch.Tensor, init: torch.Tensor, recipe: FieldRecipe,
               seed: int, device: torch.device | str = "cpu", log=None, desc: str = "fields"):
    """Fit N fields. samples [N, P, 4] (xyz, occupancy), init [D] shared by all fields.
    Returns (weights [N, D], info dict of per-field tensors: final_loss (mean BCE per point on all
    P points), accuracy (%), epochs, failed, and the loss curve [epochs, N])."""
    N, P, _ = samples.shape
    if init.shape != (arch.dim,):
        raise ValueError(f"init has shape {tuple(init.shape)}, expected ({arch.dim},)")
    g = torch.Generator(device="cpu").manual_seed(seed)
    xyz = samples[..., :3].to(device)
    enc = arch.encode(xyz)  # encoded once: the sin/cos would otherwise dominate small batches
    occ = samples[..., 3].to(device)
    w = init.to(device).expand(N, -1).clone().requires_grad_(True)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    b1, b2, eps = 0.9, 0.999, 1e-8
    lr = torch.full((N, 1), recipe.lr, device=device)
    best = torch.full((N,), float("inf"), device=device)
    bad_plateau = torch.zeros(N, dtype=torch.long, device=device)
    bad_stop = torch.zeros(N, dtype=torch.long, device=device)
    active = torch.ones(N, dtype=torch.bool, device=device)
    epochs_run = torch.zeros(N, dtype=torch.long, device=device)
    iters = max(1, P // recipe.batch_points)
    rows = torch.arange(N, device=device)[:, None]
    curve, step = [], 0
    bar = progress(range(recipe.max_epochs), desc=desc)
    for epoch in bar:
        ep_loss = torch.zeros(N, device=device)
        for _ in range(iters):
            idx = torch.randint(0, P, (N, recipe.batch_points), generator=g).to(device)
            logits = arch.forward_encoded(w, enc[rows, idx])
            loss = F.binary_cross_entropy_with_logits(logits, occ[rows, idx], reduction="none").sum(1)
            grad, = torch.autograd.grad(loss.sum(), w)
            step += 1
            with torch.no_grad():
                m.mul_(b1).add_(grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
                upd = (m / (1 - b1 ** step)) / ((v / (1 - b2 ** step)).sqrt() + eps)
                w.sub_(lr * upd * active[:, None])
            ep_loss += loss.detach()
        ep_loss /= iters
        curve.append(ep_loss.cpu())
        epochs_run += active
        improved = ep_loss < best  # threshold 0
        best = torch.where(improved, ep_loss, best)
        bad_plateau = torch.where(improved, 0, bad_plateau + 1)
        bad_stop = torch.where(improved, 0, bad_stop + 1)
        reduce = bad_plateau > recipe.patience
        lr = torch.where(reduce[:, None], (lr * recipe.lr_factor).clamp_min(recipe.min_lr), lr)
        bad_plateau = torch.where(reduce, 0, bad_plateau)
        active &= bad_stop < recipe.early_stop
        if not bool(active.any()):
            break
        if log and (epoch % max(1, recipe.max_epochs // 10) == 0):
            log.info("epoch %d: mean batch loss %.2f, %d/%d fields active", epoch,
                     ep_loss.mean().item(), int(active.sum()), N)
    weights = w.detach()
    final, acc = evaluate_fields(arch, weights, xyz, occ)
    info = {"final_loss": final.cpu(), "accuracy": acc.cpu(), "epochs": epochs_run.cpu(),
            "failed": (~torch.isfinite(final) | (final > recipe.fail_loss)).cpu(),
            "curve": torch.stack(curve)}
    return weights.cpu(), info


@torch.no_grad()
def evaluate_fields(arch: FieldArch, weights: torch.Tensor, xyz: torch.Tensor, occ: torch.Tensor,
                    chunk: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean BCE per point and label accuracy (%) of every field on all its supervision points."""
    loss = torch.zeros(weights.shape[0], device=weights.device)
    hits = torch.zeros(weights.shape[0], device=weights.device)
    for s in range(0, xyz.shape[1], chunk):
        z = arch.forward(weights, xyz[:, s:s + chunk])
        o = occ[:, s:s + chunk]
        loss += F.binary_cross_entropy_with_logits(z, o, reduction="none").sum(1)
        hits += ((z > 0).float() == o).float().sum(1)
    return loss / xyz.shape[1], 100 * hits / xyz.shape[1]


def default_init(arch: FieldArch, seed: int) -> torch.Tensor:
    """PyTorch default init of one field, [D] (the start of the first fitted shape)."""
    return arch.init(torch.Generator().manual_seed(seed), 1)[0]


def recipe_dict(r: FieldRecipe) -> dict:
    return asdict(r)
