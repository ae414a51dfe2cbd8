"""The Hyper-Representations target network (docs/hyperrep.md §1.2), batched over models.

    conv1 1→8 k5 → maxpool 2 → act → conv2 8→6 k5 → maxpool 2 → act → conv3 6→4 k2 → act
    → flatten (4×3×3, channel-major) → fc1 36→20 → act → fc2 20→10

2,464 parameters on a 1×28×28 input; pooling comes *before* the activation. Flattening order
(§1.3): layers conv1, conv2, conv3, fc1, fc2; for each the weight row-major (out, in, kh, kw), then
the bias. The tag ``cnn:1x28x28-10-relu`` names input shape, classes and activation.

Batching: the N models are the *groups* of one grouped convolution over a channels-last tensor
[B, N·C, H, W] (oneDNN/cuDNN handle this layout well; a vmap over per-model convolutions and an
unfold/im2col formulation both measured several times slower on the CPU here).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from weightmem.io import Layout, unflatten

ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "gelu": F.gelu, "sigmoid": torch.sigmoid}
# (name, out, in, kernel) in flattening order
LAYERS = (("conv1", 8, 1, 5), ("conv2", 6, 8, 5), ("conv3", 4, 6, 2), ("fc1", 20, 36, 1),
          ("fc2", 10, 20, 1))


@dataclass(frozen=True)
class CNNArch:
    in_channels: int = 1
    size: int = 28
    n_classes: int = 10
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation '{self.activation}' (known: {sorted(ACTIVATIONS)})")
        if self.size != 28 or self.in_channels != 1 or self.n_classes != 10:
            raise ValueError("the Hyper-Representations CNN is defined for 1×28×28 inputs and 10 "
                             f"classes, got {self.in_channels}×{self.size}×{self.size} / "
                             f"{self.n_classes}")

    @property
    def tag(self) -> str:
        return f"cnn:{self.in_channels}x{self.size}x{self.size}-{self.n_classes}-{self.activation}"

    @property
    def layout(self) -> Layout:
        out = []
        for name, o, i, k in LAYERS:
            out.append((f"{name}.weight", (o, i, k, k) if name.startswith("conv") else (o, i)))
            out.append((f"{name}.bias", (o,)))
        return out

    @property
    def dim(self) -> int:
        return sum(math.prod(s) for _, s in self.layout)

    # ------------------------------------------------------------------ init
    def init(self, generator: torch.Generator, n: int = 1, bias: float = 0.01) -> torch.Tensor:
        """PyTorch's default weight init (U(±1/√fan_in), i.e. kaiming-uniform with a=√5) and every
        bias filled with 0.01 (docs/hyperrep.md §1.2). [n, D]."""
        parts = []
        for _, o, i, k in LAYERS:
            bound = 1.0 / math.sqrt(i * k * k)
            parts.append((torch.rand(n, o * i * k * k, generator=generator) * 2 - 1) * bound)
            parts.append(torch.full((n, o), bias))
        return torch.cat(parts, dim=1)

    # ------------------------------------------------------------------ forward
    def split(self, flat: torch.Tensor) -> list[torch.Tensor]:
        return list(unflatten(flat, self.layout).values())

    def forward(self, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Logits [N, B, classes] of N models on shared images x [B, 1, 28, 28]."""
        return forward_params(self.split(flat), x, self.activation, shared=True)

    def module(self) -> torch.nn.Sequential:
        """The same network as a plain ``torch.nn`` model (module indices as in §1.2)."""
        act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "gelu": torch.nn.GELU,
               "sigmoid": torch.nn.Sigmoid}[self.activation]
        nn = torch.nn
        return nn.Sequential(nn.Conv2d(1, 8, 5), nn.MaxPool2d(2), act(), nn.Conv2d(8, 6, 5),
                             nn.MaxPool2d(2), act(), nn.Conv2d(6, 4, 2), act(), nn.Flatten(),
                             nn.Linear(36, 20), act(), nn.Linear(20, 10))

    # ------------------------------------------------------------------ symmetries
    def permutation_index(self, perms: list[torch.Tensor]) -> torch.Tensor:
        """Flat gather index [D] realising permutations of the hidden units of conv1, conv2,
        conv3 and fc1 (``perms`` = 4 permutations of 8, 6, 4, 20 units): unit u of layer l takes
        the old unit perm[u] (its incoming weights and bias), and the next layer's inputs are
        reordered to match (for conv3→fc1 each channel's block of 3×3 flattened inputs moves
        together). new = flat[..., index] computes the same function."""
        idx = torch.arange(self.dim)
        blocks = [b.view(s) for b, s in zip(torch.split(idx, [math.prod(s) for _, s in self.layout]),
                                                  (s for _, s in self.layout))]
        for li, p in enumerate(perms):
            p = torch.as_tensor(p, dtype=torch.long)
            w, b = 2 * li, 2 * li + 1
            blocks[w] = blocks[w][p]
            blocks[b] = blocks[b][p]
            nxt = blocks[w + 2]
            if li == 2:  # conv3 (4 channels × 3×3) → fc1 inputs, channel-major
                nxt = nxt.view(20, 4, 9)[:, p].reshape(20, 36)
            else:
                nxt = nxt[:, p]
            blocks[w + 2] = nxt
        return torch.cat([b.reshape(-1) for b in blocks])

    def scaling_vector(self, scales: list[torch.Tensor]) -> torch.Tensor:
        """Flat multiplier [D] realising positive rescaling of the hidden units of conv1, conv2,
        conv3 and fc1 (``scales`` = 4 positive vectors of 8, 6, 4, 20 factors): unit u's incoming
        weights and bias are multiplied by c[u] and the next layer's weights on its input by
        1/c[u]. With ReLU (and max-pool, which commutes with c > 0) new = flat * vector computes
        the same function; with other activations it does not."""
        blocks = [torch.ones(shape) for _, shape in self.layout]
        for li, c in enumerate(scales):
            c = torch.as_tensor(c, dtype=torch.float32)
            if (c <= 0).any():
                raise ValueError(f"scaling factors must be positive (layer {LAYERS[li][0]})")
            w, b = 2 * li, 2 * li + 1
            blocks[w] = blocks[w] * c.view(-1, *([1] * (blocks[w].dim() - 1)))
            blocks[b] = blocks[b] * c
            inv = 1.0 / c
            if li == 2:  # conv3 channel k feeds fc1 inputs 9k … 9k+8
                inv = inv.repeat_interleave(9)
            nxt = blocks[w + 2]
            blocks[w + 2] = nxt * inv.view(1, -1, *([1] * (nxt.dim() - 2)))
        return torch.cat([b.reshape(-1) for b in blocks])

    def random_scaling_vector(self, generator: torch.Generator, low: float = 0.5,
                              high: float = 2.0) -> torch.Tensor:
        """Factors log-uniform in [low, high] for every hidden unit."""
        lo, hi = math.log(low), math.log(high)
        return self.scaling_vector([torch.exp(lo + (hi - lo) * torch.rand(o, generator=generator))
                                    for _, o, _, _ in LAYERS[:-1]])

    def random_permutation_index(self, generator: torch.Generator) -> torch.Tensor:
        return self.permutation_index([torch.randperm(o, generator=generator)
                                       for _, o, _, _ in LAYERS[:-1]])

    def tokens(self) -> list[tuple[int, torch.Tensor]]:
        """Neuron tokenization (docs/hyperrep.md §2.1): per layer, an index matrix [units, fan_in+1]
        into the flat vector (incoming weights, then bias). 48 tokens in total."""
        out, start = [], 0
        for li, (_, o, i, k) in enumerate(LAYERS):
            fan = i * k * k
            w = start + torch.arange(o * fan).view(o, fan)
            b = start + o * fan + torch.arange(o)[:, None]
            out.append((li, torch.cat([w, b], dim=1)))
            start += o * fan + o
        return out


def forward_params(P: list[torch.Tensor], x: torch.Tensor, activation: str,
                   shared: bool) -> torch.Tensor:
    """P: the 10 parameter tensors with a leading model dimension n. x: shared images
    [B, 1, 28, 28] (``shared``) or one minibatch per model [n, B, 1, 28, 28]. Logits [n, B, 10]."""
    act = ACTIVATIONS[activation]
    w1, b1, w2, b2, w3, b3, f1, fb1, f2, fb2 = P
    n = w1.shape[0]
    cl = torch.channels_last
    if shared:  # one dense convolution with n·8 output channels
        B = x.shape[0]
        h = F.conv2d(x.contiguous(memory_format=cl), w1.reshape(n * 8, 1, 5, 5), b1.reshape(-1))
    else:
        B = x.shape[1]
        h = x.reshape(n, B, *x.shape[-2:]).transpose(0, 1).contiguous(memory_format=cl)
        h = F.conv2d(h, w1.reshape(n * 8, 1, 5, 5), b1.reshape(-1), groups=n)
    h = act(F.max_pool2d(h, 2))
    h = act(F.max_pool2d(F.conv2d(h, w2.reshape(n * 6, 8, 5, 5), b2.reshape(-1), groups=n), 2))
    h = act(F.conv2d(h, w3.reshape(n * 4, 6, 2, 2), b3.reshape(-1), groups=n))
    h = h.reshape(B, n, 36).transpose(0, 1)  # [n, B, 4·3·3] channel-major per model
    h = act(torch.baddbmm(fb1[:, None], h, f1.transpose(1, 2)))
    return torch.baddbmm(fb2[:, None], h, f2.transpose(1, 2))


def from_tag(tag: str) -> CNNArch:
    try:
        shape, classes, activation = tag.split(":", 1)[1].split("-")
        c, h, w = (int(s) for s in shape.split("x"))
        if h != w:
            raise ValueError("non-square input")
        return CNNArch(c, h, int(classes), activation)
    except (IndexError, ValueError) as e:
        raise ValueError(f"bad CNN architecture tag '{tag}' (expected cnn:1x28x28-10-ACT): {e}") from e
