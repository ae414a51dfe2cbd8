"""Weight-space distances: nearest training neighbours by plain L2 (matrix form) and by
permutation-aligned L2 for one-hidden-layer MLPs (Hungarian matching of hidden neurons, docs/gpt.md §5.3).
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment


def pairwise_sq_l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances [M, N] as |a|² + |b|² − 2ab in float64 (float32 would lose the small
    distances between near-copies to cancellation)."""
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    d = (a64 * a64).sum(1)[:, None] + (b64 * b64).sum(1)[None, :] - 2.0 * a64 @ b64.T
    return d.clamp_min_(0.0)


def nearest(targets: torch.Tensor, reference: torch.Tensor, k: int = 1, exclude_self: bool = False,
            block: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """k nearest reference rows by plain L2 for every target: (distances [M, k], indices [M, k]).
    Non-finite targets get +inf distances (flagged upstream, not crashed on)."""
    if exclude_self and targets.shape != reference.shape:
        raise ValueError("exclude_self needs the targets to be the reference set")
    dist, idx = [], []
    for s in range(0, targets.shape[0], block):
        d = pairwise_sq_l2(targets[s:s + block], reference)
        d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
        if exclude_self:
            r = torch.arange(d.shape[0])
            d[r, r + s] = float("inf")
        v, i = d.topk(min(k, reference.shape[0]), dim=1, largest=False)
        dist.append(v.sqrt().to(torch.float32))
        idx.append(i)
    return torch.cat(dist), torch.cat(idx)


def aligned_sq_costs(groups_t: torch.Tensor, groups_r: torch.Tensor) -> torch.Tensor:
    """Neuron-to-neuron squared distances for every (target, reference) pair as matrix products:
    groups [M, H, G] and [N, H, G] → [M, N, H_ref, H_target]."""
    gt, gr = groups_t.to(torch.float64), groups_r.to(torch.float64)
    nt, nr = (gt * gt).sum(-1), (gr * gr).sum(-1)  # [M, H], [N, H]
    cost = torch.einsum("mhg,nkg->mnkh", gt, gr).mul_(-2.0)  # in place: no [M,N,H,H] temporaries
    return cost.add_(nr[None, :, :, None]).add_(nt[:, None, None, :]).clamp_min_(0.0)


def aligned_nearest(arch, targets: torch.Tensor, reference: torch.Tensor, k: int = 1,
                    exclude_self: bool = False, block: int | None = None, progress=None,
                    prune: bool = True):
    """k nearest references by permutation-aligned L2 (the reference's hidden neurons permuted to
    best match the target). Returns (distances [M, k], indices [M, k], permutations [M, k, H]):
    ``arch.permute_hidden(reference[idx], perm)`` is the aligned neighbour.

    With ``prune`` (exact, same result as solving every pair): an assignment costs at least the
    sum of its cost matrix's row minima and at least the sum of its column minima; references are
    visited in order of that bound (one vectorised pass for all pairs) and the Hungarian solver
    stops once the bound exceeds the current k-th best distance."""
    gt, rest_t = arch.neuron_groups(targets)
    gr, rest_r = arch.neuron_groups(reference)
    M, N = targets.shape[0], reference.shape[0]
    block = block or max(1, int(2e7) // (N * arch.hidden * arch.hidden))  # ≈160 MB of costs
    k = min(k, N - (1 if exclude_self else 0))
    out_d = torch.empty(M, k)
    out_i = torch.empty(M, k, dtype=torch.long)
    out_p = torch.empty(M, k, arch.hidden, dtype=torch.long)
    ok_t, ok_r = torch.isfinite(targets).all(1).numpy(), torch.isfinite(reference).all(1).numpy()
    starts = range(0, M, block)
    for s in (progress(starts) if progress else starts):
        cost_t = aligned_sq_costs(gt[s:s + block], gr)  # [m, N, Href, Htgt]
        rest = pairwise_sq_l2(rest_t[s:s + block], rest_r).numpy()
        # a pair's costs are finite when both models' weights are (and nothing overflowed)
        finite = ok_t[s:s + block, None] & ok_r[None, :] & np.isfinite(rest)
        if prune:
            lb = (torch.maximum(cost_t.amin(dim=2).sum(-1), cost_t.amin(dim=3).sum(-1))
                  .numpy() + rest)
            lb[~finite] = np.inf
        cost = cost_t.numpy()
        for m in range(cost.shape[0]):
            tot = np.full(N, np.inf)
            perms = np.tile(np.arange(arch.hidden), (N, 1))
            visit = np.argsort(lb[m], kind="stable") if prune else range(N)
            kth = []  # the k smallest totals so far (sorted)
            for n in visit:
                if exclude_self and n == s + m:
                    continue
                if prune and len(kth) == k and lb[m, n] > kth[-1]:
                    break  # every later reference costs at least its bound > the k-th best
                if not finite[m, n]:
                    continue
                c = cost[m, n]
                ri, ci = linear_sum_assignment(c)  # ref neuron ri[j] ↔ target neuron ci[j]
                tot[n] = c[ri, ci].sum() + rest[m, n]
                perms[n, ci] = ri  # target neuron h takes reference neuron perms[h]
                if prune:
                    kth = sorted(kth + [tot[n]])[:k]
            order = np.argsort(tot, kind="stable")[:k]
            out_d[s + m] = torch.from_numpy(np.sqrt(tot[order]))
            out_i[s + m] = torch.from_numpy(order)
            out_p[s + m] = torch.from_numpy(perms[order])
    return out_d, out_i, out_p
