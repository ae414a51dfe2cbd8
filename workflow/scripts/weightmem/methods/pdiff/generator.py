"""P-diff (Wang et al. 2024, arXiv 2402.13144) as the study ran it (docs/pdiff.md §2-3): per-tensor
normalisation, a 1-D convolutional parameter autoencoder trained with input and latent noise, and a
DDPM (ε-prediction, T=1000) on its 128-dim latents through :mod:`weightmem.generative.diffusion`.

Channel plans are config lists; the paper's values (below) give the spec's 2,199,201 autoencoder
parameters. The input length must be a multiple of 32 (five stride-2 convolutions).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from weightmem.generative.diffusion import GaussianDiffusion
from weightmem.settings import from_dict


@dataclass
class PdiffConfig:
    """Settings of the section of the same name in config/schema.yaml, which holds every default."""
    enc_channels: list
    dec_channels: list
    latent: int
    input_noise: float
    latent_noise: float
    ae_steps: int
    ae_batch: int
    ae_lr: float
    ae_tmax: int
    ddpm_channels: list
    ddpm_steps: int
    ddpm_batch: int
    ddpm_lr: float
    ddpm_tmax: int
    diffusion_steps: int


def config_from_dict(d: dict) -> PdiffConfig:
    return from_dict(PdiffConfig, d, "P-diff generator")


def config_to_dict(c: PdiffConfig) -> dict:
    return asdict(c)


# ------------------------------------------------------------------------ normalisation (§2.1)
def tensor_stats(weights: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Per tensor k: (mean over checkpoints of each checkpoint's scalar mean, same for the unbiased
    std) → [K, 2]."""
    out = []
    for part in torch.split(weights, sizes, dim=1):
        out.append(torch.stack([part.mean(1).mean(), part.std(1, unbiased=True).mean()]))
    return torch.stack(out)


def normalise(weights: torch.Tensor, stats: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    return torch.cat([(p - s[0]) / s[1] for p, s in zip(torch.split(weights, sizes, 1), stats)], 1)


def denormalise(z: torch.Tensor, stats: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    return torch.cat([p * s[1] + s[0] for p, s in zip(torch.split(z, sizes, 1), stats)], 1)


# ------------------------------------------------------------------------ autoencoder (§2.2)
def _bn(bn: nn.BatchNorm1d, x: torch.Tensor, per_sample: bool) -> torch.Tensor:
    """BatchNorm; ``per_sample`` = train-mode BN on a batch of one, for every sample at once
    (each sample normalised by its own statistics over the length axis, docs/pdiff.md §3)."""
    if per_sample:
        return F.instance_norm(x, weight=bn.weight, bias=bn.bias, eps=bn.eps)
    return bn(x)


class ParamAutoencoder(nn.Module):
    def __init__(self, length: int, cfg: PdiffConfig) -> None:
        super().__init__()
        if length % 32:
            raise ValueError(f"P-diff autoencoder input length {length} is not a multiple of 32")
        enc, dec = list(cfg.enc_channels), list(cfg.dec_channels)
        if len(enc) != 5 or len(dec) != 4:
            raise ValueError("enc_channels needs 5 entries and dec_channels 4")
        self.length, self.short = length, length // 32
        cin = [1] + enc[:-1]
        self.enc = nn.ModuleList(nn.Conv1d(a, b, 7, 2, 3) for a, b in zip(cin, enc))
        self.enc_bn = nn.ModuleList(nn.BatchNorm1d(b) for b in enc)
        flat = enc[-1] * self.short
        self.to_latent = nn.Linear(flat, cfg.latent)
        self.mu = nn.Linear(cfg.latent, cfg.latent)
        self.logvar = nn.Linear(cfg.latent, cfg.latent)  # kept for parity; unused (std fixed)
        self.from_latent = nn.Linear(cfg.latent, flat)
        self.c0 = enc[-1]
        dcin = [enc[-1]] + dec[:-1]
        self.dec = nn.ModuleList(nn.ConvTranspose1d(a, b, 7, 2, 3, output_padding=1)
                                 for a, b in zip(dcin, dec))
        self.dec_bn = nn.ModuleList(nn.BatchNorm1d(b) for b in dec)
        self.final = nn.ConvTranspose1d(dec[-1], dec[-1], 7, 2, 3, output_padding=1)
        self.final_bn = nn.BatchNorm1d(dec[-1])
        self.out = nn.Conv1d(dec[-1], 1, 7, 1, 3)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h = x[:, None]
        for conv, bn in zip(self.enc, self.enc_bn):
            h = F.leaky_relu(bn(conv(h)), 0.01)
        return self.mu(self.to_latent(h.flatten(1)))

    def decode(self, z: torch.Tensor, per_sample_bn: bool = False) -> torch.Tensor:
        h = self.from_latent(z).reshape(len(z), self.c0, self.short)
        for conv, bn in zip(self.dec, self.dec_bn):
            h = F.elu(_bn(bn, conv(h), per_sample_bn))
        h = F.elu(_bn(self.final_bn, self.final(h), per_sample_bn))
        return self.out(h)[:, 0]


# ------------------------------------------------------------------------ latent denoiser (§2.3)
def sinusoidal(t: torch.Tensor, dim: int = 256) -> torch.Tensor:
    half = dim // 2
    f = 10000.0 ** (-torch.arange(half, device=t.device, dtype=torch.float32) / half)
    a = t.to(torch.float32)[:, None] * f
    return torch.cat([a.cos(), a.sin()], dim=1)


class LatentDenoiser(nn.Module):
    """1-D U-Net over the latent as a 1-channel sequence; the time embedding (one value per
    position) is added to the input of every convolution; skips are added, not concatenated."""

    def __init__(self, latent: int, channels: list) -> None:
        super().__init__()
        a, b, c, d = channels
        self.time = nn.Sequential(nn.Linear(256, latent), nn.SiLU(), nn.Linear(latent, latent))
        plan = [1, a, b, c, d, c]
        self.enc = nn.ModuleList(nn.Conv1d(i, o, 7, 1, 3) for i, o in zip(plan, plan[1:]))
        self.enc_bn = nn.ModuleList(nn.BatchNorm1d(o) for o in plan[1:])
        dplan = [c, b, a, 1]
        self.dec = nn.ModuleList(nn.Conv1d(i, o, 7, 1, 3) for i, o in zip(dplan, dplan[1:]))
        self.dec_bn = nn.ModuleList(nn.BatchNorm1d(o) for o in dplan[1:-1])

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.time(sinusoidal(t))[:, None, :]  # [B, 1, L]
        h, skips = x[:, None], []
        for conv, bn in zip(self.enc, self.enc_bn):
            h = F.elu(bn(conv(h + e)))
            skips.append(h)
        for i, conv in enumerate(self.dec):
            h = conv(h + skips[2 - i] + e)
            if i < len(self.dec_bn):
                h = F.elu(self.dec_bn[i](h))
        return h[:, 0]


# ------------------------------------------------------------------------ training and sampling
def _batches(n: int, batch: int, g: torch.Generator):
    """Uniform random checkpoints, as the original's repeated-and-shuffled dataset gives."""
    while True:
        perm = torch.randperm(n, generator=g)
        for s in range(0, n - batch + 1, batch):
            yield perm[s:s + batch]
        if n < batch:
            yield torch.randint(0, n, (batch,), generator=g)


def fit(x: torch.Tensor, cfg: PdiffConfig, seed: int, device, progress=None, log=None):
    """Train the autoencoder, then the latent DDPM, on normalised vectors x [N, D].
    Returns (autoencoder, denoiser, loss rows)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x = x.to(device)
    ae = ParamAutoencoder(x.shape[1], cfg).to(device).train()
    opt = torch.optim.AdamW(ae.parameters(), lr=cfg.ae_lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.ae_tmax, eta_min=0.0)
    rows, batches = [], _batches(len(x), cfg.ae_batch, g)
    it = range(cfg.ae_steps)
    for step in (progress(it, desc="autoencoder") if progress else it):
        xb = x[next(batches).to(device)]
        xb = xb + cfg.input_noise * torch.randn(xb.shape, generator=g).to(device)
        z = ae.encode(xb)
        z = z + cfg.latent_noise * torch.randn(z.shape, generator=g).to(device)
        loss = F.mse_loss(ae.decode(z), xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        rows.append({"stage": "autoencoder", "step": step, "loss": loss.item()})
    if log:
        log.info("autoencoder: final reconstruction MSE %.4g", rows[-1]["loss"])
    den = LatentDenoiser(cfg.latent, cfg.ddpm_channels).to(device).train()
    diff = GaussianDiffusion(cfg.diffusion_steps, prediction="eps")
    opt = torch.optim.AdamW(den.parameters(), lr=cfg.ddpm_lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.ddpm_tmax, eta_min=0.0)
    batches = _batches(len(x), cfg.ddpm_batch, g)
    it = range(cfg.ddpm_steps)
    for step in (progress(it, desc="latent DDPM") if progress else it):
        with torch.no_grad():  # the autoencoder stays in train mode: batch statistics (§2.3)
            lat = ae.encode(x[next(batches).to(device)])
        loss = diff.training_loss(den, lat)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        rows.append({"stage": "ddpm", "step": step, "loss": loss.item()})
    if log:
        log.info("latent DDPM: final ε-MSE %.4g", rows[-1]["loss"])
    return ae, den, rows


@torch.no_grad()
def sample(ae: ParamAutoencoder, den: LatentDenoiser, n: int, cfg: PdiffConfig, seed: int,
           device, steps: int | None = None, progress=None) -> torch.Tensor:
    """n normalised vectors: ancestral DDPM with the posterior variance (§3) in the latent, the
    denoiser in eval mode, decoded with per-sample train-mode BN. Samples are independent, so
    batching them gives the same result as the original's one at a time."""
    g = torch.Generator().manual_seed(seed)
    den.eval()
    diff = GaussianDiffusion(cfg.diffusion_steps, prediction="eps")
    noise = torch.randn(n, cfg.latent, generator=g)
    on_cpu = torch.device(device).type == "cpu"
    if not on_cpu:
        torch.manual_seed(seed)  # a CPU generator cannot drive CUDA draws
    z = diff.ddpm_sample(den, (n, cfg.latent), steps=steps, variance="fixed_small",
                         generator=g if on_cpu else None, device=device, noise=noise.to(device),
                         progress=progress)
    return ae.decode(z, per_sample_bn=True).cpu()
