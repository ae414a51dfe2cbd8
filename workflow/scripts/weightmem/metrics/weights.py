"""Weight-space distances: nearest training neighbours by plain L2 (matrix form) and by
permutation-aligned L2 for one-hidden-layer MLPs (Hungarian matching of hidden neurons, gpt.md §5.3).
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


# Bound on the rounding error of one float32 cost-matrix entry |a|² + |b|² − 2a·b (a, b of G
# values): the dot product's error is at most γ_G·|a||b| ≤ γ_G·(|a|² + |b|²)/2 for any summation
# order (Higham, Accuracy and Stability of Numerical Algorithms, §3.1), the norms are rounded once
# and two additions add a few more units; 2·(G + 8)·u·(|a|² + |b|²) covers all of it with room.
_F32_UNIT = 2.0 ** -24


def _f32_margin(n_values: int) -> float:
    return 2.0 * (n_values + 8) * _F32_UNIT


def aligned_lower_bounds(gt: torch.Tensor, gr: torch.Tensor, nt: torch.Tensor,
                         nr: torch.Tensor) -> torch.Tensor:
    """Guaranteed lower bounds [m, N] (float64) of the aligned squared distance of every
    (target, reference) pair, without the fixed part: max(sum of row minima, sum of column
    minima) of each pair's neuron cost matrix, computed as one float32 matrix product and
    lowered by the worst-case float32 rounding error (so it never exceeds the exact bound).
    groups ``gt`` [m, H, G], ``gr`` [N, H, G] (float32); squared norms ``nt`` [m, H], ``nr``
    [N, H] (float64)."""
    m, H, G = gt.shape
    N = gr.shape[0]
    d = (gt.reshape(m * H, G) @ gr.reshape(N * H, G).T).view(m, H, N, H)  # [tgt h, ref, ref k]
    d.mul_(-2.0).add_(nt.to(torch.float32)[:, :, None, None]).add_(nr.to(torch.float32)[None, None])
    rows = d.amin(dim=3).sum(dim=1)  # every target neuron takes some reference neuron
    cols = d.amin(dim=1).sum(dim=2)  # every reference neuron is taken by some target neuron
    lb = torch.maximum(rows, cols).to(torch.float64)
    slack = _f32_margin(G) * H * (nt.amax(1)[:, None] + nr.amax(1)[None, :])
    return (lb - slack).clamp_min_(0.0)


def aligned_nearest(arch, targets: torch.Tensor, reference: torch.Tensor, k: int = 1,
                    exclude_self: bool = False, block: int | None = None, progress=None,
                    prune: bool = True):
    """k nearest references by permutation-aligned L2 (the reference's hidden neurons permuted to
    best match the target). Returns (distances [M, k], indices [M, k], permutations [M, k, H]):
    ``arch.permute_hidden(reference[idx], perm)`` is the aligned neighbour.

    With ``prune`` (exact, same result as solving every pair): an assignment costs at least the
    sum of its cost matrix's row minima and at least the sum of its column minima. These bounds
    come from one float32 matrix product for a block of targets against all references, lowered
    by the worst-case rounding error (:func:`aligned_lower_bounds`); references are visited in
    order of the bound, each visited pair's cost matrix is computed exactly (float64) and solved,
    and the search stops once the bound exceeds the current k-th best distance."""
    gt, rest_t = arch.neuron_groups(targets)
    gr, rest_r = arch.neuron_groups(reference)
    M, N, H = targets.shape[0], reference.shape[0], arch.hidden
    k = min(k, N - (1 if exclude_self else 0))
    out_d = torch.empty(M, k)
    out_i = torch.empty(M, k, dtype=torch.long)
    out_p = torch.empty(M, k, H, dtype=torch.long)
    ok_t, ok_r = torch.isfinite(targets).all(1).numpy(), torch.isfinite(reference).all(1).numpy()
    if prune:
        block = block or max(1, int(4e7) // (N * H * H))  # ≈160 MB of float32 bounds
        gt64, gr64 = gt.to(torch.float64), gr.to(torch.float64)
        nt, nr = (gt64 * gt64).sum(-1), (gr64 * gr64).sum(-1)
        # non-finite models: zeros in the product (their pairs are skipped by ``finite``)
        gt32 = torch.nan_to_num(gt.to(torch.float32), 0.0, 0.0, 0.0)
        gr32 = torch.nan_to_num(gr.to(torch.float32), 0.0, 0.0, 0.0).contiguous()
        nt32, nr32 = torch.nan_to_num(nt, 0.0, 0.0, 0.0), torch.nan_to_num(nr, 0.0, 0.0, 0.0)
        gr_np, nr_np = gr64.numpy(), nr.numpy()
    else:
        block = block or max(1, int(2e7) // (N * H * H))  # ≈160 MB of float64 costs
    starts = range(0, M, block)
    for s in (progress(starts) if progress else starts):
        rest = pairwise_sq_l2(rest_t[s:s + block], rest_r).numpy()
        # a pair's costs are finite when both models' weights are (and nothing overflowed)
        finite = ok_t[s:s + block, None] & ok_r[None, :] & np.isfinite(rest)
        if prune:
            lb = aligned_lower_bounds(gt32[s:s + block], gr32, nt32[s:s + block], nr32).numpy()
            lb += rest
            lb[~finite] = np.inf
            for j in range(lb.shape[0]):
                m = s + j
                tot, perms = _pruned_search(lb[j], finite[j], rest[j], gt64[m].numpy(),
                                            nt[m].numpy(), gr_np, nr_np, k,
                                            m if exclude_self else -1)
                _store(out_d, out_i, out_p, m, tot, perms, k)
            continue
        cost = aligned_sq_costs(gt[s:s + block], gr).numpy()  # [m, N, Href, Htgt]
        for j in range(cost.shape[0]):
            tot = np.full(N, np.inf)
            perms = np.tile(np.arange(H), (N, 1))
            for n in range(N):
                if (exclude_self and n == s + j) or not finite[j, n]:
                    continue
                c = cost[j, n]
                ri, ci = linear_sum_assignment(c)  # ref neuron ri[i] ↔ target neuron ci[i]
                tot[n] = c[ri, ci].sum() + rest[j, n]
                perms[n, ci] = ri  # target neuron h takes reference neuron perms[h]
            _store(out_d, out_i, out_p, s + j, tot, perms, k)
    return out_d, out_i, out_p


def _store(out_d, out_i, out_p, m, tot, perms, k):
    order = np.argsort(tot, kind="stable")[:k]
    out_d[m] = torch.from_numpy(np.sqrt(tot[order]))
    out_i[m] = torch.from_numpy(order)
    out_p[m] = torch.from_numpy(perms[order])


def _pruned_search(lb, finite, rest, g_t, n_t, gr, nr, k, self_index, first: int = 64):
    """One target: visit references in order of their lower bound ``lb`` (first the ``first``
    smallest, then, only if needed, all), solve each visited pair exactly, stop when the bound
    exceeds the k-th best total. Returns (totals [N], +inf where not solved; permutations)."""
    N, H = lb.shape[0], g_t.shape[0]
    tot = np.full(N, np.inf)
    perms = np.tile(np.arange(H), (N, 1))
    kth = []  # the k smallest totals so far (sorted)
    done = np.zeros(N, dtype=bool)
    head = np.argpartition(lb, first)[:first] if N > first else np.arange(N)
    for visit in (head[np.argsort(lb[head], kind="stable")], np.argsort(lb, kind="stable")):
        for n in visit:
            if len(kth) == k and lb[n] > kth[-1]:
                return tot, perms  # every later reference costs at least its bound > k-th best
            if done[n] or n == self_index or not finite[n]:
                continue
            done[n] = True
            # this pair's cost matrix [Href, Htgt] in float64, as aligned_sq_costs computes it
            c = np.maximum(nr[n][:, None] + n_t[None, :] - 2.0 * (gr[n] @ g_t.T), 0.0)
            ri, ci = linear_sum_assignment(c)
            tot[n] = c[ri, ci].sum() + rest[n]
            perms[n, ci] = ri
            kth = sorted(kth + [tot[n]])[:k]
    return tot, perms
