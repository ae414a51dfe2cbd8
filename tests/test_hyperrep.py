"""Hyper-Representations library: the CNN, its symmetries, the batched zoo, SVHN, the autoencoder
and the KDE samplers."""
import hashlib

import numpy as np
import pytest
import torch

from weightmem.zoo.cnn import AdamRecipe, train_cnn_single, train_cnn_zoo
from weightmem.data.images import DataError
from weightmem.methods.hyperrep import generator as H
from weightmem.io import WeightSet
from weightmem.methods.hyperrep import stages as M
from weightmem.nets import get as get_arch
from weightmem.nets.cnn import CNNArch
from sections import section


@pytest.fixture
def arch():
    return CNNArch()


def trained_like(arch, n=4, seed=0):
    """Random weights with larger biases, so every unit is active on some inputs."""
    g = torch.Generator().manual_seed(seed)
    return arch.init(g, n) * 2 + 0.1 * torch.randn(n, arch.dim, generator=g)


def test_cnn_has_2464_parameters_and_matches_torch_module(arch):
    assert arch.dim == 2464 and get_arch(arch.tag) == arch
    w = trained_like(arch, 3)
    x = torch.randn(7, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    net = arch.module()
    torch.nn.utils.vector_to_parameters(w[2], net.parameters())
    torch.testing.assert_close(arch.forward(w, x)[2], net(x), atol=1e-5, rtol=1e-5)
    # pooling comes before the activation: the module order of docs/hyperrep.md §1.2
    assert isinstance(net[1], torch.nn.MaxPool2d) and isinstance(net[2], torch.nn.ReLU)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_permutation_augmentation_is_function_preserving(activation):
    arch = CNNArch(activation=activation)
    w = trained_like(arch, 3)
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    bank = M.permutation_bank(arch, 5, seed=3)
    for idx in bank:
        assert torch.equal(idx.sort().values, torch.arange(arch.dim))  # a true permutation
        wp = w[:, idx]
        assert (wp - w).abs().max() > 0.1  # the weights really moved
        torch.testing.assert_close(arch.forward(wp, x), arch.forward(w, x), atol=1e-5, rtol=1e-5)
    # the augmentation pipeline with noise and erasing off returns function-preserving views
    cfg = section(H.HyperRepConfig, "hyperrep.generator", d_model=64, heads=4, blocks=2, ff=256,
                  latent=128, epochs=60, batch_size=32, lr=1e-3, noise=0.0, erase_p=0.0)
    v = H.Augment(bank, cfg, torch.Generator().manual_seed(0)).view(w)
    torch.testing.assert_close(arch.forward(v, x), arch.forward(w, x), atol=1e-5, rtol=1e-5)


def test_a_wrong_permutation_changes_the_function(arch):
    """Guard against a vacuous test: permuting a layer's outputs without its successor's inputs
    must change the outputs."""
    w = trained_like(arch, 1)
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    idx = torch.arange(arch.dim)
    idx[:200] = idx[:200].view(8, 25)[torch.tensor([1, 0, 2, 3, 4, 5, 6, 7])].reshape(-1)
    assert (arch.forward(w[:, idx], x) - arch.forward(w, x)).abs().max() > 1e-3


def test_positive_rescaling_preserves_relu_networks_only(arch):
    w = trained_like(arch, 3)
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    v = arch.random_scaling_vector(torch.Generator().manual_seed(5), 0.5, 2.0)
    # a weight between two rescaled units gets c_out / c_in, in [0.25, 4]
    assert v.min() >= 0.25 - 1e-6 and v.max() <= 4.0 + 1e-6 and (v != 1).sum() > 1000
    torch.testing.assert_close(arch.forward(w * v, x), arch.forward(w, x), atol=1e-5, rtol=1e-5)
    # the output layer's own units are never rescaled (only its inputs)
    assert torch.equal(v[-10:], torch.ones(10))
    tanh = CNNArch(activation="tanh")
    assert (tanh.forward(w * v, x) - tanh.forward(w, x)).abs().max() > 1e-3
    with pytest.raises(ValueError, match="positive"):
        arch.scaling_vector([torch.ones(8), -torch.ones(6), torch.ones(4), torch.ones(20)])


class _Identity(torch.nn.Module):
    """Stands in for the autoencoder: encode = decode = identity."""


def test_invariance_rows_measure_differences_between_reconstructions(arch, monkeypatch):
    w = trained_like(arch, 6)
    zoo = WeightSet(w, arch.layout, arch.tag, {"run": list(range(6))}, {})
    x = torch.randn(64, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(4))
    # a perfect (identity) autoencoder: transformed weights reconstruct to functionally equal
    # models, so only the "original" row (different models) shows differences
    monkeypatch.setattr(M.H, "encode", lambda model, v: v)
    monkeypatch.setattr(M.H, "decode", lambda model, v: v)
    rows, check = M.invariance(_Identity(), zoo, x, y, n_models=6, seed=0)
    r = {row["transform"]: row for row in rows}
    assert list(r) == ["original", "permuted", "scaled"] and r["original"]["models"] == 6
    assert r["permuted"]["abs_accuracy_difference"] < 1e-4
    assert r["scaled"]["one_minus_similarity"] < 1e-6
    assert r["original"]["abs_accuracy_difference"] > 1.0
    assert check == {"permuted": pytest.approx(0, abs=1e-4), "scaled": pytest.approx(0, abs=1e-4)}
    # an autoencoder that adds the same fixed vector whatever the input's symmetry breaks it
    delta = torch.randn(arch.dim, generator=torch.Generator().manual_seed(6)) * w.std()
    monkeypatch.setattr(M.H, "decode", lambda model, v: v + delta)
    rows, _ = M.invariance(_Identity(), zoo, x, y, n_models=6, seed=0)
    assert rows[1]["one_minus_similarity"] > 0.05 and rows[2]["one_minus_similarity"] > 0.05


def test_tokens_cover_every_weight_once(arch):
    toks = arch.tokens()
    assert sum(t.shape[0] for _, t in toks) == 48
    assert [t.shape[1] for _, t in toks] == [26, 201, 25, 37, 21]
    flat = torch.cat([t.reshape(-1) for _, t in toks])
    assert torch.equal(flat.sort().values, torch.arange(arch.dim))
    # conv2 token 0 = the first output channel's 200 weights, then its bias at 1,408
    t = toks[1][1]
    assert t[0, 0] == 208 and t[0, 199] == 407 and t[0, 200] == 1408


def test_batched_zoo_equals_per_model_loop(arch):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (96,), generator=g)
    recipe = AdamRecipe(epochs=2, batch_size=16, lr=3e-3, checkpoint_epochs=(1, 2))
    seeds = [5, 9, 11]
    ws = train_cnn_zoo(arch, x, y, x[:20], y[:20], seeds, recipe, chunk=2, show_progress=False)
    assert len(ws) == 6 and ws.rows["epoch"] == [1, 2, 1, 2, 1, 2]
    final = ws.weights[1::2]
    for r, s in enumerate(seeds):
        single = train_cnn_single(arch, x, y, s, recipe)
        assert (final[r] - single).abs().max() < 1e-4
    assert (final[0] - final[1]).abs().max() > 1e-2  # different seeds, different runs


def test_svhn_from_files_in_svhn_format(tmp_path):
    from scipy.io import savemat

    from weightmem.data.svhn import svhn

    rng = np.random.default_rng(0)
    files = {}
    for name, n in (("train_32x32.mat", 12), ("test_32x32.mat", 5)):
        X = rng.integers(0, 256, size=(32, 32, 3, n), dtype=np.uint8)
        y = np.arange(1, n + 1).reshape(n, 1) % 10 + 1  # SVHN labels are 1..10 (10 = digit 0)
        savemat(tmp_path / name, {"X": X, "y": y.astype(np.uint8)})
        files[name] = hashlib.md5((tmp_path / name).read_bytes()).hexdigest()
    d = svhn(tmp_path, download_ok=False, files=files)
    assert d.x_train.shape == (12, 1, 28, 28) and d.x_test.shape == (5, 1, 28, 28)
    assert d.y_train.min() >= 0 and d.y_train.max() <= 9 and 0 in d.y_train.tolist()
    assert abs(d.x_train.mean()) < 1e-4  # standardised with the training statistics
    bad = dict(files, **{"test_32x32.mat": "0" * 32})
    with pytest.raises(DataError, match="checksum"):
        svhn(tmp_path, download_ok=False, files=bad)
    with pytest.raises(DataError, match="downloads are disabled"):
        svhn(tmp_path / "empty", download_ok=False, files=files)


def test_kde_study_sampler_redecodes_training_latents_independent_does_not():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(40, 6))  # latents far apart relative to the bandwidth
    bw = 0.002
    for mode in ("study", "independent"):
        s = H.kde_sample(z, 50, bw, mode, seed=42)
        diff = s[:, None, :] - z[None, :, :]  # [n, N, L]
        spread = diff.std(axis=2).min(axis=1)  # one shared shift across dims → spread 0
        shift = np.abs(diff.mean(axis=2))[np.arange(50), diff.std(axis=2).argmin(axis=1)]
        if mode == "study":
            assert spread.max() < 1e-9  # every sample = a training latent + one scalar shift
            assert shift.max() < 6 * bw
        else:
            assert np.median(spread) > 0.1  # coordinates come from different training latents
    # both samplers respect the per-dimension marginals: every coordinate is near some data value
    s = H.kde_sample(z, 50, bw, "independent", seed=1)
    assert np.abs(s[:, None, :] - z[None]).min(axis=1).max() < 6 * bw


def test_top_fraction_uses_the_linear_quantile():
    acc = np.arange(10) / 10
    assert H.top_fraction(acc, 0.3).tolist() == [7, 8, 9]  # quantile(0.7) = 0.63


def test_autoencoder_round_trips_a_training_vector_better_than_chance(arch):
    torch.manual_seed(0)
    n = 8
    w = trained_like(arch, n, seed=4)
    cfg = section(H.HyperRepConfig, "hyperrep.generator", d_model=16, heads=2, blocks=1, ff=32,
                  latent=32, dropout=0.0, proj_hidden=16, proj_out=8, proj_layers=1, epochs=80,
                  batch_size=n, lr=3e-3, weight_decay=1e-5, permutations=1, erase_p=0.0)
    bank = torch.arange(arch.dim)[None]  # identity: the target is the vector itself
    model, _, rows = H.fit(w, [t for _, t in arch.tokens()], M.LAYER_SIZES, bank, cfg, seed=0)
    assert rows[-1]["rec"] < rows[0]["rec"]
    rec = H.decode(model, H.encode(model, w))
    d = torch.cdist(rec, w)
    own, other = d.diagonal(), (d + torch.eye(n) * 1e9).min(dim=1).values
    # chance: a reconstruction no closer to its own input than to another training vector
    assert (own < other).float().mean() >= 0.75
    # and better than the best input-independent guess, the training mean
    assert float(((rec - w) ** 2).mean()) < float(((w.mean(0) - w) ** 2).mean())


def test_nt_xent_prefers_matching_views():
    g = torch.Generator().manual_seed(0)
    p = torch.randn(8, 4, generator=g)
    aligned = H.nt_xent(torch.cat([p, p + 0.01 * torch.randn(8, 4, generator=g)]), 0.1)
    shuffled = H.nt_xent(torch.cat([p, p[torch.randperm(8, generator=g)]]), 0.1)
    assert aligned < shuffled


def test_reference_distances_exclude_the_own_copy():
    from weightmem.evaluation.classifier import reference_distances

    w = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [5.2, 0.0]])
    train = WeightSet(w, [("p", (2,))], "x")
    ref = train.subset([1, 2])
    ref.rows["source_index"] = [1, 2]
    d, i, inside = reference_distances(train, ref, is_training=True)
    assert inside.tolist() == [False, True, True, False]
    assert i.tolist() == [1, 2, 1, 2] and np.allclose(d, [1.0, 4.0, 4.0, 0.2], atol=1e-6)
    d, i, inside = reference_distances(train.subset([2]), ref, is_training=False)
    assert d.tolist() == [0.0] and inside.all()
