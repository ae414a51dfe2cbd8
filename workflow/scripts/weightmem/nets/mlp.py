"""The G.pt target network: flatten → Linear(in→h) → ReLU → Linear(h→classes), batched over models.

Flattening order follows the PyTorch state dict: fc1.weight (h×in, row-major), fc1.bias,
fc2.weight (classes×h), fc2.bias (docs/gpt.md §1.2).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from weightmem.io import Layout, unflatten


@dataclass(frozen=True)
class MLPArch:
    n_in: int
    hidden: int
    n_out: int

    @property
    def tag(self) -> str:
        return f"mlp:{self.n_in}-{self.hidden}-{self.n_out}"

    @property
    def layout(self) -> Layout:
        return [("fc1.weight", (self.hidden, self.n_in)), ("fc1.bias", (self.hidden,)),
                ("fc2.weight", (self.n_out, self.hidden)), ("fc2.bias", (self.n_out,))]

    @property
    def dim(self) -> int:
        return self.hidden * self.n_in + self.hidden + self.n_out * self.hidden + self.n_out

    def init(self, generator: torch.Generator, n: int = 1) -> torch.Tensor:
        """PyTorch's default Linear init (U(±1/√fan_in) for weights and biases), [n, D]."""
        parts = []
        for fan_in, numel in ((self.n_in, self.hidden * self.n_in), (self.n_in, self.hidden),
                              (self.hidden, self.n_out * self.hidden), (self.hidden, self.n_out)):
            bound = 1.0 / fan_in ** 0.5
            parts.append((torch.rand(n, numel, generator=generator) * 2 - 1) * bound)
        return torch.cat(parts, dim=1)

    def forward(self, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits [N, B, n_out] of N models; x is [B, n_in] (shared) or [N, B, n_in]."""
        p = unflatten(flat, self.layout)
        x = x.reshape(*x.shape[:-1], -1) if x.dim() > 2 and x.shape[0] != flat.shape[0] else x
        if x.dim() == 2:
            h = torch.einsum("bi,nhi->nbh", x, p["fc1.weight"])
        else:
            h = torch.bmm(x, p["fc1.weight"].transpose(1, 2))
        h = torch.relu(h + p["fc1.bias"][:, None, :])
        return torch.bmm(h, p["fc2.weight"].transpose(1, 2)) + p["fc2.bias"][:, None, :]

    # -------- hidden-neuron symmetry (used for permutation augmentation and aligned distances)
    def permute_hidden(self, flat: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        """Apply hidden-neuron permutation(s) perm [h] or [N, h]: a function-preserving map."""
        return flat[..., self.hidden_permutation_index(perm)] if perm.dim() == 1 else \
            torch.gather(flat, 1, self.hidden_permutation_index(perm))

    def hidden_permutation_index(self, perm: torch.Tensor) -> torch.Tensor:
        """Flat index vector(s) realising a hidden permutation: new[k] = old[index[k]]."""
        h, i, o = self.hidden, self.n_in, self.n_out
        lead = perm.shape[:-1]
        ar_i = torch.arange(i)
        w1 = (perm[..., :, None] * i + ar_i).reshape(*lead, h * i)
        b1 = h * i + perm
        w2 = (h * i + h + torch.arange(o)[:, None] * h + perm[..., None, :]).reshape(*lead, o * h)
        b2 = (h * i + h + o * h + torch.arange(o)).expand(*lead, o)
        return torch.cat([w1, b1, w2, b2], dim=-1)

    def neuron_groups(self, flat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Split [N, D] into per-hidden-neuron groups [N, h, in+1+out] and the fixed rest [N, out]."""
        p = unflatten(flat, self.layout)
        groups = torch.cat([p["fc1.weight"], p["fc1.bias"][..., None],
                            p["fc2.weight"].transpose(-1, -2)], dim=-1)
        return groups, p["fc2.bias"]


def from_tag(tag: str) -> MLPArch:
    try:
        n_in, hidden, n_out = (int(s) for s in tag.split(":", 1)[1].split("-"))
    except (IndexError, ValueError) as e:
        raise ValueError(f"bad MLP architecture tag '{tag}' (expected mlp:IN-HIDDEN-OUT)") from e
    return MLPArch(n_in, hidden, n_out)
