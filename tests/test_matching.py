"""Weight matching (weightmem.evaluation.matching): the permutation structure read from layouts,
permutations that leave the networks' outputs unchanged, permuted copies found, the bound against
plain L2, brute force and the exact one-hidden-layer solver, the shortlisted nearest-neighbour
search, and the audit on a deep MLP layout (library calls, no DAG)."""
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from weightmem.evaluation import matching as W
from weightmem.evaluation.weights import ArraySource, aligned_nearest

DEEP = [("fc1.weight", (16, 20)), ("fc1.bias", (16,)), ("fc2.weight", (12, 16)),
        ("fc2.bias", (12,)), ("fc3.weight", (10, 12)), ("fc3.bias", (10,))]


def _cnn_bn() -> nn.Sequential:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 6, 3),
                        nn.BatchNorm2d(6), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 4 * 4, 10))
    for m in net:  # BatchNorm statistics and affine away from their defaults
        if isinstance(m, nn.BatchNorm2d):
            for t in (m.weight, m.bias, m.running_mean):
                t.data.normal_()
            m.running_var.data.uniform_(0.5, 2.0)
    return net.eval()


def _flat(net: nn.Module) -> tuple[list, np.ndarray]:
    """The audit's view of a module: its float tensors sorted by name, flattened in that order."""
    sd = {k: v for k, v in net.state_dict().items() if v.is_floating_point()}
    layout = sorted((k, tuple(v.shape)) for k, v in sd.items())
    return layout, torch.cat([sd[k].reshape(-1) for k, _ in layout]).double().numpy()


def _load(net: nn.Module, layout, flat: np.ndarray) -> nn.Module:
    sd, pos = dict(net.state_dict()), 0
    for k, shape in layout:
        n = math.prod(shape)
        sd[k] = torch.from_numpy(flat[pos:pos + n].reshape(shape)).float()
        pos += n
    net.load_state_dict(sd)
    return net


def _deep_mlp() -> nn.Sequential:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 12), nn.Tanh(),
                         nn.Linear(12, 10)).eval()


# ---------------------------------------------------------------- structure
def test_structure_of_chains():
    s = W.permutation_structure(sorted(DEEP))  # name order, as the audit stores state dicts
    assert s.sizes == (16, 12) and s.summary == "MLP 20-16-12-10"
    groups = {p.name: p.groups for p in s.parts}
    assert groups == {"fc1.weight": (0, None), "fc1.bias": (0,), "fc2.weight": (1, 0),
                      "fc2.bias": (1,), "fc3.weight": (None, 1)}
    layout, _ = _flat(_cnn_bn())
    s = W.permutation_structure(layout)
    assert s.sizes == (8, 6) and s.summary == "conv chain 3-8-6-10 with norm layers"
    parts = {p.name: (p.shape, p.groups) for p in s.parts}
    assert parts["7.weight"] == ((10, 6, 16), (None, 1, None))  # flatten: a block a channel
    assert parts["4.running_var"] == ((6,), (1,)) and parts["1.bias"] == ((8,), (0,))
    # conv1/bn1 names: a norm follows the layer with its number, whatever the name order
    bn = [("conv1.weight", (8, 3, 3, 3)), ("bn1.weight", (8,)), ("bn1.bias", (8,)),
          ("conv2.weight", (6, 8, 3, 3)), ("bn2.weight", (6,)), ("bn2.bias", (6,)),
          ("fc.weight", (10, 6)), ("fc.bias", (10,))]
    s = W.permutation_structure(sorted(bn))
    assert {p.name: p.groups for p in s.parts}["bn2.bias"] == (1,)
    # 'classifier' sorts before 'features': the one top-level order that chains is taken
    seq = [("features.0.weight", (8, 3, 3, 3)), ("features.0.bias", (8,)),
           ("features.2.weight", (6, 8, 3, 3)), ("classifier.weight", (10, 6)),
           ("classifier.bias", (10,))]
    assert W.permutation_structure(sorted(seq)).sizes == (8, 6)


@pytest.mark.parametrize("layout, why", [
    ([("layer1.0.conv1.weight", (8, 8, 3, 3)), ("layer1.0.downsample.0.weight", (8, 8, 1, 1)),
      ("fc.weight", (2, 8))], "skip connection"),
    ([("a.weight", (4, 3)), ("b.weight", (5, 5))], "takes 5 inputs after a layer with 4"),
    ([("fc.weight", (4, 3)), ("fc.bias", (4,))], "fewer than two"),
    ([("a.weight", (4, 3)), ("b.weight", (2, 4, 3, 3))], "conv 'b' after a Linear"),
    ([("a.weight", (4, 3)), ("a.scale", (4, 3)), ("b.weight", (2, 4))], "not a Linear"),
    ([("a.weight", (4, 3)), ("n.weight", (5,)), ("b.weight", (2, 4))], "norm 'n' has 5 units"),
    ([("weights", (7, 30))], "not a Linear"),
])
def test_unknown_structures_are_declined_with_a_reason(layout, why):
    s, reason = W.recognise(layout)
    assert s is None and why in reason


@pytest.mark.parametrize("make", [_deep_mlp, _cnn_bn])
def test_structure_permutations_leave_the_outputs_unchanged(make):
    """The structure is right: permuting the hidden units as it says is a symmetry."""
    net = make()
    layout, flat = _flat(net)
    s = W.permutation_structure(layout)
    rng = np.random.default_rng(0)
    perms = [rng.permutation(n) for n in s.sizes]
    moved = W.apply(s, flat, perms)
    x = torch.randn(5, 3, 8, 8) if isinstance(net[0], nn.Conv2d) else torch.randn(5, 20)
    with torch.no_grad():
        y = net(x)
        y2 = _load(make(), layout, moved)(x)
    assert np.abs(moved - flat).max() > 0.1  # the values did move
    assert torch.allclose(y, y2, atol=1e-5)


# ---------------------------------------------------------------- matching
@pytest.mark.parametrize("make", [_deep_mlp, _cnn_bn])
def test_a_permuted_copy_with_noise_is_found(make):
    layout, a = _flat(make())
    s = W.permutation_structure(layout)
    rng = np.random.default_rng(2)
    for _ in range(5):
        noise = 1e-4 * rng.normal(size=a.size)
        b = W.apply(s, a, [rng.permutation(n) for n in s.sizes]) + noise
        d, perms = W.match(s, a, b)
        assert d == pytest.approx(np.linalg.norm(noise), rel=1e-6)  # back to a + noise
        assert np.linalg.norm(a - b) > 1000 * d
        assert np.allclose(W.apply(s, b, perms), a, atol=1e-3)


def test_matched_is_at_most_plain_and_at_least_brute_force():
    lay = [("l1.weight", (4, 3)), ("l1.bias", (4,)), ("l2.weight", (3, 4)), ("l2.bias", (3,)),
           ("l3.weight", (2, 3)), ("l3.bias", (2,))]
    s = W.permutation_structure(lay)
    rng = np.random.default_rng(3)
    every = list(itertools.product(itertools.permutations(range(4)),
                                   itertools.permutations(range(3))))
    gaps = []
    for _ in range(40):
        a, b = rng.normal(size=s.dim), rng.normal(size=s.dim)
        d, perms = W.match(s, a, b, restarts=2)
        exact = min(np.linalg.norm(a - W.apply(s, b, [np.array(p), np.array(q)]))
                    for p, q in every)
        assert exact - 1e-9 <= d <= np.linalg.norm(a - b) + 1e-12
        assert d == pytest.approx(np.linalg.norm(a - W.apply(s, b, perms)), rel=1e-12)
        gaps.append(d / exact)
    assert np.median(gaps) < 1.0 + 1e-9  # the bound is usually tight on a tiny net


def test_the_identity_is_kept_when_descent_cannot_improve():
    s = W.permutation_structure(DEEP)
    a = np.random.default_rng(4).normal(size=s.dim)
    d, perms = W.match(s, a, a.copy())
    assert d == 0.0 and all((p == np.arange(len(p))).all() for p in perms)


def test_one_hidden_layer_equals_the_exact_aligned_solver():
    from weightmem.nets.mlp import MLPArch

    arch = MLPArch(5, 7, 3)
    s = W.permutation_structure(arch.layout)
    assert s.sizes == (7,)
    g = torch.Generator().manual_seed(5)
    T, R = torch.randn(6, arch.dim, generator=g), torch.randn(9, arch.dim, generator=g)
    d, i, _ = aligned_nearest(arch, T, R, k=9, prune=False)
    for m in range(6):
        for j in range(9):
            got, _ = W.match(s, T[m].double().numpy(), R[int(i[m, j])].double().numpy())
            assert got >= float(d[m, j]) * (1 - 1e-5)
            assert got == pytest.approx(float(d[m, j]), rel=1e-5)


# ---------------------------------------------------------------- nearest neighbours
def _perm_copies(s, src: torch.Tensor, rng, noise: float) -> torch.Tensor:
    rows = [W.apply(s, r.double().numpy(), [rng.permutation(n) for n in s.sizes]) for r in src]
    return torch.tensor(np.stack(rows), dtype=torch.float32) + noise * torch.randn(
        len(rows), src.shape[1], generator=torch.Generator().manual_seed(7))


def test_matched_nearest_finds_permuted_copies_and_equals_all_pairs():
    s = W.permutation_structure(DEEP)
    rng = np.random.default_rng(6)
    ref = torch.randn(30, s.dim, generator=torch.Generator().manual_seed(6))
    tgt = torch.cat([_perm_copies(s, ref[[3, 17, 29]], rng, 1e-4), torch.randn(4, s.dim)])
    tgt[5, 2] = float("nan")
    d, i, perms, stats = W.matched_nearest(ArraySource(tgt), ArraySource(ref), s, k=2,
                                           shortlist=4)
    assert i[:3, 0].tolist() == [3, 17, 29] and (d[:3, 0] < 1e-2).all()
    assert not torch.isfinite(d[5]).any()
    assert stats.pairs < 7 * 30  # a shortlist, not every pair
    plain = torch.cdist(tgt.double(), ref.double())
    for m in (0, 1, 2, 3, 4, 6):
        assert (d[m] <= plain[m].sort().values[:2] + 1e-5).all()  # never above plain L2
        every = sorted(W.match(s, tgt[m].double().numpy(), ref[n].double().numpy())[0]
                       for n in range(30))
        if m < 3:  # the copies: proven by the bound without matching everything
            assert float(d[m, 0]) == pytest.approx(every[0], rel=1e-5)
        assert float(d[m, 0]) >= every[0] - 1e-5
        got = W.apply(s, ref[int(i[m, 0])].double().numpy(), perms[m][0])
        assert np.linalg.norm(tgt[m].double().numpy() - got) == pytest.approx(float(d[m, 0]),
                                                                              rel=1e-5)
    full, fi, _, _ = W.matched_nearest(ArraySource(tgt), ArraySource(ref), s, k=2, shortlist=30)
    for m in (0, 1, 2, 3, 4, 6):  # shortlist = everything: the all-pairs result
        every = sorted(W.match(s, tgt[m].double().numpy(), ref[n].double().numpy())[0]
                       for n in range(30))
        assert full[m].tolist() == pytest.approx(every[:2], rel=1e-5)


def test_invariant_embedding_is_a_lower_bound():
    s = W.permutation_structure(DEEP)
    g = torch.Generator().manual_seed(8)
    a, b = torch.randn(20, s.dim, generator=g), torch.randn(20, s.dim, generator=g)
    lb = (W.invariant_embedding(a, s) - W.invariant_embedding(b, s)).double().norm(dim=1)
    for m in range(20):
        d, _ = W.match(s, a[m].double().numpy(), b[m].double().numpy())
        assert float(lb[m]) <= d + 1e-5


def test_self_excluded_and_file_sources(tmp_path):
    """The training set against itself (self excluded), read from a WeightSet file."""
    from safetensors.torch import save_file

    from weightmem.audit import FileSource

    s = W.permutation_structure(DEEP)
    rng = np.random.default_rng(9)
    base = torch.randn(12, s.dim, generator=torch.Generator().manual_seed(9))
    w = torch.cat([base, _perm_copies(s, base[:2], rng, 1e-4)])  # rows 12, 13 copy rows 0, 1
    save_file({"weights": w.contiguous()}, str(tmp_path / "t.safetensors"))
    src = FileSource(tmp_path / "t.safetensors")
    d, i, _, _ = W.matched_nearest(src, src, s, k=2, exclude_self=True, shortlist=3,
                                   memory=4096, tmpdir=tmp_path)
    a, _, _, _ = W.matched_nearest(ArraySource(w), ArraySource(w), s, k=2, exclude_self=True,
                                   shortlist=3)
    assert i[:2, 0].tolist() == [12, 13] and i[12:, 0].tolist() == [0, 1]
    assert (i != torch.arange(14)[:, None]).all() and torch.allclose(d, a)
    assert [p.name for p in tmp_path.iterdir()] == ["t.safetensors"]  # temporary files gone


# ---------------------------------------------------------------- the audit
def _state_dicts(path, layouts_rows):
    from safetensors.torch import save_file

    path.mkdir()
    for k, (layout, row) in enumerate(layouts_rows):
        sd, pos = {}, 0
        for key, shape in layout:
            sd[key] = row[pos:pos + math.prod(shape)].reshape(shape).clone()
            pos += math.prod(shape)
        save_file(sd, str(path / f"run{k}_step1.safetensors"))
    return path


def test_planted_memorizer_on_a_deep_mlp_is_called_copies_by_matched_distance(tmp_path):
    """G = hidden-permuted copies of training models plus 1e-3 noise: plain L2 cannot see the
    copies; the matched distance does, and says so."""
    from weightmem import audit as A
    from weightmem.evaluation import copying as C
    from weightmem.evaluation import weightspace

    s = W.permutation_structure(DEEP)
    g = torch.Generator().manual_seed(10)
    rng = np.random.default_rng(10)
    T, H = 0.3 * torch.randn(24, s.dim, generator=g), 0.3 * torch.randn(12, s.dim, generator=g)
    G = _perm_copies(s, T[:12], rng, 1e-3)

    def folder(name, rows):
        return str(_state_dicts(tmp_path / name, [(DEEP, r) for r in rows]))

    out = {r: tmp_path / f"{r}.safetensors" for r in ("training", "generated", "heldout")}
    section = {"training": folder("T", T), "generated": folder("G", G),
               "heldout": folder("H", H), "distance": "matched"}
    info = A.import_sets(section, out)
    assert info["arch"] == "custom" and "upper bound (weight matching" in info["distance_note"]
    verdicts = {}
    for distance in ("plain", "matched"):
        tab = {r: weightspace.table(r, out[r], out["training"], distance, r == "training")
               for r in ("training", "generated", "heldout")}
        assert set(tab["generated"]["distance"]) == {distance}
        verdicts[distance] = C.audit(tab["training"], tab["generated"], tab["heldout"])[0]
    assert verdicts["matched"]["verdict"] == "copies"
    assert verdicts["matched"]["copy_flags"]["generated"] == 12
    assert verdicts["plain"]["verdict"] != "copies"
    # a declined layout asked for 'matched' falls back to plain and says why
    assert "plain L2: no permutation" in W.distance_note("matched", [("w", (3, 4))])


@pytest.mark.parametrize("layout, model, want", [
    (DEEP, None, "matched"),
    (DEEP[:2] + [("fc2.weight", (10, 16)), ("fc2.bias", (10,))], None, "aligned"),
    ([("a.weight", (4, 3)), ("a.scale", (4, 3)), ("b.weight", (2, 4))], None, "plain"),
    (DEEP, "tests/audit_model.py:predict", "plain"),  # a researcher's function: plain
])
def test_the_audit_command_picks_the_distance(tmp_path, layout, model, want):
    import argparse

    from weightmem.cli import audit_config

    D = sum(math.prod(s) for _, s in layout)
    T = _state_dicts(tmp_path / "T", [(layout, torch.randn(D)) for _ in range(4)])
    args = argparse.Namespace(out=str(tmp_path / "o"), noise="0.01", training=str(T),
                              generated=str(T), heldout=None, keys=None, model=model, arch=None,
                              behaviour="digits" if model else None, alpha=0.01,
                              holdout_fraction=0.25, copy=False)
    assert audit_config(args)["audit"]["distance"] == want


def test_classifier_distances_and_heatmap_by_weight_matching():
    """With --behaviour the tables and the heatmap go through classifier.distances."""
    from weightmem.evaluation.classifier import distances
    from weightmem.figures.classifier import heatmap
    from weightmem.io import WeightSet

    s = W.permutation_structure(DEEP)
    rng = np.random.default_rng(11)
    T = torch.randn(10, s.dim, generator=torch.Generator().manual_seed(11))
    G = _perm_copies(s, T[[4, 7]], rng, 1e-4)
    train = WeightSet(T, DEEP, "custom", {"run": list(range(10))})
    gen = WeightSet(G, DEEP, "custom", {"run": [0, 1]})
    d, i, perms = distances(gen, train, "matched", exclude_self=False, k=2)
    assert i[:, 0].tolist() == [4, 7] and (d[:, 0] < 1e-2).all()
    assert len(perms) == 2 and [len(p) for p in perms[0][0]] == [16, 12]
    fig = heatmap(gen, train, "matched", "t", n_gen=2, k=2)
    assert fig is not None


def test_permuted_copies_are_found_where_descent_from_the_identity_stalls():
    """From the identity alone, coordinate descent stalls in a local optimum for some permuted
    copies (tiny nets, 4-5-4-2); the forward-pass start recovers every one."""
    s = W.permutation_structure([("l1.weight", (5, 4)), ("l1.bias", (5,)), ("l2.weight", (4, 5)),
                                 ("l2.bias", (4,)), ("l3.weight", (2, 4)), ("l3.bias", (2,))])
    rng = np.random.default_rng(12)
    for _ in range(200):
        a = rng.normal(size=s.dim)
        noise = 1e-2 * rng.normal(size=s.dim)
        b = W.apply(s, a, [rng.permutation(n) for n in s.sizes]) + noise
        assert W.match(s, a, b)[0] <= np.linalg.norm(noise) * (1 + 1e-9)
