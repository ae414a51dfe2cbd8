"""The token transformer shared by G.pt and HyperDiffusion (minGPT blocks without a causal mask).

Each input token has its own bias-free input projection (token sizes differ), then LayerNorm, a
learned positional embedding initialised to zero, pre-LN blocks (attention + 4× GELU MLP), a final
LayerNorm, and a bias-free output projection for each of the first ``len(out_sizes)`` tokens
(docs/gpt.md §2.2, docs/hyperdiffusion.md §2.1-2.2). Linear weights N(0, 0.02), biases 0.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Block(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.heads, self.dropout = heads, dropout
        self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.q, self.k, self.v = (nn.Linear(width, width) for _ in range(3))
        self.proj = nn.Linear(width, width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width),
                                 nn.Dropout(dropout))
        self.resid_drop = nn.Dropout(dropout)

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        b, n, w = x.shape
        split = lambda t: t.view(b, n, self.heads, w // self.heads).transpose(1, 2)
        y = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.resid_drop(self.proj(y.transpose(1, 2).reshape(b, n, w)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TokenTransformer(nn.Module):
    def __init__(self, in_sizes: list[int], out_sizes: list[int], width: int, depth: int,
                 heads: int, dropout: float = 0.0, zero_out: bool = False) -> None:
        super().__init__()
        self.inp = nn.ModuleList(nn.Linear(s, width, bias=False) for s in in_sizes)
        self.ln_in = nn.LayerNorm(width)
        self.pos = nn.Parameter(torch.zeros(len(in_sizes), width))
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(width, heads, dropout) for _ in range(depth))
        self.ln_f = nn.LayerNorm(width)
        self.out = nn.ModuleList(nn.Linear(width, s, bias=False) for s in out_sizes)
        self.apply(self._init)
        if zero_out:  # G.pt: output heads start at zero so the model first returns its residual
            for lin in self.out:
                nn.init.zeros_(lin.weight)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)

    def forward(self, tokens: list[torch.Tensor]) -> list[torch.Tensor]:
        x = torch.stack([lin(t) for lin, t in zip(self.inp, tokens)], dim=1)
        x = self.drop(self.ln_in(x) + self.pos)
        for blk in self.blocks:
            x = blk(x)
        x = self.ln_f(x)
        return [lin(x[:, k]) for k, lin in enumerate(self.out)]


def decay_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups: decay on Linear weights only (not biases, LayerNorms, embeddings)."""
    decay, no_decay = [], []
    for mod in model.modules():
        for name, p in mod.named_parameters(recurse=False):
            (decay if isinstance(mod, nn.Linear) and name == "weight" else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
