"""One Gaussian diffusion module shared by G.pt, HyperDiffusion and P-diff.

Linear β schedule (Ho et al.), forward process q(x_t | x_0), training losses for x₀- or
ε-prediction, and three samplers: ancestral DDPM (``fixed_large`` σ² = β_t as G.pt uses, or
``fixed_small`` = posterior variance as P-diff uses), optionally on a respaced subset of
timesteps, and deterministic/stochastic DDIM. The denoiser is any callable
``model(x_t, t, **cond)`` where ``t`` holds *original* integer timesteps (0 … T−1), so a model
trained on T steps can be sampled on a respaced schedule without knowing it.
"""
from __future__ import annotations

from typing import Callable

import torch

Denoiser = Callable[..., torch.Tensor]


class GaussianDiffusion:
    def __init__(self, steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02,
                 prediction: str = "x0") -> None:
        if prediction not in ("x0", "eps"):
            raise ValueError(f"prediction must be 'x0' or 'eps', got '{prediction}'")
        if steps < 1 or not 0 < beta_start <= beta_end < 1:
            raise ValueError(f"bad diffusion schedule: steps={steps}, betas {beta_start}…{beta_end}")
        self.T = int(steps)
        self.prediction = prediction
        self.betas = torch.linspace(beta_start, beta_end, self.T, dtype=torch.float64)
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, dim=0)

    # ------------------------------------------------------------------ forward process
    def _at(self, arr: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return arr.to(x.device)[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        ab = self._at(self.alphas_cumprod, t, x0)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def training_loss(self, model: Denoiser, x0: torch.Tensor, generator: torch.Generator | None = None,
                      **cond) -> torch.Tensor:
        """Mean-squared error of the model's prediction (x₀ or ε), t ~ U{0..T−1}; per example
        averaged over coordinates, then over the batch (docs/gpt.md §2.3, docs/pdiff.md §2.3)."""
        n = x0.shape[0]
        t = torch.randint(0, self.T, (n,), device=x0.device, generator=generator)
        noise = torch.randn(x0.shape, device=x0.device, generator=generator, dtype=x0.dtype)
        out = model(self.q_sample(x0, t, noise), t, **cond)
        target = x0 if self.prediction == "x0" else noise
        return ((out - target) ** 2).reshape(n, -1).mean(dim=1).mean()

    # ------------------------------------------------------------------ conversions
    def _x0_eps(self, out: torch.Tensor, x_t: torch.Tensor, ab: torch.Tensor):
        if self.prediction == "x0":
            x0 = out
            eps = (x_t - ab.sqrt() * x0) / (1 - ab).sqrt()
        else:
            eps = out
            x0 = (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()
        return x0, eps

    def timesteps(self, n: int | None) -> list[int]:
        """Respaced timesteps (descending order of use); evenly spaced, always ending at 0."""
        if n is None or n >= self.T:
            return list(range(self.T))
        if n < 1:
            raise ValueError(f"need at least one sampling step, got {n}")
        return sorted({round(i * (self.T - 1) / max(n - 1, 1)) for i in range(n)})

    # ------------------------------------------------------------------ samplers
    @torch.no_grad()
    def ddpm_sample(self, model: Denoiser, shape: tuple[int, ...], steps: int | None = None,
                    variance: str = "fixed_large", generator: torch.Generator | None = None,
                    device: torch.device | str = "cpu", noise: torch.Tensor | None = None,
                    progress: Callable | None = None, **cond) -> torch.Tensor:
        """Ancestral sampling; on a respaced subset the βs are recomputed from ᾱ (as in improved
        DDPM's respacing), so ``steps=None`` is the exact T-step sampler."""
        ts = self.timesteps(steps)
        ab_all = self.alphas_cumprod
        x = noise.to(device) if noise is not None else torch.randn(shape, generator=generator,
                                                                   device=device)
        seq = list(reversed(ts))
        it = progress(seq) if progress else seq
        for k, t in enumerate(it):
            t_prev = seq[k + 1] if k + 1 < len(seq) else None
            ab = ab_all[t]
            ab_prev = ab_all[t_prev] if t_prev is not None else torch.tensor(1.0, dtype=torch.float64)
            beta = 1 - ab / ab_prev
            tt = torch.full((shape[0],), t, device=device, dtype=torch.long)
            out = model(x, tt, **cond)
            abx = ab.to(x.dtype).to(device)
            x0, _ = self._x0_eps(out, x, abx)
            # posterior q(x_{t-1} | x_t, x_0)
            c0 = (ab_prev.sqrt() * beta / (1 - ab)).item()
            ct = ((1 - beta).sqrt() * (1 - ab_prev) / (1 - ab)).item()
            mean = c0 * x0 + ct * x
            if t_prev is None:
                x = mean  # no noise at the last step
                break
            post_var = (beta * (1 - ab_prev) / (1 - ab)).item()
            if variance == "fixed_large":
                # σ² = β_t (docs/gpt.md §2.3; the t=0 substitute is never used: no noise at t=0)
                var = beta.item()
            elif variance == "fixed_small":
                var = post_var
            else:
                raise ValueError(f"variance must be 'fixed_large' or 'fixed_small', got {variance}")
            z = torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype)
            x = mean + var ** 0.5 * z
        return x

    @torch.no_grad()
    def ddim_sample(self, model: Denoiser, shape: tuple[int, ...], steps: int | None = None,
                    eta: float = 0.0, generator: torch.Generator | None = None,
                    device: torch.device | str = "cpu", noise: torch.Tensor | None = None,
                    progress: Callable | None = None, **cond) -> torch.Tensor:
        """DDIM (Song et al.); η = 0 is deterministic (docs/hyperdiffusion.md §3)."""
        ts = self.timesteps(steps)
        seq = list(reversed(ts))
        x = noise.to(device) if noise is not None else torch.randn(shape, generator=generator,
                                                                   device=device)
        it = progress(seq) if progress else seq
        for k, t in enumerate(it):
            ab = self.alphas_cumprod[t]
            ab_prev = self.alphas_cumprod[seq[k + 1]] if k + 1 < len(seq) else torch.tensor(1.0, dtype=torch.float64)
            tt = torch.full((shape[0],), t, device=device, dtype=torch.long)
            x0, eps = self._x0_eps(model(x, tt, **cond), x, ab.to(x.dtype).to(device))
            sigma = (eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()).item()
            x = ab_prev.sqrt().item() * x0 + max(1 - ab_prev.item() - sigma ** 2, 0.0) ** 0.5 * eps
            if sigma > 0:
                x = x + sigma * torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype)
        return x


def frequency_embedding(s: torch.Tensor, n_freq: int = 128, max_exp: float = 14.0) -> torch.Tensor:
    """G.pt's scalar embedder: [sin(f·s), cos(f·s), s] with f = 2^linspace(0, max_exp, n_freq)
    (docs/gpt.md §2.2; HyperDiffusion uses max_exp = 20). Returns [..., 2·n_freq + 1]."""
    f = 2.0 ** torch.linspace(0, max_exp, n_freq, device=s.device, dtype=torch.float32)
    a = s.to(torch.float32)[..., None] * f
    return torch.cat([a.sin(), a.cos(), s.to(torch.float32)[..., None]], dim=-1)
