"""Weight-space distances: nearest training neighbours by plain L2 (matrix form) and by
permutation-aligned L2 for one-hidden-layer MLPs (Hungarian matching of hidden neurons, docs/gpt.md §5.3).
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment


def pairwise_sq_l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Squared distances [M, N] as |a|² + |b|² − 2ab in float64. Fast, but at large norms the
    cancellation costs absolute accuracy (~D·ε·|a|²): use it to rank, and :func:`nearest` (which
    recomputes the nearest candidates exactly) for the distances themselves."""
    a64, b64 = a.to(torch.float64), b.to(torch.float64)
    d = (a64 * a64).sum(1)[:, None] + (b64 * b64).sum(1)[None, :] - 2.0 * a64 @ b64.T
    return d.clamp_min_(0.0)


_EPS64 = float(torch.finfo(torch.float64).eps)
# nearest_streamed's rel_exact for the audit's tables: a relative error of d² below 2⁻²⁶ moves d
# by under 2⁻²⁷, a quarter of float32's spacing (the distances are returned in float32)
AUDIT_REL_EXACT = 2.0 ** -26


class ArraySource:
    """Rows of an in-memory [N, D] tensor, read by column ranges (the interface of
    :func:`nearest_streamed`; :class:`weightmem.audit.FileSource` reads a file the same way):
    ``columns(start, stop, rows=None, out=None)`` → [rows, stop − start] float32, into ``out``
    (contiguous) when given."""

    def __init__(self, weights: torch.Tensor):
        self.weights = weights
        self.n, self.dim = weights.shape

    def columns(self, start: int, stop: int, rows=None, out=None) -> torch.Tensor:
        w = self.weights if rows is None else self.weights[torch.as_tensor(rows, dtype=torch.long)]
        return w[:, start:stop] if out is None else out.copy_(w[:, start:stop])


class _Chunks:
    """Reusable float64 [rows, width] blocks of a source's columns (and the float32 block they
    are read through): one allocation per call of :func:`nearest_streamed`, not one per chunk —
    fresh multi-megabyte blocks cost a page fault per 4 KiB page on first touch."""

    def __init__(self, rows: int, width: int):
        self.f32 = torch.empty(rows * width, dtype=torch.float32)
        self.f64 = torch.empty(rows * width, dtype=torch.float64)

    def read(self, source, start: int, stop: int, rows=None) -> torch.Tensor:
        n = source.n if rows is None else len(rows)
        w = stop - start
        raw = source.columns(start, stop, rows, out=self.f32[:n * w].view(n, w))
        return self.f64[:n * w].view(n, w).copy_(raw)


def _row_sq_norms(x: torch.Tensor) -> torch.Tensor:
    """Σ_j x[i, j]² per row, without an [n, w] temporary (as a norm, squared: ~3× faster than
    the einsum; only pass 1's ranking and its error bound use it)."""
    return torch.linalg.vector_norm(x, dim=1).square_()


def _centre(x: torch.Tensor, mu: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """In place: rows with a non-finite value set to 0, the others shifted by −μ (μ: the
    finite rows' column means when ``mu`` is None). Returns (finite rows [n] bool, μ)."""
    fin = torch.isfinite(x.sum(1))  # float64 sums of float32 values: non-finite ⇔ a value is
    every = bool(fin.all())
    if not every:
        x.masked_fill_(~fin[:, None], 0.0)
    if mu is None:
        count = int(fin.sum())
        mu = x.sum(0).div_(count) if count else torch.zeros(x.shape[1], dtype=x.dtype)
    x.sub_(mu)
    if not every:
        x.masked_fill_(~fin[:, None], 0.0)
    return fin, mu


def _select(approx: torch.Tensor, tol: torch.Tensor, k: int) -> list[list[int]]:
    """Per target row, the references that can still be among its k nearest once the rounding
    error ``tol`` of the approximate squared distances is accounted for."""
    kk = min(k, approx.shape[1])
    if kk == 0:
        return [[] for _ in range(approx.shape[0])]
    kth = approx.topk(kk, dim=1, largest=False).values[:, -1:]
    keep = torch.isfinite(approx) & (approx <= kth + 2.0 * tol)
    return [row.nonzero().flatten().tolist() for row in keep]


def _exact_pairs(target, ref, pairs: list[tuple[int, int]], chunk: int) -> torch.Tensor:
    """Σ(a − b)² in float64 for each (target row, reference row) pair, by column chunks."""
    out = torch.zeros(len(pairs), dtype=torch.float64)
    if not pairs:
        return out
    same = target is ref  # one set (self excluded): its rows read once, not as two sets
    ti = sorted({t for t, _ in pairs} | ({r for _, r in pairs} if same else set()))
    ri = ti if same else sorted({r for _, r in pairs})
    tpos = {t: j for j, t in enumerate(ti)}
    rpos = {r: j for j, r in enumerate(ri)}
    pt = [tpos[t] for t, _ in pairs]
    pr = [rpos[r] for _, r in pairs]
    w = min(chunk, target.dim)
    bt = _Chunks(len(ti), w)
    br = bt if same else _Chunks(len(ri), w)
    for c in range(0, target.dim, chunk):
        a = bt.read(target, c, min(c + chunk, target.dim), ti)
        b = a if same else br.read(ref, c, min(c + chunk, ref.dim), ri)
        for j, (x, y) in enumerate(zip(pt, pr)):  # one [chunk] temporary
            out[j] += float(torch.dist(a[x], b[y])) ** 2
    return out


def nearest_streamed(target, ref, k: int = 1, exclude_self: bool = False, offset: int = 0,
                     memory: float = 256e6, progress=None,
                     rel_exact: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """k nearest reference rows by L2 for every target row: (distances [M, k], indices [M, k]),
    reading both sets by column ranges (``source.columns(start, stop, rows=None, out=None)``) so
    that neither has to fit in memory — only ``memory`` bytes of float64 columns (and half as
    much of the float32 ones they are read through, reused from chunk to chunk) and the [M, N]
    distances.

    Pass 1 accumulates |a−μ|² + |b−μ|² − 2(a−μ)(b−μ) in float64 over column chunks (μ: the
    reference's column means, which shrinks the norms the cancellation scales with); pass 2
    recomputes Σ(a−b)² exactly for every reference that can still be among a target's k nearest
    given pass 1's worst-case rounding error (4·D·ε·(|a−μ|² + |b−μ|²)), and ranks by it. So
    near-copies at large norms get their true distance (to float64 rounding of the sum), not the
    cancellation's. Non-finite rows get +inf distances (flagged upstream, never crashed on).
    With ``exclude_self`` the targets are reference rows ``offset``.. (never their own
    neighbour).

    ``rel_exact`` > 0 skips pass 2 for a candidate whose pass-1 value is already that accurate
    (error bound ≤ rel_exact × value): :data:`AUDIT_REL_EXACT` keeps the float32 distances within
    one unit in the last place of the exact ones, while near-copies (where the cancellation
    bites) are still recomputed. 0 (the default, the study's tables): every candidate exactly."""
    if exclude_self and offset + target.n > ref.n:
        raise ValueError("exclude_self needs the targets to be rows of the reference set")
    if target.dim != ref.dim:
        raise ValueError(f"targets have D={target.dim}, references D={ref.dim}")
    M, N, D = target.n, ref.n, ref.dim
    same = target is ref
    chunk = max(1, min(D, int(memory // (8 * max(1, M + (0 if same else N))))))
    gram = torch.zeros(M, N, dtype=torch.float64)
    nt = torch.zeros(M, dtype=torch.float64)
    nr = torch.zeros(N, dtype=torch.float64)
    ok_t = torch.ones(M, dtype=torch.bool)
    ok_r = torch.ones(N, dtype=torch.bool)
    buf_r = _Chunks(N, chunk)
    buf_t = None if same else _Chunks(M, chunk)
    starts = range(0, D, chunk)
    for c in (progress(starts) if progress else starts):
        b = buf_r.read(ref, c, min(c + chunk, D))
        fin_r, mu = _centre(b, None)
        ok_r &= fin_r
        if same:
            a, fin_t = b, fin_r
        else:
            a = buf_t.read(target, c, min(c + chunk, D))
            fin_t, _ = _centre(a, mu)
        ok_t &= fin_t
        gram.addmm_(a, b.T)
        nb = _row_sq_norms(b)
        nt += nb if same else _row_sq_norms(a)
        nr += nb
    del buf_r, buf_t, a, b
    approx = (nt[:, None] + nr[None, :] - 2.0 * gram).clamp_min_(0.0)
    tol = 4.0 * D * _EPS64 * (nt[:, None] + nr[None, :])
    bad = ~(ok_t[:, None] & ok_r[None, :])
    if exclude_self:
        r = torch.arange(M)
        bad[r, r + offset] = True
    approx[bad] = float("inf")
    cand = _select(approx, tol, k)
    # per candidate: pass 1's value where it is already that accurate, else None (pass 2)
    if rel_exact > 0:
        sure = tol <= rel_exact * approx
        kept = [[float(approx[m, n]) if sure[m, n] else None for n in row]
                for m, row in enumerate(cand)]
    else:
        kept = [[None] * len(row) for row in cand]
    vals, _ = _fill_exact(kept, cand, target, ref, chunk)
    return _ranked(cand, vals, range(M), min(k, N))


def _fill_exact(kept: list, cand: list, target, ref, chunk: int) -> tuple[list, int]:
    """``kept`` (per target row, a value per candidate or None) with every None replaced by the
    pair's exact Σ(a − b)² (:func:`_exact_pairs`: a second read of those rows); and how many."""
    pairs = [(m, n) for m, row in enumerate(cand) for n, v in zip(row, kept[m]) if v is None]
    if not pairs:
        return kept, 0
    exact = iter(_exact_pairs(target, ref, pairs, chunk).tolist())  # in the order of ``pairs``
    return [[next(exact) if v is None else v for v in row] for row in kept], len(pairs)


def _ranked(cand: list, vals: list, rows, kk: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``kk`` nearest of each row's candidates by squared distance (ties: lower index):
    (distances [len(rows), kk] float32, indices); +inf / 0 where a row has fewer."""
    dist = torch.full((len(rows), max(kk, 0)), float("inf"), dtype=torch.float64)
    idx = torch.zeros(len(rows), max(kk, 0), dtype=torch.long)
    for q, m in enumerate(rows):
        row, v = cand[m], vals[m]
        order = sorted(range(len(row)), key=lambda i: (v[i], row[i]))[:kk]
        for z, i in enumerate(order):
            dist[q, z], idx[q, z] = v[i], row[i]
    return dist.sqrt().to(torch.float32), idx


# nearest_fused's pairs followed exactly during the pass: pass-1 value below this fraction of
# |a−c|² + |b−c|² on the first chunk (c: the centre, the first reference row; independent models
# are at about ½, near-copies at a tiny fraction); at most this many per target row
TRACK_RATIO = 0.1
TRACK_PER_ROW = 4


def nearest_fused(targets: dict, ref, k: int = 2, memory: float = 256e6,
                  rel_exact: float = AUDIT_REL_EXACT, progress=None, log=None) -> dict:
    """The k nearest rows of ``ref`` for every row of every target set in one pass over the
    columns: each set's values read once (the tables of an audit: training — the
    reference itself, self excluded —, generated, held-out, noise baselines). ``targets``:
    {name: source}; a source that *is* ``ref`` gets self excluded. Returns {name: (distances
    [M, k] float32, indices [M, k], finite rows [M] bool)}.

    As :func:`nearest_streamed` with ``rel_exact`` (centred float64 Gram products ranked with
    their rounding error, near candidates exact), with two differences that avoid a second
    read. The error bound is the one of the summation actually done — one product of ``w``
    columns per chunk, ``C`` chunks added: 4·(w + C + 4)·ε·(|a−μ|² + |b−μ|²) (Higham, §3.1) —
    not 4·D·ε·(...), so that far pairs need no exact value at any D. And the near pairs are
    found on the first chunk (pass-1 value below :data:`TRACK_RATIO` of their centred norms,
    the :data:`TRACK_PER_ROW` nearest per row) and their Σ(a − b)² accumulated exactly from
    then on, from the same reads. A candidate that still needs an exact value is recomputed
    by a second read of its two rows (:func:`_exact_pairs`; counted in the log)."""
    log = log or (lambda *a: None)
    names = list(targets)
    others = [n for n in names if targets[n] is not ref]
    N, D = ref.n, ref.dim
    for n in others:
        if targets[n].dim != D:
            raise ValueError(f"{n}: D={targets[n].dim}, the reference has D={D}")
    # rows of the one [R, w] block per chunk: the reference's, then each other set's
    first = {n: (0 if targets[n] is ref else None) for n in names}
    R = N
    for n in others:
        first[n], R = R, R + targets[n].n
    w = max(1, min(D, int(memory // (8 * R))))
    starts = list(range(0, D, w))
    # two float32 blocks: the next chunk is read (a thread: positioned reads free the GIL) while
    # this one is computed on; one float64 block, centred
    f32 = [torch.empty(R * w, dtype=torch.float32) for _ in range(2)]
    f64 = torch.empty(R * w, dtype=torch.float64)
    gram = torch.zeros(R, N, dtype=torch.float64)
    norms = torch.zeros(R, dtype=torch.float64)
    track: list[tuple[int, int]] = []  # (block row, reference row) followed exactly
    exact = torch.zeros(0, dtype=torch.float64)

    def read(i: int) -> torch.Tensor:
        c, hi = starts[i], min(starts[i] + w, D)
        a32 = f32[i % 2][:R * (hi - c)].view(R, hi - c)  # contiguous, and so is every set's rows
        ref.columns(c, hi, out=a32[:N])
        for n in others:
            targets[n].columns(c, hi, out=a32[first[n]:first[n] + targets[n].n])
        return a32

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        ahead = pool.submit(read, 0)
        for i in (progress(range(len(starts))) if progress else range(len(starts))):
            a32 = ahead.result()
            if i + 1 < len(starts):
                ahead = pool.submit(read, i + 1)
            a64 = f64[:a32.numel()].view(a32.shape).copy_(a32)
            # centred on the first reference row (any finite centre keeps the distances and
            # one in the set shrinks the norms the rounding error scales with, as the mean
            # would, without a pass to compute it; 0 where its value is not finite). A
            # non-finite value makes its row's squared norm and Gram entries non-finite, and
            # nothing else: the rows are judged at the end
            a64.sub_(torch.nan_to_num_(a32[0].to(torch.float64), 0.0, 0.0, 0.0))
            if R > N:
                norms[N:] += _row_sq_norms(a64[N:])
            gram.addmm_(a64, a64[:N].T)  # its diagonal: the reference rows' squared norms
            if i == 0:  # the near pairs, from the first chunk's values
                part = norms.clone()
                part[:N] = gram.diagonal()
                near = part[:, None] + part[None, :N] - 2.0 * gram
                near[torch.arange(N), torch.arange(N)] = float("inf")
                ratio = near / (part[:, None] + part[None, :N]).clamp_min_(1e-300)
                ratio.nan_to_num_(float("inf"), float("inf"), float("inf"))
                for m in range(R):
                    row = ratio[m]
                    cand = (row < TRACK_RATIO).nonzero().flatten()
                    cand = cand[row[cand].argsort()][:TRACK_PER_ROW].tolist()
                    track += [(m, j) for j in cand]
                exact = torch.zeros(len(track), dtype=torch.float64)
                log("%d near pairs followed exactly (of %d)", len(track), R * N)
            for p, (m, j) in enumerate(track):  # Σ(a − b)² in float64, one pass over the two
                exact[p] += float(torch.dist(a64[m], a64[j])) ** 2
    # the reference rows' squared norms: the Gram's diagonal (the same sums, accumulated there)
    norms[:N] = gram.diagonal()[:N]
    del f32, f64
    ok = torch.isfinite(norms)  # a row with a NaN or ±inf value
    norms.masked_fill_(~ok, 0.0)
    tracked = {pair: float(v) for pair, v in zip(track, exact.tolist())}
    nb = norms[:N]
    approx = (norms[:, None] + nb[None, :] - 2.0 * gram).clamp_min_(0.0)
    tol = 4.0 * (w + len(starts) + 4) * _EPS64 * (norms[:, None] + nb[None, :])
    bad = ~(ok[:, None] & ok[None, :N])
    bad[torch.arange(N), torch.arange(N)] = True  # the reference's rows: self excluded
    approx[bad] = float("inf")
    cand = _select(approx, tol, k)
    sure = tol <= rel_exact * approx
    kept = [[tracked.get((m, n), float(approx[m, n]) if sure[m, n] else None) for n in row]
            for m, row in enumerate(cand)]
    vals, again = _fill_exact(kept, cand, _Block(targets, ref, first, others), ref, w)
    if again:
        log("%d candidate pairs recomputed exactly by a second read", again)
    out = {}
    for n in names:
        rows = range(first[n], first[n] + targets[n].n)
        out[n] = (*_ranked(cand, vals, rows, min(k, N)), ok[rows.start:rows.stop].clone())
    return out


class _Block:
    """The sets of :func:`nearest_fused` as one source whose rows are the block's (the
    reference's, then each other set's): for its second read."""

    def __init__(self, targets: dict, ref, first: dict, others: list):
        self.n = ref.n + sum(targets[n].n for n in others)
        self.dim = ref.dim
        self._parts = [(0, ref)] + [(first[n], targets[n]) for n in others]

    def columns(self, start: int, stop: int, rows=None, out=None) -> torch.Tensor:
        rows = range(self.n) if rows is None else rows
        out = torch.empty(len(rows), stop - start) if out is None else out
        for j, r in enumerate(rows):
            lo, src = max((p for p in self._parts if p[0] <= r), key=lambda p: p[0])
            src.columns(start, stop, [r - lo], out=out[j:j + 1])
        return out


def nearest(targets: torch.Tensor, reference: torch.Tensor, k: int = 1, exclude_self: bool = False,
            block: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """k nearest reference rows by plain L2 for every target: (distances [M, k], indices [M, k]),
    ``block`` targets at a time (:func:`nearest_streamed`: the nearest candidates recomputed
    exactly, so large norms do not cost the small distances). Non-finite targets get +inf."""
    if exclude_self and targets.shape != reference.shape:
        raise ValueError("exclude_self needs the targets to be the reference set")
    ref = ArraySource(reference)
    dist, idx = [], []
    for s in range(0, targets.shape[0], block):
        t = targets[s:s + block]
        d, i = nearest_streamed(ArraySource(t), ref, k=k, exclude_self=exclude_self, offset=s)
        dist.append(d)
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
