"""ResNet-18 (He et al. 2016) for P-diff, with parameter names of torchvision/timm so that an
ImageNet state dict loads as is, and the frozen-feature shortcut of docs/pdiff.md §7.2.

P-diff generates only ``layer4.1.bn1`` and ``layer4.1.bn2`` (weight, bias). In eval mode everything
before ``layer4.1.bn1`` is fixed, so :class:`FrozenTail` caches, per image, the normalised output
of ``layer4.1.conv1`` and the residual input of ``layer4.1``; a model then only costs
bn1-affine → ReLU → conv2 → bn2 → add → ReLU → pool → fc, batched over models (conv2 is shared, so
N models × B images go through it as one convolution). Exact, not an approximation.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

BN_KEYS = ["layer4.1.bn1.weight", "layer4.1.bn1.bias", "layer4.1.bn2.weight", "layer4.1.bn2.bias"]


@dataclass(frozen=True)
class ResNetConfig:
    n_classes: int = 100
    in_channels: int = 3
    width: int = 64          # channels of layer1 (layer4 has 8×); 64 = the standard ResNet-18
    stem: str = "imagenet"   # imagenet: 7×7/2 conv + max-pool; cifar: 3×3/1 conv, no pool

    @property
    def tag(self) -> str:
        return f"resnet18-lastbn:w{self.width}-c{self.n_classes}-{self.stem}"

    @property
    def layout(self):
        c = 8 * self.width
        return [(k, (c,)) for k in BN_KEYS]

    def to_dict(self) -> dict:
        return asdict(self)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, cfg: ResNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        if cfg.stem == "imagenet":
            self.conv1 = nn.Conv2d(cfg.in_channels, w, 7, 2, 3, bias=False)
        elif cfg.stem == "cifar":
            self.conv1 = nn.Conv2d(cfg.in_channels, w, 3, 1, 1, bias=False)
        else:
            raise ValueError(f"unknown ResNet stem '{cfg.stem}' (imagenet or cifar)")
        self.bn1 = nn.BatchNorm2d(w)
        chans = [w, 2 * w, 4 * w, 8 * w]
        cin = w
        for i, c in enumerate(chans):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, c, stride),
                                                         BasicBlock(c, c, 1)))
            cin = c
        self.fc = nn.Linear(8 * w, cfg.n_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        return F.max_pool2d(x, 3, 2, 1) if self.cfg.stem == "imagenet" else x

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Everything before the last block: the input of layer4.1."""
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.layer4[0](x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer4[1](self.trunk(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def bn_vector(self) -> torch.Tensor:
        """The 4 generated tensors flattened in layout order (docs/pdiff.md §2.1), [8·width·4]."""
        sd = dict(self.named_parameters())
        return torch.cat([sd[k].detach().reshape(-1) for k in BN_KEYS])

    def set_bn_vector(self, flat: torch.Tensor) -> None:
        sd = dict(self.named_parameters())
        c = 8 * self.cfg.width
        with torch.no_grad():
            for i, k in enumerate(BN_KEYS):
                sd[k].copy_(flat[i * c:(i + 1) * c])


def _bn_affine(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode BN as x·scale + shift without its own weight/bias: (1/σ, −μ/σ)."""
    inv = (bn.running_var + bn.eps).rsqrt()
    return inv, -bn.running_mean * inv


class FrozenTail:
    """Evaluate many layer4.1-BN variants of one frozen eval-mode network (docs/pdiff.md §7.2)."""

    def __init__(self, model: ResNet18) -> None:
        self.model = model.eval()
        blk = model.layer4[1]
        self.blk = blk
        self.s1, self.t1 = _bn_affine(blk.bn1)
        self.s2, self.t2 = _bn_affine(blk.bn2)
        self.c = 8 * model.cfg.width

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Cache for images x: [B, 2C, H, W] = (normalised conv1 output, block input)."""
        inp = self.model.trunk(x)
        h = self.blk.conv1(inp) * self.s1[:, None, None] + self.t1[:, None, None]
        return torch.cat([h, inp], dim=1)

    @torch.no_grad()
    def logits(self, flat: torch.Tensor, feats: torch.Tensor) -> torch.Tensor:
        """Logits [N, B, classes] of N BN-vectors ``flat`` [N, 4C] on cached features [B, 2C, H, W]."""
        c, n, b = self.c, flat.shape[0], feats.shape[0]
        g1, b1, g2, b2 = (flat[:, i * c:(i + 1) * c, None, None, None].transpose(1, 2)
                          for i in range(4))  # each [N, 1, C, 1, 1]
        h, inp = feats[:, :c], feats[:, c:]
        y = F.relu(h[None] * g1 + b1)                              # [N, B, C, H, W]
        z = self.blk.conv2(y.reshape(n * b, *y.shape[2:])).reshape(y.shape)
        z = (z * self.s2[:, None, None] + self.t2[:, None, None]) * g2 + b2
        out = F.relu(z + inp[None]).mean(dim=(3, 4))               # [N, B, C]
        return out @ self.model.fc.weight.T + self.model.fc.bias


def full_logits(model: ResNet18, flat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The naive way (one full eval-mode forward pass per BN-vector), for tests and benchmarks."""
    keep = model.bn_vector().clone()
    out = []
    with torch.no_grad():
        model.eval()
        for w in flat:
            model.set_bn_vector(w)
            out.append(model(x))
        model.set_bn_vector(keep)
    return torch.stack(out)
