import pytest
import torch

from weightmem import baselines
from weightmem.io import WeightFormatError, WeightSet, load_weightset, save_weightset
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


@pytest.mark.parametrize("hidden,n,count,block", [
    (3, 7, 5, 32),      # D = 33 (not a multiple of 16), blocks spanning rows, a short remainder
    (3, 7, None, 16),   # every row, the smallest block
    (10, 4, 2, 1 << 22),  # one block for the whole output
    (5, 9, 9, 48),      # count = all rows (one of them diverged: 8 are drawn)
])
def test_streamed_noise_writes_the_same_bytes(tmp_path, hidden, n, count, block):
    arch = MLPArch(4, hidden, 3)
    w = torch.randn(n, arch.dim, generator=torch.Generator().manual_seed(hidden + n)) * 30
    w[1, 2] = float("nan")  # a diverged model: never drawn
    src = WeightSet(w, arch.layout, arch.tag, {"run": list(range(n))},
                    {"stage": "training", "normalisation_scale": 2.0})
    save_weightset(src, tmp_path / "src.safetensors")
    for std in (0.05, 1e-3):
        ref = tmp_path / f"ref{std}.safetensors"
        out = tmp_path / f"out{std}.safetensors"
        save_weightset(baselines.noise(src, std, count, seed=7, scale=0.5, name="noiseX"), ref)
        m = baselines.noise_to_file(tmp_path / "src.safetensors", out, std, count, seed=7,
                                    scale=0.5, name="noiseX", block=block)
        assert ref.read_bytes() == out.read_bytes(), (std, block)
        got = load_weightset(out)
        assert len(got) == m and 1 not in got.rows["source_index"]


def test_streamed_noise_refuses_bad_input(tmp_path):
    with pytest.raises(WeightFormatError, match="does not exist"):
        baselines.noise_to_file(tmp_path / "none.safetensors", tmp_path / "o.safetensors", 0.1,
                                None, seed=0)
    (tmp_path / "bad.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    with pytest.raises(WeightFormatError, match="not a weightmem weight set"):
        baselines.noise_to_file(tmp_path / "bad.safetensors", tmp_path / "o.safetensors", 0.1,
                                None, seed=0)
    assert not (tmp_path / "o.safetensors").exists()


def test_heatmap_streamed_from_files_is_the_in_memory_figure(tmp_path):
    from weightmem.figures import classifier as F
    from weightmem.io import save_figure

    arch = MLPArch(4, 5, 3)
    g = torch.Generator().manual_seed(11)
    train = WeightSet(torch.randn(12, arch.dim, generator=g), arch.layout, arch.tag,
                      {"run": list(range(12))})
    gen = WeightSet(train.weights[[3, 8, 1, 0]] + 0.01 * torch.randn(4, arch.dim, generator=g),
                    arch.layout, arch.tag, {})
    save_weightset(train, tmp_path / "t.safetensors")
    save_weightset(gen, tmp_path / "g.safetensors")
    for name, fig in (("mem", F.heatmap(gen, train, "plain", "x", seed=2)),
                      ("file", F.heatmap_from_files(tmp_path / "g.safetensors",
                                                    tmp_path / "t.safetensors", "plain", "x",
                                                    seed=2))):
        save_figure(fig, tmp_path / f"{name}.png")
    assert (tmp_path / "mem.png").read_bytes() == (tmp_path / "file.png").read_bytes()
