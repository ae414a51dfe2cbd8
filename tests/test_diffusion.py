import torch

from weightmem.generative.diffusion import GaussianDiffusion, frequency_embedding


def test_q_sample_marginal_statistics():
    d = GaussianDiffusion(1000)
    x0 = torch.full((20000, 1), 2.0)
    t = torch.full((20000,), 500)
    xt = d.q_sample(x0, t, torch.randn(20000, 1))
    ab = d.alphas_cumprod[500].item()
    assert abs(xt.mean().item() - 2.0 * ab ** 0.5) < 0.03
    assert abs(xt.var().item() - (1 - ab)) < 0.03


def test_samplers_recover_the_data_with_an_oracle_denoiser():
    target = torch.tensor([[1.5, -0.5, 3.0]])
    x0_oracle = lambda x, t: target.expand(x.shape[0], -1)
    for steps in (None, 50):
        d = GaussianDiffusion(200, prediction="x0")
        g = torch.Generator().manual_seed(0)
        out = d.ddpm_sample(x0_oracle, (4, 3), steps=steps, generator=g)
        assert torch.allclose(out, target.expand(4, -1), atol=1e-4)
        out = d.ddim_sample(x0_oracle, (4, 3), steps=steps, generator=g)
        assert torch.allclose(out, target.expand(4, -1), atol=1e-4)


def test_eps_prediction_oracle():
    d = GaussianDiffusion(100, prediction="eps")
    target = torch.tensor([[0.3, -1.0]])

    def eps_oracle(x, t):
        ab = d.alphas_cumprod[t].float()[:, None]
        return (x - ab.sqrt() * target) / (1 - ab).sqrt()

    out = d.ddpm_sample(eps_oracle, (3, 2), variance="fixed_small",
                        generator=torch.Generator().manual_seed(1))
    assert torch.allclose(out, target.expand(3, -1), atol=1e-3)


def test_training_loss_is_zero_for_oracle_and_positive_otherwise():
    d = GaussianDiffusion(100, prediction="x0")
    x0 = torch.randn(8, 5)
    assert d.training_loss(lambda x, t: x0, x0).item() == 0.0
    assert d.training_loss(lambda x, t: torch.zeros_like(x), x0).item() > 0.1


def test_frequency_embedding_shape():
    e = frequency_embedding(torch.tensor([0.0, 1.0, 2.5]), n_freq=8, max_exp=14)
    assert e.shape == (3, 17) and torch.equal(e[:, -1], torch.tensor([0.0, 1.0, 2.5]))
