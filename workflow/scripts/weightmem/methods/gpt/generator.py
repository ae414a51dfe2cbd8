"""G.pt: a loss-conditioned diffusion transformer over MLP checkpoints (docs/gpt.md §2-3).

Training pairs (θ_a, θ_b) come from one run, θ_b later than θ_a; the denoiser sees the noised θ_b,
θ_a, the diffusion step and the losses (Δℓ, ℓ_target, ℓ_prev), predicts x₀ = θ_b and adds θ_a
back (global residual, zero-initialised heads). Sampling is one-step prompting: θ_a = a held-out
random initialisation, ℓ_target = 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from weightmem.generative.diffusion import GaussianDiffusion, frequency_embedding
from weightmem.io import Layout, layout_size
from weightmem.nets.mlp import MLPArch
from weightmem.runtime import progress
from weightmem.generative.training import EMA, warmup_cosine
from weightmem.generative.transformer import TokenTransformer, count_parameters, decay_groups
from weightmem.settings import from_dict


@dataclass
class GptConfig:
    """Settings of the section of the same name in config/schema.yaml, which holds every default."""
    width: int
    depth: int
    heads: int
    chunk_size: int
    dropout: float
    n_freq: int
    freq_max_exp: float
    diffusion_steps: int
    beta_start: float
    beta_end: float
    steps: int
    batch_size: int
    lr: float
    warmup_steps: int
    weight_decay: float
    grad_clip: float
    ema_decay: float
    permutation_augmentation: bool
    noise_augmentation: float  # std of Gaussian noise added to θ_a and θ_b (normalised units)


def chunk_layout(layout: Layout, chunk: int) -> list[tuple[int, int]]:
    """Cut each layer into pieces of ≤ chunk values that never cross a layer boundary
    ("chunk_within_layer", docs/gpt.md §2.2). Returns (start, end) flat index pairs."""
    spans, start = [], 0
    for _, shape in layout:
        n = 1
        for s in shape:
            n *= s
        for a in range(0, n, chunk):
            spans.append((start + a, start + min(a + chunk, n)))
        start += n
    return spans


class GptDenoiser(nn.Module):
    def __init__(self, layout: Layout, cfg: GptConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.spans = chunk_layout(layout, cfg.chunk_size)
        sizes = [b - a for a, b in self.spans]
        emb = 2 * cfg.n_freq + 1
        self.net = TokenTransformer(sizes + sizes + [emb] * 4, sizes, cfg.width, cfg.depth,
                                    cfg.heads, cfg.dropout, zero_out=True)
        self.dim = layout_size(layout)

    def _chunks(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [x[:, a:b] for a, b in self.spans]

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, x_prev: torch.Tensor,
                loss_prev: torch.Tensor, loss_target: torch.Tensor) -> torch.Tensor:
        e = lambda s: frequency_embedding(s, self.cfg.n_freq, self.cfg.freq_max_exp)
        tokens = (self._chunks(x_t) + self._chunks(x_prev)
                  + [e(t.float()), e(loss_target - loss_prev), e(loss_target), e(loss_prev)])
        return torch.cat(self.net(tokens), dim=1) + x_prev


def diffusion_of(cfg: GptConfig) -> GaussianDiffusion:
    return GaussianDiffusion(cfg.diffusion_steps, cfg.beta_start, cfg.beta_end, prediction="x0")


def normalisation_scale(weights: torch.Tensor, target_std: float = 0.538,
                        n_sample: int = 25_000, seed: int = 10) -> float:
    """0.538 / std of all parameters of (up to) n_sample random checkpoints (docs/gpt.md §1.6)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, weights.shape[0], (min(n_sample, weights.shape[0]),), generator=g)
    return float(target_std / weights[idx].double().std())


def fit(arch: MLPArch, runs: torch.Tensor, losses: torch.Tensor, cfg: GptConfig, seed: int,
        device: torch.device, log=None, show_progress: bool = True):
    """Train G.pt. ``runs`` [R, K, D] normalised checkpoints in chronological order per run,
    ``losses`` [R, K] their test losses. Returns (EMA model, per-step log rows)."""
    if runs.dim() != 3 or losses.shape != runs.shape[:2]:
        raise ValueError(f"expected runs [R, K, D] and losses [R, K], got {tuple(runs.shape)} "
                         f"and {tuple(losses.shape)}")
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = GptDenoiser(arch.layout, cfg).to(device)
    ema = EMA(model, cfg.ema_decay)
    opt = torch.optim.AdamW(decay_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(0.9, 0.999),
                            foreach=True)  # one fused pass over the many small tensors
    diff = diffusion_of(cfg)
    R, K, D = runs.shape
    runs, losses = runs.to(device), losses.to(device)
    if log:
        log.info("G.pt denoiser: %d parameters for %d training vectors (%d runs × %d checkpoints)",
                 count_parameters(model), R * K, R, K)
    rows = []
    bar = progress(range(cfg.steps), desc="G.pt fit", disable=not show_progress or None)
    for step in bar:
        B = cfg.batch_size
        r = torch.randint(0, R, (B,), generator=g)
        s = torch.randint(1, K, (B,), generator=g)  # spacing 1 … K−1
        a = (torch.rand(B, generator=g) * (K - s)).long()  # start 0 … K−1−s
        b = a + s
        r, a, b = r.to(device), a.to(device), b.to(device)
        th_a, th_b = runs[r, a], runs[r, b]
        if cfg.permutation_augmentation:
            perm = torch.argsort(torch.rand(B, arch.hidden, generator=g), dim=1)
            index = arch.hidden_permutation_index(perm).to(device)
            th_a, th_b = th_a.gather(1, index), th_b.gather(1, index)
        if cfg.noise_augmentation > 0:
            th_a = th_a + cfg.noise_augmentation * torch.randn(th_a.shape, generator=g).to(device)
            th_b = th_b + cfg.noise_augmentation * torch.randn(th_b.shape, generator=g).to(device)
        for grp in opt.param_groups:
            grp["lr"] = cfg.lr * warmup_cosine(step, cfg.steps, cfg.warmup_steps)
        model.train()
        loss = diff.training_loss(model, th_b, generator=None, x_prev=th_a,
                                  loss_prev=losses[r, a], loss_target=losses[r, b])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        ema.update(model)
        rows.append({"step": step, "loss": loss.item(), "grad_norm": gnorm.item(),
                     "lr": opt.param_groups[0]["lr"]})
        if log and (step % max(1, cfg.steps // 10) == 0 or step == cfg.steps - 1):
            log.info("step %d/%d loss %.5f grad-norm %.3f", step, cfg.steps, loss.item(), gnorm.item())
    return ema.model, rows


@torch.no_grad()
def sample(model: GptDenoiser, x_prev: torch.Tensor, loss_prev: torch.Tensor,
           loss_target: float, sample_steps: int | None, seed: int,
           device: torch.device) -> torch.Tensor:
    """One-step prompting (docs/gpt.md §3): ancestral DDPM (fixed-large variance), no clipping."""
    model.eval()
    diff = diffusion_of(model.cfg)
    g = torch.Generator(device=device).manual_seed(seed)
    n = x_prev.shape[0]
    return diff.ddpm_sample(model, (n, model.dim), steps=sample_steps, variance="fixed_large",
                            generator=g, device=device,
                            progress=lambda it: progress(it, desc="G.pt sampling"),
                            x_prev=x_prev.to(device), loss_prev=loss_prev.to(device),
                            loss_target=torch.full((n,), float(loss_target), device=device))


def config_from_dict(d: dict) -> GptConfig:
    return from_dict(GptConfig, d, "G.pt generator")


def config_to_dict(cfg: GptConfig) -> dict:
    return asdict(cfg)
