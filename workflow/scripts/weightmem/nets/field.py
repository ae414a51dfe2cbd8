"""HyperDiffusion's occupancy field ("MLP3D"), batched over fields (docs/hyperdiffusion.md §1.3-1.4).

NeRF positional encoding with ``multires`` octaves and no π factor, frequency-major
([x, sin(x), cos(x), sin(2x), cos(2x), …] → 3·(1 + 2·multires) dims), then ``layers`` hidden
ReLU layers of ``hidden`` units and one logit output. Flattening follows the state dict:
layers.0.weight (out×in, row-major), layers.0.bias, …, layers.L.weight, layers.L.bias.
Tag: ``field:pe4-128x3`` (36,737 parameters for the paper's multires 4, 3 × 128).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from weightmem.io import Layout, unflatten
from weightmem.nets import register


@dataclass(frozen=True)
class FieldArch:
    multires: int = 4
    hidden: int = 128
    layers: int = 3

    @property
    def tag(self) -> str:
        return f"field:pe{self.multires}-{self.hidden}x{self.layers}"

    @property
    def n_in(self) -> int:
        return 3 * (1 + 2 * self.multires)

    @property
    def widths(self) -> list[int]:
        return [self.n_in] + [self.hidden] * self.layers + [1]

    @property
    def layout(self) -> Layout:
        out = []
        w = self.widths
        for k in range(len(w) - 1):
            out += [(f"layers.{k}.weight", (w[k + 1], w[k])), (f"layers.{k}.bias", (w[k + 1],))]
        return out

    @property
    def dim(self) -> int:
        w = self.widths
        return sum(w[k + 1] * w[k] + w[k + 1] for k in range(len(w) - 1))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        parts = [x]
        for k in range(self.multires):
            f = 2.0 ** k
            parts += [torch.sin(f * x), torch.cos(f * x)]
        return torch.cat(parts, dim=-1)

    def init(self, generator: torch.Generator, n: int = 1) -> torch.Tensor:
        """PyTorch's default Linear init (U(±1/√fan_in) for weights and biases), [n, D]."""
        parts = []
        for name, shape in self.layout:
            fan_in = self.widths[int(name.split(".")[1])]
            numel = shape[0] * (shape[1] if len(shape) > 1 else 1)
            parts.append((torch.rand(n, numel, generator=generator) * 2 - 1) / fan_in ** 0.5)
        return torch.cat(parts, dim=1)

    def forward(self, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Occupancy logits [N, B] of N fields at points x: [B, 3] (shared) or [N, B, 3]."""
        return self.forward_encoded(flat, self.encode(x))

    def forward_encoded(self, flat: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """As :meth:`forward` for already encoded points h [B, n_in] or [N, B, n_in]."""
        p = unflatten(flat, self.layout)
        if h.dim() == 2:
            h = h.expand(flat.shape[0], *h.shape)
        n_lin = len(self.widths) - 1
        for k in range(n_lin):
            h = torch.baddbmm(p[f"layers.{k}.bias"][:, None, :], h,
                              p[f"layers.{k}.weight"].transpose(1, 2))
            if k < n_lin - 1:
                h = torch.relu(h)
        return h[..., 0]

    def permute_hidden(self, flat: torch.Tensor, perms: list[torch.Tensor]) -> torch.Tensor:
        """Function-preserving permutation of the hidden neurons of every hidden layer (one
        permutation per hidden layer; docs/hyperdiffusion.md §6.2). flat [N, D], perms [N, hidden] each."""
        p = {k: v.clone() for k, v in unflatten(flat, self.layout).items()}
        for k, perm in enumerate(perms):
            idx = perm[:, :, None]
            w, b, w_next = f"layers.{k}.weight", f"layers.{k}.bias", f"layers.{k + 1}.weight"
            p[w] = torch.gather(p[w], 1, idx.expand(-1, -1, p[w].shape[2]))
            p[b] = torch.gather(p[b], 1, perm)
            p[w_next] = torch.gather(p[w_next], 2, perm[:, None, :].expand(-1, p[w_next].shape[1], -1))
        return torch.cat([p[n].reshape(flat.shape[0], -1) for n, _ in self.layout], dim=1)


def from_tag(tag: str) -> FieldArch:
    m = re.fullmatch(r"field:pe(\d+)-(\d+)x(\d+)", tag)
    if not m:
        raise ValueError(f"bad field architecture tag '{tag}' (expected e.g. field:pe4-128x3)")
    return FieldArch(int(m.group(1)), int(m.group(2)), int(m.group(3)))


register("field", from_tag)
