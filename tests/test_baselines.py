import torch

from weightmem import baselines
from weightmem.io import WeightSet
from weightmem.nets.mlp import MLPArch

ARCH = MLPArch(6, 4, 3)


def source(n=40):
    w = ARCH.init(torch.Generator().manual_seed(0), n)
    return WeightSet(w, ARCH.layout, ARCH.tag, {"run": list(range(n))})


def test_noise_same_rows_for_each_amplitude_and_right_std():
    src = source(400)
    a = baselines.noise(src, 0.05, 100, seed=3, scale=2.0)
    b = baselines.noise(src, 0.1, 100, seed=3, scale=2.0)
    assert a.rows["source_index"] == b.rows["source_index"] and len(a) == 100
    base = src.weights[torch.tensor(a.rows["source_index"])]
    assert abs((a.weights - base).std().item() - 0.1) < 0.01  # 0.05 normalised × scale 2
    assert abs((b.weights - base).std().item() - 0.2) < 0.02
    assert len(baselines.noise(src, 0.05, None, seed=3)) == 400


def test_average_and_gaussian_statistics_leave_source_untouched():
    src = source(50)
    before = src.weights.clone()
    avg = baselines.average(src, k=16, count=30, seed=1)
    assert torch.equal(src.weights, before)
    members = torch.tensor(avg.rows["members"])
    assert all(len(set(m.tolist())) == 16 for m in members)
    assert torch.allclose(avg.weights, before[members].mean(1), atol=1e-6)
    gau = baselines.gaussian(src, count=4000, seed=2)
    assert torch.equal(src.weights, before)
    assert torch.allclose(gau.weights.mean(0), before.mean(0), atol=0.02)
    assert torch.allclose(gau.weights.std(0), before.std(0), rtol=0.1)
