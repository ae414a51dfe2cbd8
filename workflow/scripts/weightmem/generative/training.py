"""Small pieces every generator's training loop uses: EMA, warm-up + cosine schedule."""
from __future__ import annotations

import copy
import math

import torch
from torch import nn


class EMA:
    """Exponential moving average of a model's parameters (starts as an exact copy)."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        ema_p = list(self.model.parameters())
        torch._foreach_mul_(ema_p, self.decay)
        torch._foreach_add_(ema_p, list(model.parameters()), alpha=1 - self.decay)
        for eb, b in zip(self.model.buffers(), model.buffers()):
            eb.copy_(b)


def warmup_cosine(step: int, total: int, warmup: int) -> float:
    """Learning-rate factor: linear warm-up from 0, then cosine to 0 at ``total``."""
    if warmup > 0 and step < warmup:
        return step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
