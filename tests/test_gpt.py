import torch

from weightmem.methods.gpt.generator import GptConfig, GptDenoiser, chunk_layout, normalisation_scale
from weightmem.nets.mlp import MLPArch
from sections import section


def test_hidden_permutation_preserves_the_function():
    arch = MLPArch(7, 5, 3)
    w = arch.init(torch.Generator().manual_seed(0), 4)
    x = torch.randn(10, 7)
    perm = torch.stack([torch.randperm(5) for _ in range(4)])
    wp = arch.permute_hidden(w, perm)
    assert not torch.equal(wp, w)
    assert torch.allclose(arch.forward(wp, x), arch.forward(w, x), atol=1e-6)


def test_chunks_never_cross_layers():
    arch = MLPArch(64, 10, 10)
    spans = chunk_layout(arch.layout, 256)
    assert [b - a for a, b in spans] == [256, 256, 128, 10, 100, 10]
    assert spans[0][0] == 0 and spans[-1][1] == arch.dim


def test_denoiser_starts_as_the_identity_on_x_prev():
    arch = MLPArch(16, 4, 3)
    m = GptDenoiser(arch.layout, section(GptConfig, "gpt.generator", width=32, depth=1, heads=2, chunk_size=32,
                                         steps=1, batch_size=2, lr=1e-3))
    x_prev = torch.randn(3, arch.dim)
    out = m(torch.randn(3, arch.dim), torch.tensor([1, 5, 9]), x_prev, torch.rand(3), torch.zeros(3))
    assert torch.equal(out, x_prev)  # zero-initialised heads + global residual (docs/gpt.md §2.2)


def test_normalisation_scale():
    w = torch.randn(1000, 50) * 0.2
    assert abs(normalisation_scale(w, 0.538) - 0.538 / 0.2) < 0.05
