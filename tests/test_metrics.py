import itertools

import numpy as np
import pytest
import torch

from weightmem.evaluation.behaviour import (evaluate_classifiers, max_similarity,
                                         max_similarity_naive, pairwise_similarity)
from weightmem.evaluation.weights import aligned_nearest, nearest
from weightmem.nets.mlp import MLPArch


def test_max_similarity_matches_definition():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(13, 200, generator=g) < 0.3
    b = torch.rand(17, 200, generator=g) < 0.2
    best, arg = max_similarity(a, b, block=5)
    sims = torch.tensor([[(x & y).sum().item() / ((x | y).sum().item() + 1e-8) for y in b] for x in a])
    assert torch.allclose(best, sims.max(1).values, atol=1e-6)
    assert torch.allclose(pairwise_similarity(a, b), sims, atol=1e-6)
    assert torch.allclose(best, max_similarity_naive(a, b), atol=1e-6)
    assert torch.equal(sims[torch.arange(13), arg], sims.max(1).values)


def test_max_similarity_self_exclusion():
    g = torch.Generator().manual_seed(1)
    a = torch.rand(9, 100, generator=g) < 0.3
    best, arg = max_similarity(a, a, exclude_self=True, block=4)
    assert (arg != torch.arange(9)).all()
    assert (best < 1.0).all()  # without exclusion every model would match itself with 1.0
    assert torch.allclose(best, max_similarity_naive(a, a, exclude_self=True), atol=1e-6)


def test_nearest_matches_brute_force_with_self_exclusion():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(11, 30, generator=g) * 50 + 100  # large offset: tests cancellation safety
    d, i = nearest(x, x, k=2, exclude_self=True, block=4)
    brute = torch.cdist(x.double(), x.double())
    brute.fill_diagonal_(float("inf"))
    v, j = brute.topk(2, largest=False)
    assert torch.allclose(d.double(), v, rtol=1e-5)
    assert torch.equal(i, j)


def test_nearest_handles_nan_targets():
    x = torch.randn(4, 5)
    t = x.clone()
    t[1, 0] = float("nan")
    d, _ = nearest(t, x)
    assert torch.isinf(d[1, 0]) and torch.isfinite(d[[0, 2, 3], 0]).all()


def test_aligned_distance_equals_best_permutation():
    arch = MLPArch(5, 4, 3)
    g = torch.Generator().manual_seed(3)
    ref = arch.init(g, 6)
    tgt = arch.init(g, 3)
    d, idx, perm = aligned_nearest(arch, tgt, ref, k=2)
    for m in range(3):
        brute = []
        for n in range(6):
            best = min(torch.linalg.norm(tgt[m] - arch.permute_hidden(ref[n], torch.tensor(p))).item()
                       for p in itertools.permutations(range(4)))
            brute.append(best)
        order = np.argsort(brute)
        assert idx[m].tolist() == order[:2].tolist()
        assert d[m].tolist() == pytest.approx([brute[o] for o in order[:2]], rel=1e-5)
        aligned = arch.permute_hidden(ref[idx[m, 0]], perm[m, 0])
        assert torch.linalg.norm(tgt[m] - aligned).item() == pytest.approx(d[m, 0].item(), rel=1e-5)


def test_aligned_recovers_a_permuted_copy_and_excludes_self():
    arch = MLPArch(5, 4, 3)
    g = torch.Generator().manual_seed(4)
    ref = arch.init(g, 5)
    copy = arch.permute_hidden(ref[2], torch.tensor([2, 0, 3, 1]))
    d, idx, _ = aligned_nearest(arch, copy[None], ref)
    assert idx[0, 0] == 2 and d[0, 0] < 1e-5
    d_self, idx_self, _ = aligned_nearest(arch, ref, ref, exclude_self=True)
    assert (idx_self[:, 0] != torch.arange(5)).all() and (d_self > 1e-3).all()


@pytest.mark.parametrize("k, exclude_self", [(1, False), (3, True)])
def test_pruned_aligned_search_equals_solving_every_pair(k, exclude_self):
    arch = MLPArch(6, 5, 3)
    g = torch.Generator().manual_seed(7)
    base = arch.init(g, 4) * 3
    # clusters of permuted, noisy copies (where pruning bites) plus unrelated models
    copies = torch.stack([arch.permute_hidden(base[i % 4], torch.randperm(5, generator=g))
                          + 0.05 * torch.randn(arch.dim, generator=g) for i in range(24)])
    ref = torch.cat([copies, arch.init(g, 8)])
    ref[5, 3] = float("nan")  # a diverged model: never a neighbour, never a crash
    tgt = ref if exclude_self else torch.cat([ref[:6] + 0.01, arch.init(g, 3)])
    fast = aligned_nearest(arch, tgt, ref, k=k, exclude_self=exclude_self, block=7)
    slow = aligned_nearest(arch, tgt, ref, k=k, exclude_self=exclude_self, prune=False)
    ok = torch.isfinite(tgt).all(1)
    assert torch.equal(fast[1][ok], slow[1][ok])
    torch.testing.assert_close(fast[0][ok], slow[0][ok])
    assert torch.equal(fast[2][ok], slow[2][ok])
    assert (fast[1][ok] != 5).all()


def test_evaluate_flags_diverged_models():
    arch = MLPArch(4, 3, 2)
    w = arch.init(torch.Generator().manual_seed(0), 3)
    w[1, 0] = float("nan")
    x, y = torch.randn(20, 4), torch.randint(0, 2, (20,))
    out = evaluate_classifiers(arch.forward, w, x, y)
    assert out["diverged"].tolist() == [False, True, False]
    assert out["masks"][1].all()  # NaN logits are errors, not lucky guesses
    assert out["accuracy"][1] == 0.0
