"""Hyper-Representations stages (docs/hyperrep.md): zoo shards → autoencoder → reconstructed
reference sets → KDE samples decoded to weights."""
from __future__ import annotations

import numpy as np
import torch

from weightmem.zoo.cnn import AdamRecipe, train_cnn_zoo
from weightmem.data.images import ImageData
from weightmem.methods.hyperrep import generator as H
from weightmem import shards
from weightmem.io import WeightSet, provenance
from weightmem.nets.cnn import CNNArch

LAYER_SIZES = [208, 1206, 100, 740, 210]  # conv1, conv2, conv3, fc1, fc2 (weights + bias)


def arch_for(data: ImageData, activation: str) -> CNNArch:
    c, h, w = data.x_train.shape[1:]
    if h != w:
        raise ValueError(f"dataset '{data.name}' has non-square {h}×{w} images")
    return CNNArch(c, h, data.n_classes, activation)


def recipe_from(zoo_cfg: dict) -> AdamRecipe:
    e, k = zoo_cfg["epochs"], zoo_cfg["checkpoints_per_run"]
    if k > e:
        raise ValueError(f"hyperrep.zoo.checkpoints_per_run={k} exceeds epochs={e}")
    return AdamRecipe(epochs=e, batch_size=zoo_cfg["batch_size"], lr=zoo_cfg["lr"],
                      weight_decay=zoo_cfg["weight_decay"],
                      checkpoint_epochs=tuple(range(e - k + 1, e + 1)))


def shard_runs(zoo_cfg: dict, shard: int) -> list[int]:
    return shards.shard_indices(zoo_cfg["runs"], zoo_cfg["shards"], shard, "hyperrep.zoo.shards")


def train_zoo_shard(data: ImageData, zoo_cfg: dict, shard: int, seed_offset: int,
                    device: torch.device) -> WeightSet:
    """All runs of one shard, batched. Run r uses seed ``seed_offset + 1000 + r``."""
    arch = arch_for(data, zoo_cfg["activation"])
    runs = shard_runs(zoo_cfg, shard)
    t = torch.from_numpy
    ws = train_cnn_zoo(arch, t(data.x_train), t(data.y_train), t(data.x_test), t(data.y_test),
                       [seed_offset + 1000 + r for r in runs], recipe_from(zoo_cfg), device=device)
    ws.rows["run"] = [runs[i] for i in ws.rows["run"]]  # shard-local → global run index
    ws.provenance = provenance(zoo_cfg, seed_offset, "zoo", shard=shard, dataset=data.name)
    return ws


def merge(parts: list[WeightSet]) -> WeightSet:
    return shards.merge_shards(parts, "epoch")


def permutation_bank(arch: CNNArch, count: int, seed: int) -> torch.Tensor:
    """``count`` random function-preserving permutations as flat gather indices [count, D]."""
    g = torch.Generator().manual_seed(seed)
    if count == 0:
        return torch.empty(0, arch.dim, dtype=torch.long)
    return torch.stack([arch.random_permutation_index(g) for _ in range(count)])


def build_model(zoo_arch: str, cfg: H.HyperRepConfig) -> H.HyperRepAE:
    from weightmem.nets import get as get_arch

    arch = get_arch(zoo_arch)
    return H.HyperRepAE([t for _, t in arch.tokens()], arch.dim, cfg)


def fit(zoo: WeightSet, gen_cfg: dict, seed: int, device: torch.device, log=None):
    from weightmem.nets import get as get_arch

    cfg = H.config_from_dict(gen_cfg)
    arch = get_arch(zoo.arch)
    bank = permutation_bank(arch, cfg.permutations, seed + 11)
    return H.fit(zoo.weights, [t for _, t in arch.tokens()], LAYER_SIZES, bank, cfg, seed,
                 device, log=log)


def reconstruct(model: H.HyperRepAE, zoo: WeightSet) -> WeightSet:
    """The study's "training" reference: decoder(encoder(w)) for every zoo checkpoint (§4)."""
    rec = H.decode(model, H.encode(model, zoo.weights))
    rows = {**zoo.rows, "role": ["reconstruction"] * len(zoo)}
    return WeightSet(rec, zoo.layout, zoo.arch, rows, {**zoo.provenance, "stage": "training"})


def final_epoch(training: WeightSet) -> WeightSet:
    """One checkpoint per run, the last stored epoch (histogram reference, §5)."""
    ep = np.array(training.rows["epoch"])
    idx = np.nonzero(ep == ep.max())[0]
    sub = training.subset(idx.tolist(), stage="training-final")
    sub.rows["source_index"] = idx.tolist()
    return sub


def top(training: WeightSet, fraction: float) -> WeightSet:
    """Checkpoints whose original test accuracy is in the top ``fraction`` (§1.5)."""
    idx = H.top_fraction(np.array(training.rows["test_acc"]), fraction)
    sub = training.subset(idx.tolist(), stage="training-top", top_fraction=fraction)
    sub.rows["source_index"] = idx.tolist()
    return sub


def generate(model: H.HyperRepAE, zoo: WeightSet, sampling: dict, mode: str,
             seed: int) -> WeightSet:
    """KDE on the latents of the top checkpoints, ``n_samples`` draws, decoded (§3). Each row
    records the top latent nearest to its sample (latent L2) for diagnostics."""
    z = H.encode(model, zoo.weights).numpy()
    top_idx = H.top_fraction(np.array(zoo.rows["test_acc"]), sampling["top_fraction"])
    zs = H.kde_sample(z[top_idx], sampling["n_samples"], sampling["bandwidth"], mode, seed)
    w = H.decode(model, torch.from_numpy(zs).float())
    d = torch.cdist(torch.from_numpy(zs), torch.from_numpy(z[top_idx]).double())
    dmin, arg = d.min(dim=1)
    rows = {"sampler": [mode] * len(w), "nearest_latent": top_idx[arg.numpy()].tolist(),
            "latent_distance": dmin.tolist(), "role": ["generated"] * len(w)}
    return WeightSet(w, zoo.layout, zoo.arch, rows,
                     {**zoo.provenance, "stage": "generated", "sampler": mode, "seed": seed,
                      **{k: v for k, v in sampling.items()}})


def load_model(state: dict, meta: dict) -> H.HyperRepAE:
    """Rebuild a fitted autoencoder from :func:`weightmem.io.load_state` output."""
    model = build_model(meta["arch"], H.config_from_dict(meta["generator"]))
    model.load_state_dict(state)
    return model.eval()


def invariance(model: H.HyperRepAE, zoo: WeightSet, x: torch.Tensor, y: torch.Tensor,
               n_models: int, seed: int, scale_range: tuple[float, float] = (0.5, 2.0)):
    """The weight-symmetry experiment (docs/study.md output 9, docs/hyperrep.md §6.2).

    For ``n_models`` random zoo checkpoints w: reconstruct w and a function-preserving transform
    T(w) (a random permutation of every hidden layer's units, or a random positive rescaling
    across each ReLU with factors log-uniform in ``scale_range``) and compare the two
    reconstructions: mean |accuracy difference| (%) and 1 − mean error-IoU similarity. Reference
    row "original": the same two numbers between reconstructions of *different* checkpoints
    (each paired with the next one of a random order). Returns (rows, check) where ``check`` gives
    the largest change of accuracy that T caused on the *original* weights (0 when T preserves
    the function, as it must)."""
    from weightmem.evaluation.behaviour import evaluate_classifiers
    from weightmem.nets import get as get_arch

    arch = get_arch(zoo.arch)
    g = torch.Generator().manual_seed(seed)
    n = min(n_models, len(zoo))
    if n < 2:
        raise ValueError(f"the invariance experiment needs ≥ 2 checkpoints, the zoo has {len(zoo)}")
    w = zoo.weights[torch.randperm(len(zoo), generator=g)[:n]]
    transforms = {
        "permuted": torch.stack([w[i][arch.random_permutation_index(g)] for i in range(n)]),
        "scaled": w * torch.stack([arch.random_scaling_vector(g, *scale_range) for _ in range(n)]),
    }
    ev = lambda v: evaluate_classifiers(arch.forward, v, x, y)
    rec = ev(H.decode(model, H.encode(model, w)))
    raw = ev(w)
    rows, check = [], {}
    other = torch.roll(torch.arange(n), 1)  # a different checkpoint for every one
    rows.append(_pair_row("original", rec, {k: v[other] for k, v in rec.items()}))
    for name, tw in transforms.items():
        check[name] = float((ev(tw)["accuracy"] - raw["accuracy"]).abs().max())
        rows.append(_pair_row(name, rec, ev(H.decode(model, H.encode(model, tw)))))
    return rows, check


def _pair_row(name: str, a: dict, b: dict) -> dict:
    from weightmem.evaluation.behaviour import paired_similarity

    sim = paired_similarity(a["masks"], b["masks"])
    return {"transform": name, "models": len(sim),
            "abs_accuracy_difference": float((a["accuracy"] - b["accuracy"]).abs().mean()),
            "one_minus_similarity": float(1.0 - sim.mean())}
