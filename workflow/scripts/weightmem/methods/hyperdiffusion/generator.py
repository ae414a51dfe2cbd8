"""HyperDiffusion's generator: an unconditional diffusion transformer over raw field weights with
one token per parameter tensor plus one timestep token (docs/hyperdiffusion.md §2-3).

x₀-prediction, linear βs 1e-4…2e-2 over T = 500, MSE on x₀; AdamW with weight decay on all
parameters; StepLR ×γ every ``lr_step_epochs`` epochs; DDIM (η = 0) sampling from N(0, I).
No EMA, no global residual, no clipping (weights are not in [−1, 1]).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from weightmem.generative.diffusion import GaussianDiffusion, frequency_embedding
from weightmem.io import Layout, layout_size
from weightmem.runtime import progress
from weightmem.generative.transformer import TokenTransformer, count_parameters
from weightmem.settings import from_dict


@dataclass
class HDConfig:
    """Settings of the section of the same name in config/schema.yaml, which holds every default."""
    width: int
    depth: int
    heads: int
    dropout: float
    n_freq: int
    freq_max_exp: float  # f_k = 2^(20·k/127) (§2.3)
    diffusion_steps: int
    beta_start: float
    beta_end: float
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    lr_step_epochs: int
    lr_gamma: float
    noise_augmentation: float  # std of Gaussian noise added to training weights (modeling factor)


class HDDenoiser(nn.Module):
    def __init__(self, layout: Layout, cfg: HDConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.sizes = [math.prod(s) for _, s in layout]
        self.dim = layout_size(layout)
        self.net = TokenTransformer(self.sizes + [2 * cfg.n_freq + 1], self.sizes, cfg.width,
                                    cfg.depth, cfg.heads, cfg.dropout)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        tokens = list(torch.split(x_t, self.sizes, dim=1))
        tokens.append(frequency_embedding(t.float(), self.cfg.n_freq, self.cfg.freq_max_exp))
        return torch.cat(self.net(tokens), dim=1)  # the timestep token's output is dropped


def diffusion_of(cfg: HDConfig) -> GaussianDiffusion:
    return GaussianDiffusion(cfg.diffusion_steps, cfg.beta_start, cfg.beta_end, prediction="x0")


def fit(weights: torch.Tensor, layout: Layout, cfg: HDConfig, seed: int, device: torch.device,
        log=None, after_step=None):
    """Train on the [N, D] raw training weights. Returns (model, per-step log rows).
    ``after_step(steps_done, model)``, if given, is called after every optimisation step (the
    training-curve measurement, bench/hd_curve.py, samples the model there)."""
    if not torch.isfinite(weights).all():
        raise ValueError("training weights contain NaN/inf")
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = HDDenoiser(layout, cfg).to(device)
    # fused: one kernel for all parameters (the optimiser step dominates a small denoiser on CPU)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay,
                            fused=True)
    diff = diffusion_of(cfg)
    N = weights.shape[0]
    data = weights.to(device)
    per_epoch = math.ceil(N / cfg.batch_size)
    if log:
        log.info("HyperDiffusion denoiser: %d parameters for %d training vectors of %d values "
                 "(%d epochs × %d steps)", count_parameters(model), N, weights.shape[1],
                 cfg.epochs, per_epoch)
    rows, step = [], 0
    model.train()
    for epoch in progress(range(cfg.epochs), desc="HyperDiffusion fit"):
        for grp in opt.param_groups:  # StepLR per epoch
            grp["lr"] = cfg.lr * cfg.lr_gamma ** (epoch // cfg.lr_step_epochs)
        order = torch.randperm(N, generator=g)
        for s in range(0, N, cfg.batch_size):
            x0 = data[order[s:s + cfg.batch_size].to(device)]
            if cfg.noise_augmentation > 0:
                x0 = x0 + cfg.noise_augmentation * torch.randn(x0.shape, generator=g).to(device)
            loss = diff.training_loss(model, x0, generator=None)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            rows.append({"step": step, "epoch": epoch, "loss": loss.item(),
                         "lr": opt.param_groups[0]["lr"]})
            step += 1
            if after_step is not None:
                after_step(step, model)
                model.train()
        if log and (epoch % max(1, cfg.epochs // 10) == 0 or epoch == cfg.epochs - 1):
            log.info("epoch %d/%d loss %.3g", epoch, cfg.epochs, rows[-1]["loss"])
    return model.eval(), rows


@torch.no_grad()
def sample(model: HDDenoiser, n: int, sample_steps: int | None, seed: int, device: torch.device,
           batch: int = 100) -> torch.Tensor:
    """n weight vectors by DDIM (η = 0) from x_T ~ N(0, I), in batches (§3)."""
    model.eval()
    diff = diffusion_of(model.cfg)
    g = torch.Generator(device="cpu").manual_seed(seed)
    out = []
    for s in range(0, n, batch):
        b = min(batch, n - s)
        x_T = torch.randn(b, model.dim, generator=g)
        out.append(diff.ddim_sample(model, (b, model.dim), steps=sample_steps, eta=0.0,
                                    device=device, noise=x_T,
                                    progress=lambda it: progress(it, desc="DDIM")).cpu())
    return torch.cat(out)


def config_from_dict(d: dict) -> HDConfig:
    return from_dict(HDConfig, d, "HyperDiffusion generator")


def config_to_dict(cfg: HDConfig) -> dict:
    return asdict(cfg)
