"""P-diff: frozen-feature shortcut, the extra epoch, generator pieces, baselines, CIFAR-100 files."""
import copy
import io
import tarfile

import numpy as np
import pytest
import torch

from weightmem import baselines
from weightmem.data import images
from weightmem.data.images import DataError, ImageData
from weightmem.data.transforms import random_resized_crop, resize_center_crop
from weightmem.methods.pdiff import generator as G
from weightmem.io import WeightSet
from weightmem.methods.pdiff import stages as pdiff
from weightmem.zoo import bn
from weightmem.nets.resnet import BN_KEYS, FrozenTail, ResNet18, ResNetConfig, full_logits
from sections import section
from weightmem.config import defaults


def randomised(cfg: ResNetConfig, seed: int = 0) -> ResNet18:
    """A ResNet whose BN layers all have non-trivial running statistics and affine parameters."""
    torch.manual_seed(seed)
    m = ResNet18(cfg)
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.normal_(0, 0.5)
            mod.running_var.uniform_(0.5, 2.0)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.normal_(0, 0.3)
    return m.eval()


@pytest.mark.parametrize("stem,size,cin", [("cifar", 8, 1), ("imagenet", 48, 3)])
def test_frozen_tail_equals_full_forward_pass(stem, size, cin):
    m = randomised(ResNetConfig(n_classes=7, in_channels=cin, width=8, stem=stem))
    x = torch.randn(6, cin, size, size)
    flat = m.bn_vector()[None] + 0.5 * torch.randn(5, 4 * 64)
    tail = FrozenTail(m)
    fast = tail.logits(flat, tail.features(x))
    slow = full_logits(m, flat, x)
    assert fast.shape == (5, 6, 7)
    assert torch.allclose(fast, slow, atol=1e-4, rtol=1e-4)
    # the shortcut really depends on the BN-vector (not a constant network)
    assert (fast[0] - fast[1]).abs().max() > 1e-2
    preds, bad = pdiff.tail_predictions(tail, flat, x, "cpu", image_batch=4)
    assert torch.equal(preds, slow.argmax(2)) and not bad.any()


def tiny_data(n=64, classes=4, seed=0):
    g = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = (g.normal(size=(n, 1, 8, 8)) + y[:, None, None, None]).astype(np.float32)
    return ImageData(x, y.astype(np.int64), x[:32].copy(), y[:32].astype(np.int64), "toy")


BASE = dict(width=4, stem="cifar", image_size=8, resize=8, crop_scale=[0.7, 1.0], flip=False,
            epochs=1, batch_size=16, lr=1e-3, weight_decay=5e-4)


def test_extra_epoch_changes_only_the_four_bn_tensors():
    data = tiny_data()
    model = randomised(ResNetConfig(4, 1, 4, "cifar"))
    before = copy.deepcopy(model.state_dict())
    ccfg = dict(checkpoints=6, batch_size=16, lr=0.03, weight_decay=5e-4, train_mode_steps=0,
                skip_steps=1)
    ws, net = bn.collect(model, data, BASE, ccfg, seed=1, device="cpu", return_net=True)
    after = net.state_dict()
    for k, v in before.items():
        if k in BN_KEYS:
            assert not torch.equal(v, after[k]), f"{k} did not train"
        else:  # frozen weights and (eval mode throughout) running statistics
            assert torch.equal(v, after[k]), f"{k} changed"
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # base untouched
    assert len(ws) == 6 and ws.dim == 4 * 32 and ws.rows["step"] == [1, 2, 3, 4, 5, 6]
    assert torch.equal(ws.weights[-1], net.bn_vector())
    steps = (ws.weights[1:] - ws.weights[:-1]).norm(dim=1)
    assert (steps > 0).all()  # a checkpoint after every step, all different


def test_train_mode_steps_update_running_statistics_only_at_the_start():
    data = tiny_data()
    model = randomised(ResNetConfig(4, 1, 4, "cifar"))
    ccfg = dict(checkpoints=3, batch_size=16, lr=0.03, weight_decay=5e-4, train_mode_steps=2,
                skip_steps=1)
    ws, net = bn.collect(model, data, BASE, ccfg, seed=1, device="cpu", return_net=True)
    assert ws.rows["bn_mode"] == ["train", "eval", "eval"]
    rm = "layer1.0.bn1.running_mean"
    assert not torch.equal(net.state_dict()[rm], model.state_dict()[rm])
    assert int(net.state_dict()["layer1.0.bn1.num_batches_tracked"]) == 2


def test_normalisation_round_trip_and_per_tensor_scalars():
    w = torch.randn(30, 4 * 16) * torch.tensor([1.0, 0.1, 2.0, 0.5]).repeat_interleave(16) + 3
    sizes = [16] * 4
    stats = G.tensor_stats(w, sizes)
    z = G.normalise(w, stats, sizes)
    assert torch.allclose(G.denormalise(z, stats, sizes), w, atol=1e-5)
    for part in torch.split(z, sizes, 1):
        assert abs(part.mean()) < 0.1 and abs(part.std(1).mean() - 1) < 0.05


def test_paper_generator_sizes_match_the_spec():
    cfg = section(G.PdiffConfig, "pdiff.generator")
    n = lambda m: sum(p.numel() for p in m.parameters())
    assert n(G.ParamAutoencoder(2048, cfg)) == 2_199_201
    assert n(G.LatentDenoiser(128, cfg.ddpm_channels)) == 2_462_977


def test_decoder_per_sample_bn_equals_one_sample_at_a_time_in_train_mode():
    cfg = section(G.PdiffConfig, "pdiff.generator", enc_channels=[4, 4, 4, 4, 4],
                  dec_channels=[4, 4, 4, 4], latent=8)
    ae = G.ParamAutoencoder(64, cfg).train()
    z = torch.randn(5, 8)
    batched = ae.decode(z, per_sample_bn=True)
    one = torch.cat([ae.decode(z[i:i + 1]) for i in range(5)])
    assert torch.allclose(batched, one, atol=1e-5)


def test_fit_and_sample_are_deterministic_and_shaped():
    cfg = dict(defaults("pdiff.generator"), enc_channels=[4, 4, 4, 4, 4], dec_channels=[4, 4, 4, 4],
               ddpm_channels=[4, 4, 4, 4], latent=8, ae_steps=3, ae_batch=4, ddpm_steps=3,
               ddpm_batch=4, diffusion_steps=20)
    rc = ResNetConfig(4, 1, 2, "cifar")
    train = WeightSet(torch.randn(10, 64) * 0.1 + 1, rc.layout, rc.tag)
    s1, meta, rows = pdiff.fit_generator(train, cfg, seed=3, device="cpu")
    s2, _, _ = pdiff.fit_generator(train, cfg, seed=3, device="cpu")
    assert all(torch.equal(s1[k], s2[k]) for k in s1) and len(rows) == 6
    a = pdiff.generate(s1, meta, 7, 5, seed=1, device="cpu")
    b = pdiff.generate(s1, meta, 7, 5, seed=1, device="cpu")
    assert a.weights.shape == (7, 64) and torch.equal(a.weights, b.weights)
    assert a.arch == train.arch and a.layout == train.layout


def test_average_and_gaussian_baselines_statistics_and_training_set_untouched():
    rc = ResNetConfig(4, 1, 2, "cifar")
    g = torch.Generator().manual_seed(0)
    src = WeightSet(torch.randn(300, 64, generator=g) * 0.2 + 1, rc.layout, rc.tag)
    before = src.weights.clone()
    avg = baselines.average(src, k=16, count=100, seed=1)
    gau = baselines.gaussian(src, count=100, seed=2)
    assert torch.equal(src.weights, before)  # unlike the original's in-place sum
    members = torch.tensor(avg.rows["members"])
    assert members.shape == (100, 16) and all(len(set(m.tolist())) == 16 for m in members)
    assert torch.allclose(avg.weights, before[members].mean(1), atol=1e-6)
    # a mean of 16 independent draws has 1/4 of the spread
    assert 0.2 < (avg.weights.std(0) / before.std(0)).mean() < 0.3
    assert len(gau) == 100
    assert (gau.weights.mean(0) - before.mean(0)).abs().mean() < 0.05
    assert 0.85 < (gau.weights.std(0) / before.std(0)).mean() < 1.15


def test_boundary_classes_follow_python_random():
    assert pdiff.boundary_classes(100, 10, 42) == [3, 13, 14, 17, 28, 31, 35, 81, 86, 94]
    assert pdiff.boundary_classes(10, 10, 42) == list(range(10))


def test_transforms_identity_cases_and_shapes():
    x = torch.randn(3, 2, 8, 8)
    same = random_resized_crop(x, 8, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip=False)
    assert torch.allclose(same, x, atol=1e-5)
    g = torch.Generator().manual_seed(0)
    assert random_resized_crop(x, 16, generator=g).shape == (3, 2, 16, 16)
    assert torch.equal(resize_center_crop(x, 8, 8), x)
    y = resize_center_crop(torch.randn(2, 3, 32, 32), 256, 224)
    assert y.shape == (2, 3, 224, 224)


# ---------------------------------------------------------------------- CIFAR-100 binary format
def cifar_archive(path, n_train=7, n_test=5, seed=0):
    g = np.random.default_rng(seed)
    parts = {}
    for name, n in (("train.bin", n_train), ("test.bin", n_test)):
        labels = g.integers(0, 100, size=n)
        pix = g.integers(0, 256, size=(n, 3072))
        rec = np.concatenate([labels[:, None] // 5, labels[:, None], pix], 1).astype(np.uint8)
        parts[name] = (rec.tobytes(), labels, pix)
    with tarfile.open(path, "w:gz") as tar:
        for name, (blob, _, _) in parts.items():
            info = tarfile.TarInfo(f"cifar-100-binary/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return parts


def test_cifar100_reads_its_binary_format_offline(tmp_path):
    parts = cifar_archive(tmp_path / "cifar-100-binary.tar.gz")
    files = {"cifar-100-binary.tar.gz": images.md5sum(tmp_path / "cifar-100-binary.tar.gz")}
    d = images.cifar100(tmp_path, download_ok=False, files=files)
    assert d.x_train.shape == (7, 3, 32, 32) and d.x_test.shape == (5, 3, 32, 32)
    assert np.array_equal(d.y_train, parts["train.bin"][1])  # fine labels, not coarse
    raw = parts["test.bin"][2].reshape(5, 3, 32, 32)
    mean = np.array(images.CIFAR100_MEAN)[:, None, None]
    std = np.array(images.CIFAR100_STD)[:, None, None]
    assert np.allclose(d.x_test, (raw / 255.0 - mean) / std, atol=1e-5)


def test_cifar100_bad_checksum_and_missing_file_fail_clearly(tmp_path):
    cifar_archive(tmp_path / "cifar-100-binary.tar.gz")
    with pytest.raises(DataError, match="checksum"):
        images.cifar100(tmp_path, download_ok=False,
                        files={"cifar-100-binary.tar.gz": "0" * 32})
    with pytest.raises(DataError, match="downloads are disabled"):
        images.cifar100(tmp_path / "empty", download_ok=False)


def test_cifar100_truncated_records_fail(tmp_path):
    with pytest.raises(DataError, match="records"):
        images.read_cifar_binary(b"\x00" * 3000, "x")
