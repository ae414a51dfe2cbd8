"""Hyper-Representations (docs/hyperrep.md §2-3): a transformer autoencoder over neuron tokens, trained
with a layer-wise-normalised reconstruction loss plus NT-Xent on two augmented views; new weights
come from a per-dimension KDE over the latents of the best 30% of training checkpoints.

The architecture follows the method's ``AE_attn`` (pre-norm "pol" blocks with its own Norm,
per-layer token embedders and debedders, learned position embeddings, a linear bottleneck over
the flattened token sequence) at a width the CPU can train in a minute (config).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from weightmem.runtime import progress
from weightmem.settings import from_dict


@dataclass
class HyperRepConfig:
    """Settings of the section of the same name in config/schema.yaml, which holds every default."""
    d_model: int  # paper: not stated (≈768 inferred)
    heads: int
    blocks: int  # per encoder and per decoder
    ff: int  # feed-forward width
    latent: int
    dropout: float
    proj_hidden: int  # projection head (NeurIPS-2021 config: 400 / 50, 4 layers)
    proj_out: int
    proj_layers: int
    gamma: float  # weight of the contrastive term
    temperature: float
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    permutations: int  # pre-computed function-preserving permutations (0 = off)
    noise: float  # additive input noise σ
    erase_p: float  # random erasing: probability, block-length fraction range, value
    erase_scale: tuple[float, float]
    erase_value: float


def config_from_dict(d: dict) -> HyperRepConfig:
    d = dict(d)
    if "erase_scale" in d:
        d["erase_scale"] = tuple(d["erase_scale"])
    return from_dict(HyperRepConfig, d, "hyperrep generator")


def config_to_dict(cfg: HyperRepConfig) -> dict:
    d = asdict(cfg)
    d["erase_scale"] = list(d["erase_scale"])
    return d


# ------------------------------------------------------------------------------ model
class Norm(nn.Module):
    """The method's Norm: α·(x − mean)/(std + 1e-6) + β with the unbiased std."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.alpha, self.beta = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.alpha * (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-6) \
            + self.beta


class Block(nn.Module):
    """Pre-norm self-attention + ReLU feed-forward, residuals with dropout; no mask."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float) -> None:
        super().__init__()
        if d % heads:
            raise ValueError(f"d_model {d} is not divisible by heads {heads}")
        self.h, self.p = heads, dropout
        self.n1, self.n2 = Norm(d), Norm(d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(ff, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        y = self.n1(x)
        split = lambda t: t.view(b, n, self.h, d // self.h).transpose(1, 2)
        a = F.scaled_dot_product_attention(split(self.q(y)), split(self.k(y)), split(self.v(y)),
                                           dropout_p=self.p if self.training else 0.0)
        x = x + self.drop(self.o(a.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop(self.ff(self.n2(x)))


class HyperRepAE(nn.Module):
    """Neuron tokens → encoder → latent z → decoder → neuron tokens → flat weights.

    ``tokens``: per target layer, an index matrix [units, values] into the flat vector (from
    :meth:`weightmem.nets.cnn.CNNArch.tokens`); together they cover every position exactly once.
    """

    def __init__(self, tokens: list[torch.Tensor], dim: int, cfg: HyperRepConfig) -> None:
        super().__init__()
        self.cfg, self.dim = cfg, dim
        for i, t in enumerate(tokens):
            self.register_buffer(f"tok{i}", t.clone(), persistent=False)
        self.n_layers = len(tokens)
        n_tok = sum(t.shape[0] for t in tokens)
        d, L = cfg.d_model, cfg.latent
        self.embed = nn.ModuleList(nn.Linear(t.shape[1], d) for t in tokens)
        self.debed = nn.ModuleList(nn.Linear(d, t.shape[1]) for t in tokens)
        self.pos_enc, self.pos_dec = nn.Embedding(n_tok, d), nn.Embedding(n_tok, d)
        self.enc = nn.ModuleList(Block(d, cfg.heads, cfg.ff, cfg.dropout) for _ in range(cfg.blocks))
        self.dec = nn.ModuleList(Block(d, cfg.heads, cfg.ff, cfg.dropout) for _ in range(cfg.blocks))
        self.to_latent = nn.Linear(n_tok * d, L)
        self.from_latent = nn.Linear(L, n_tok * d)
        self.n_tok = n_tok
        index = torch.cat([t.reshape(-1) for t in tokens])
        if not torch.equal(index.sort().values, torch.arange(dim)):
            raise ValueError("tokens must cover every weight position exactly once")
        self.register_buffer("order", index, persistent=False)
        # per-position σ of the weight's layer (set from the training set by ``fit``): tokens are
        # embedded as w/σ and decoded as σ·out — a fixed reparametrisation (= rescaled
        # initialisation of embedders/debedders) so every layer starts at unit scale
        self.register_buffer("sigma", torch.ones(dim))

    def token_index(self, i: int) -> torch.Tensor:
        return getattr(self, f"tok{i}")

    def encode(self, w: torch.Tensor) -> torch.Tensor:
        w = w / self.sigma
        x = torch.cat([emb(w[:, self.token_index(i)]) for i, emb in enumerate(self.embed)], dim=1)
        x = x + self.pos_enc.weight
        for blk in self.enc:
            x = blk(x)
        return self.to_latent(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        x = self.from_latent(z).view(len(z), self.n_tok, self.cfg.d_model) + self.pos_dec.weight
        for blk in self.dec:
            x = blk(x)
        parts, s = [], 0
        for i, deb in enumerate(self.debed):
            n = self.token_index(i).shape[0]
            parts.append(deb(x[:, s:s + n]).flatten(1))
            s += n
        flat = torch.cat(parts, dim=1)  # in token order
        out = torch.empty_like(flat)
        out[:, self.order] = flat
        return out * self.sigma

    def forward(self, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encode(w)
        return z, self.decode(z)


class ProjectionHead(nn.Module):
    """[Linear + ReLU] × layers, Linear, BatchNorm (docs/hyperrep.md §2.3); Kaiming-normal, bias 0.01."""

    def __init__(self, latent: int, hidden: int, out: int, layers: int) -> None:
        super().__init__()
        mods, d = [], latent
        for _ in range(layers):
            mods += [nn.Linear(d, hidden), nn.ReLU()]
            d = hidden
        mods += [nn.Linear(d, out), nn.BatchNorm1d(out)]
        self.net = nn.Sequential(*mods)
        for m in self.net:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight)
                nn.init.constant_(m.bias, 0.01)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def count_parameters(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


# ------------------------------------------------------------------------------ losses
def layer_scales(train: torch.Tensor, layer_sizes: list[int], floor: float = 1e-4) -> torch.Tensor:
    """Per-position 1/σ_l, σ_l = std of layer l's values over the whole training set (LWLN)."""
    parts = []
    for chunk in torch.split(train, layer_sizes, dim=1):
        sigma = max(float(chunk.std()), floor)
        parts.append(torch.full((chunk.shape[1],), 1.0 / sigma))
    return torch.cat(parts)


def reconstruction_loss(y: torch.Tensor, target: torch.Tensor, inv_sigma: torch.Tensor) -> torch.Tensor:
    """Σ_l Σ_slice ((y − t)/σ_l)² / (n · D) ("global_mean" layer-wise loss normalisation)."""
    return (((y - target) * inv_sigma) ** 2).sum() / (y.shape[0] * y.shape[1])


def nt_xent(p: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR loss for p = [2B, o] (rows b and b+B are the two views of one item); summed
    cross-entropy over the 2B anchors divided by 2B."""
    n = p.shape[0] // 2
    q = F.normalize(p, dim=1)
    sim = q @ q.T / temperature
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(p.device)
    return F.cross_entropy(sim, target, reduction="sum") / (2 * n)


# ------------------------------------------------------------------------------ augmentation
class Augment:
    """Two views per item: a random pre-computed function-preserving permutation, additive
    noise, random block erasing (docs/hyperrep.md §2.4)."""

    def __init__(self, perm_index: torch.Tensor, cfg: HyperRepConfig, generator: torch.Generator):
        self.perm, self.cfg, self.g = perm_index, cfg, generator

    def view(self, w: torch.Tensor) -> torch.Tensor:
        n, D = w.shape
        c, g = self.cfg, self.g
        if len(self.perm):
            pick = torch.randint(len(self.perm), (n,), generator=g)
            out = torch.gather(w, 1, self.perm[pick].to(w.device))
        else:  # permutation augmentation switched off (permutations: 0)
            out = w
        if c.noise > 0:
            out = out + c.noise * torch.randn(out.shape, generator=g).to(w.device)
        if c.erase_p > 0:
            lo, hi = c.erase_scale
            erase = torch.rand(n, generator=g) < c.erase_p
            length = ((lo + (hi - lo) * torch.rand(n, generator=g)) * D).long().clamp(1, D)
            start = (torch.rand(n, generator=g) * (D - length + 1)).long()
            pos = torch.arange(D)[None]
            mask = erase[:, None] & (pos >= start[:, None]) & (pos < (start + length)[:, None])
            out = torch.where(mask.to(w.device), torch.full_like(out, c.erase_value), out)
        return out


# ------------------------------------------------------------------------------ training
def fit(train: torch.Tensor, tokens: list[torch.Tensor], layer_sizes: list[int],
        perm_index: torch.Tensor, cfg: HyperRepConfig, seed: int,
        device: torch.device | str = "cpu", log=None):
    """Train the autoencoder (+ projection head) on training vectors [N, D]. Returns
    (model, head, rows of the training curve)."""
    device = torch.device(device)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = HyperRepAE(tokens, train.shape[1], cfg).to(device)
    head = ProjectionHead(cfg.latent, cfg.proj_hidden, cfg.proj_out, cfg.proj_layers).to(device)
    inv_sigma = layer_scales(train, layer_sizes).to(device)
    model.sigma.copy_(1.0 / inv_sigma)
    aug = Augment(perm_index, cfg, g)
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    W = train.to(device)
    n, B = len(W), min(cfg.batch_size, len(W))
    if n < 2:
        raise ValueError("the autoencoder needs at least 2 training vectors")
    rows = []
    if log:
        log.info("autoencoder %d parameters (+ head %d) on %d vectors", count_parameters(model),
                 count_parameters(head), n)
    for epoch in progress(range(1, cfg.epochs + 1), desc="hyperrep AE"):
        model.train()
        head.train()
        order = torch.randperm(n, generator=g)
        tot = {"loss": 0.0, "rec": 0.0, "contrast": 0.0}
        steps = 0
        for s in range(0, n - B + 1, B):  # drop_last
            x = W[order[s:s + B].to(device)]
            xi, xj = aug.view(x), aug.view(x)
            xx = torch.cat([xi, xj])
            z, y = model(xx)
            rec = reconstruction_loss(y, xx, inv_sigma)
            con = nt_xent(head(z), cfg.temperature)
            loss = cfg.gamma * con + (1 - cfg.gamma) * rec
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot["loss"] += float(loss.detach())
            tot["rec"] += float(rec.detach())
            tot["contrast"] += float(con.detach())
            steps += 1
        row = {"epoch": epoch, **{k: v / steps for k, v in tot.items()}}
        rows.append(row)
        if log and (epoch % max(1, cfg.epochs // 10) == 0 or epoch == 1):
            log.info("epoch %d: loss %.4f (reconstruction %.4f, contrastive %.4f)", epoch,
                     row["loss"], row["rec"], row["contrast"])
    model.eval()
    head.eval()
    return model, head, rows


@torch.no_grad()
def encode(model: HyperRepAE, w: torch.Tensor, batch: int = 256) -> torch.Tensor:
    model.eval()
    dev = next(model.parameters()).device
    return torch.cat([model.encode(w[s:s + batch].to(dev)).cpu() for s in range(0, len(w), batch)])


@torch.no_grad()
def decode(model: HyperRepAE, z: torch.Tensor, batch: int = 256) -> torch.Tensor:
    model.eval()
    dev = next(model.parameters()).device
    return torch.cat([model.decode(z[s:s + batch].to(dev)).cpu() for s in range(0, len(z), batch)])


# ------------------------------------------------------------------------------ sampling
def top_fraction(acc: np.ndarray, fraction: float = 0.3) -> np.ndarray:
    """Indices with accuracy ≥ the (1 − fraction)-quantile (linear interpolation; §1.5)."""
    thr = np.quantile(np.asarray(acc, dtype=np.float64), 1.0 - fraction)
    return np.nonzero(np.asarray(acc) >= thr)[0]


def kde_sample(z: np.ndarray, n: int, bandwidth: float, mode: str, seed: int) -> np.ndarray:
    """Per-latent-dimension Gaussian KDE (scikit-learn ``KernelDensity``), ``n`` draws [n, L].

    ``study``: every dimension sampled with the same ``random_state`` (docs/hyperrep.md §3). The
    sampler draws the data indices first and the normals second from one RandomState, so every
    dimension picks the same training latent and the same normal: each sample is one training
    latent plus bandwidth·ε added to all coordinates.
    ``independent``: each dimension its own random stream (a proper product-of-marginals sampler).
    """
    from sklearn.neighbors import KernelDensity

    z = np.asarray(z, dtype=np.float64)
    if mode == "study":
        states = [seed] * z.shape[1]
    elif mode == "independent":
        states = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(z.shape[1])]
    else:
        raise ValueError(f"unknown KDE sampler '{mode}' (study or independent)")
    out = np.empty((n, z.shape[1]))
    for d in range(z.shape[1]):
        kde = KernelDensity(kernel="gaussian", bandwidth=bandwidth).fit(z[:, d:d + 1])
        out[:, d] = kde.sample(n, random_state=states[d])[:, 0]
    return out
