"""G.pt stages: zoo shards → training set → generator → one-step-prompted samples (docs/gpt.md)."""
from __future__ import annotations

import numpy as np
import torch

from weightmem.data.images import ImageData
from weightmem.methods.gpt import generator as G
from weightmem import shards
from weightmem.io import WeightSet, provenance
from weightmem.evaluation.behaviour import evaluate_classifiers
from weightmem.nets.mlp import MLPArch
from weightmem.zoo.mlp import SGDRecipe, train_mlp_zoo


def arch_for(data: ImageData, hidden: int) -> MLPArch:
    return MLPArch(data.n_features, hidden, data.n_classes)


def recipe_from(zoo_cfg: dict) -> SGDRecipe:
    return SGDRecipe(epochs=zoo_cfg["epochs"], batch_size=zoo_cfg["batch_size"],
                     lr=zoo_cfg["lr"], momentum=zoo_cfg["momentum"],
                     weight_decay=zoo_cfg["weight_decay"],
                     checkpoints_per_run=zoo_cfg["checkpoints_per_run"])


def shard_runs(zoo_cfg: dict, shard: int) -> list[int]:
    """Run indices of one shard; run index = seed (docs/gpt.md §1.3). The last ``runs_heldout`` runs
    are the held-out split (§1.5)."""
    return shards.shard_indices(zoo_cfg["runs_train"] + zoo_cfg["runs_heldout"], zoo_cfg["shards"],
                             shard, "gpt.zoo.shards")


def train_zoo_shard(data: ImageData, zoo_cfg: dict, shard: int, seed_offset: int,
                    device: torch.device) -> WeightSet:
    arch = arch_for(data, zoo_cfg["hidden"])
    runs = shard_runs(zoo_cfg, shard)
    t = lambda a: torch.from_numpy(a)
    ws = train_mlp_zoo(arch, t(data.x_train), t(data.y_train), t(data.x_test), t(data.y_test),
                       [seed_offset + r for r in runs], recipe_from(zoo_cfg), device=device)
    ws.rows["run"] = [runs[i] for i in ws.rows["run"]]  # shard-local → global run index
    ws.rows["split"] = ["heldout" if r >= zoo_cfg["runs_train"] else "train" for r in ws.rows["run"]]
    ws.provenance = provenance(zoo_cfg, seed_offset, "zoo", shard=shard, dataset=data.name)
    return ws


def merge(parts: list[WeightSet]) -> WeightSet:
    return shards.merge_shards(parts, "step")


def runs_tensor(zoo: WeightSet, split: str) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
    """Checkpoints of one split as [R, K, D] (chronological per run), test losses [R, K], run ids."""
    run = np.array(zoo.rows["run"])
    sel = np.array(zoo.rows["split"]) == split
    runs = sorted(set(run[sel].tolist()))
    if not runs:
        raise ValueError(f"the zoo has no '{split}' runs")
    idx = np.concatenate([np.nonzero(run == r)[0] for r in runs])
    K = len(idx) // len(runs)
    if K * len(runs) != len(idx):
        raise ValueError("runs in the zoo have different numbers of checkpoints")
    W = zoo.weights[torch.from_numpy(idx)].reshape(len(runs), K, -1)
    L = torch.tensor(np.array(zoo.rows["test_loss"])[idx], dtype=torch.float32).reshape(len(runs), K)
    return W, L, runs


def training_set(zoo: WeightSet, target_std: float) -> WeightSet:
    """The study's "training" set: the final checkpoint of every training run; carries the
    ×(0.538/std) normalisation factor of the training split in its provenance (docs/gpt.md §1.6)."""
    W, _, runs = runs_tensor(zoo, "train")
    flat = W.reshape(-1, W.shape[-1])
    flat = flat[torch.isfinite(flat).all(1)]  # diverged runs are kept (flagged), not measured
    if not len(flat):
        raise ValueError("every training run of the zoo diverged (NaN/inf weights): lower "
                         "gpt.zoo.lr")
    scale = G.normalisation_scale(flat, target_std)
    return WeightSet(W[:, -1].clone(), zoo.layout, zoo.arch,
                     {"run": runs, "step": [int(max(zoo.rows["step"]))] * len(runs),
                      "role": ["training"] * len(runs)},
                     {**zoo.provenance, "stage": "training", "normalisation_scale": scale})


def heldout_set(zoo: WeightSet) -> WeightSet:
    """The final checkpoints of the held-out runs (whose inits prompt the generator, and which
    it never saw): the held-out set H of the Z_U copying test (weightmem.evaluation.copying)."""
    W, _, runs = runs_tensor(zoo, "heldout")
    return WeightSet(W[:, -1].clone(), zoo.layout, zoo.arch,
                     {"run": runs, "step": [int(max(zoo.rows["step"]))] * len(runs),
                      "role": ["heldout"] * len(runs)},
                     {**zoo.provenance, "stage": "heldout"})


def fit(zoo: WeightSet, scale: float, gen_cfg: dict, seed: int, device: torch.device, log=None):
    cfg = G.config_from_dict(gen_cfg)
    W, L, _ = runs_tensor(zoo, "train")
    from weightmem.nets import get as get_arch

    model, rows = G.fit(get_arch(zoo.arch), W * scale, L, cfg, seed, device, log=log)
    return model, rows


def heldout_inits(zoo: WeightSet, count: int) -> tuple[torch.Tensor, list[int]]:
    W, _, runs = runs_tensor(zoo, "heldout")
    if count > len(runs):
        raise ValueError(f"sampling asks for {count} held-out inits but the zoo has {len(runs)} "
                         f"held-out runs")
    return W[:count, 0], runs[:count]


def generate(model, zoo: WeightSet, data: ImageData, scale: float, n: int, target_loss: float,
             sample_steps: int | None, seed: int, device: torch.device) -> WeightSet:
    """One-step prompting from the first ``n`` held-out random inits (docs/gpt.md §3)."""
    from weightmem.nets import get as get_arch

    arch = get_arch(zoo.arch)
    inits, runs = heldout_inits(zoo, n)
    ev = evaluate_classifiers(arch.forward, inits, torch.from_numpy(data.x_test).reshape(
        len(data.x_test), -1), torch.from_numpy(data.y_test))
    loss_prev = _test_loss(arch, inits, data)  # computed, not read from metadata
    out = G.sample(model, inits * scale, loss_prev, target_loss, sample_steps, seed, device)
    gen = out.cpu() / scale
    return WeightSet(gen, zoo.layout, zoo.arch,
                     {"prompt_run": runs, "prompt_loss": loss_prev.tolist(),
                      "prompt_accuracy": ev["accuracy"].tolist(), "role": ["generated"] * n},
                     {**zoo.provenance, "stage": "generated", "seed": seed,
                      "target_loss": target_loss, "sample_steps": sample_steps})


def _test_loss(arch: MLPArch, w: torch.Tensor, data: ImageData) -> torch.Tensor:
    x = torch.from_numpy(data.x_test).reshape(len(data.x_test), -1)
    y = torch.from_numpy(data.y_test)
    with torch.no_grad():
        z = arch.forward(w, x)
        return torch.nn.functional.cross_entropy(z.transpose(1, 2), y.expand(len(w), -1),
                                                 reduction="none").mean(1)
