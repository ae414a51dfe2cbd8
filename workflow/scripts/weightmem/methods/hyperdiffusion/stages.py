"""HyperDiffusion stages: shapes → split → occupancy → shared-init fields → generator → samples →
meshes/point clouds → Chamfer tables (docs/hyperdiffusion.md). Each function is one rule's work."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from weightmem.zoo import field as Fd
from weightmem.data import shapes as S
from weightmem.methods.hyperdiffusion import generator as G
from weightmem.io import WeightSet, provenance
from weightmem.evaluation import shapes as M
from weightmem.nets.field import FieldArch
from weightmem.runtime import progress
from weightmem.shards import shard_indices


def arch_of(field_cfg: dict) -> FieldArch:
    return FieldArch(field_cfg["multires"], field_cfg["hidden"], field_cfg["layers"])


# ---------------------------------------------------------------------- shapes and split
def split_table(mesh_dir: str | Path, shapes_cfg: dict, seed: int) -> pd.DataFrame:
    """One row per mesh file (sorted by name): name, path, split. Released split lists are reused
    when ``split_dir`` is given, otherwise a seeded split with the configured fractions."""
    if not Path(mesh_dir).is_dir():
        raise S.ShapeError(f"{mesh_dir}: mesh directory does not exist (ShapeNet cannot be "
                           f"downloaded automatically: see the README, section HyperDiffusion)")
    files = S.list_meshes(mesh_dir)
    names = [p.name for p in files]
    if shapes_cfg.get("split_dir"):
        split = S.read_split_lists(shapes_cfg["split_dir"], names)
    else:
        split = S.make_split(names, shapes_cfg["val_fraction"], shapes_cfg["test_fraction"], seed)
    return pd.DataFrame({"name": names, "path": [str(p) for p in files],
                         "split": [split[n] for n in names]})


def train_shapes(split: pd.DataFrame) -> pd.DataFrame:
    return split[split["split"] == "train"].reset_index(drop=True)


def occupancy_shard(split: pd.DataFrame, occ_cfg: dict, shard: int, seed: int,
                    cache_dir: str | Path, device="cpu") -> dict[str, torch.Tensor]:
    """Supervision points of the training shapes of one shard: samples [n, P, 4], shape index [n]."""
    tr = train_shapes(split)
    rows = shard_indices(len(tr), occ_cfg["shards"], shard, "occupancy.shards")
    out = []
    for i in progress(rows, desc="occupancy"):
        out.append(S.cached_occupancy(Path(tr.path[i]), Path(cache_dir), occ_cfg["near_points"],
                                      occ_cfg["uniform_points"], occ_cfg["sigma"], seed + i, device))
    return {"samples": torch.from_numpy(np.stack(out)), "index": torch.tensor(rows)}


# ---------------------------------------------------------------------- fields
def _field_set(arch: FieldArch, w: torch.Tensor, names: list[str], info: dict, cfg: dict,
               seed: int, stage: str) -> WeightSet:
    return WeightSet(w, arch.layout, arch.tag,
                     {"shape": names, "final_loss": info["final_loss"].tolist(),
                      "accuracy": info["accuracy"].tolist(), "epochs": info["epochs"].tolist(),
                      "failed": info["failed"].tolist()},
                     provenance(cfg, seed, stage))


def fit_init(split: pd.DataFrame, occ0: dict, field_cfg: dict, seed: int, device, log=None):
    """The shared initialisation: the first training shape (sorted name order) fitted from
    PyTorch's default init (the study's "first_weights" strategy, §1.5)."""
    arch = arch_of(field_cfg)
    if int(occ0["index"][0]) != 0:
        raise ValueError("occupancy shard 0 does not start with the first training shape")
    recipe = Fd.recipe_from({k: v for k, v in field_cfg.items()
                             if k in Fd.FieldRecipe.__dataclass_fields__})
    recipe.max_epochs = field_cfg["init_epochs"]
    w, info = Fd.fit_fields(arch, occ0["samples"][:1], Fd.default_init(arch, seed), recipe, seed,
                            device, log=log, desc="shared init")
    name = train_shapes(split).name[0]
    return _field_set(arch, w, [name], info, field_cfg, seed, "field-init")


def fit_shard(split: pd.DataFrame, occ: dict, init: WeightSet, field_cfg: dict, seed: int, device,
              log=None) -> WeightSet:
    arch = arch_of(field_cfg)
    recipe = Fd.recipe_from({k: v for k, v in field_cfg.items()
                             if k in Fd.FieldRecipe.__dataclass_fields__})
    w, info = Fd.fit_fields(arch, occ["samples"], init.weights[0], recipe, seed, device, log=log)
    names = train_shapes(split).name[occ["index"].numpy()].tolist()
    ws = _field_set(arch, w, names, info, field_cfg, seed, "fields")
    ws.extra["curve"] = info["curve"].T.contiguous()  # [n, epochs]
    return ws


def training_set(shards: list[WeightSet], log=None) -> WeightSet:
    """All fitted training fields in sorted shape order, minus failed fits (the study's blacklist
    plays this role; which fields are dropped is logged and kept in provenance)."""
    ws = WeightSet.concat([WeightSet(s.weights, s.layout, s.arch, s.rows, s.provenance)
                           for s in shards], stage="training")
    order = np.argsort(ws.rows["shape"], kind="stable")
    ws = ws.subset(order.tolist())
    failed = np.array(ws.rows["failed"], dtype=bool) | ~ws.finite_rows().numpy()
    dropped = [ws.rows["shape"][i] for i in np.nonzero(failed)[0]]
    if log:
        log.info("%d fields, %d failed to fit and are left out: %s", len(ws), len(dropped), dropped[:20])
    if failed.all():
        raise ValueError("every field failed to fit; check the field settings")
    return ws.subset(np.nonzero(~failed)[0].tolist(), stage="training", failed_fits=dropped)


# ---------------------------------------------------------------------- generator
def fit_generator(training: WeightSet, gen_cfg: dict, seed: int, device, log=None):
    cfg = G.config_from_dict(gen_cfg)
    return G.fit(training.weights, training.layout, cfg, seed, device, log=log)


def permutation_augmented(training: WeightSet, copies: int, seed: int) -> WeightSet:
    """The training fields plus ``copies`` randomly permuted copies of every one (study output
    10, docs/hyperdiffusion.md §6.2): each copy draws an independent random permutation of the
    neurons of every hidden layer (function-preserving, FieldArch.permute_hidden); the input
    features and the output neuron stay. Rows: originals first, then copy 1 of every field, …;
    ``source_index`` and ``permutation`` (0 = original) say which field and which copy."""
    if copies < 0:
        raise ValueError(f"permutation copies must be ≥ 0, got {copies}")
    from weightmem.nets.field import from_tag

    arch = from_tag(training.arch)
    n = len(training)
    g = torch.Generator().manual_seed(seed)
    parts = [training.weights]
    for _ in range(copies):
        perms = [torch.stack([torch.randperm(arch.hidden, generator=g) for _ in range(n)])
                 for _ in range(arch.layers)]
        parts.append(arch.permute_hidden(training.weights, perms))
    rows = {"source_index": [i for _ in range(copies + 1) for i in range(n)],
            "permutation": [c for c in range(copies + 1) for _ in range(n)]}
    return WeightSet(torch.cat(parts), training.layout, training.arch, rows,
                     {**training.provenance, "stage": "training-permuted",
                      "permutation_copies": copies, "permutation_seed": seed})


def generate(model: G.HDDenoiser, training: WeightSet, sampling: dict, seed: int, device) -> WeightSet:
    w = G.sample(model, sampling["n_samples"], sampling.get("sample_steps"), seed, device,
                 sampling["batch_size"])
    n = len(w)
    return WeightSet(w, training.layout, training.arch, {"role": ["generated"] * n},
                     {**training.provenance, "stage": "generated", "seed": seed,
                      "sample_steps": sampling.get("sample_steps")})


# ---------------------------------------------------------------------- clouds and tables
def permutation_table(settings: dict[str, int], summaries: dict[str, dict]) -> pd.DataFrame:
    """Study output 10: one row per permutation-augmentation setting (variant → permuted copies)
    from its weight set's summary row (MMD / coverage to the training shapes, empty meshes,
    mean min L2 to the training weights; rule hd_set_summary), in increasing copies."""
    rows = []
    for variant, k in sorted(settings.items(), key=lambda kv: kv[1]):
        s = summaries[variant]
        rows.append({"permutations": k, "data_multiplier": k + 1, "variant": variant,
                     "set": s["set"], "samples": int(s["n"]), "empty": int(s["empty"]),
                     "empty_rate": s["empty"] / s["n"] if s["n"] else float("nan"),
                     "mmd": s["mmd_train"], "coverage": s["cov_train"],
                     "mean_min_l2": s["mean_min_l2"],
                     "mean_min_cd_train": s["mean_min_cd_train"],
                     "mean_min_cd_test": s["mean_min_cd_test"]})
    return pd.DataFrame(rows)


def reference_clouds(split: pd.DataFrame, names: list[str], n_points: int, seed: int) -> dict:
    """Ground-truth clouds (normalised) of the named shapes, in the given order."""
    path = dict(zip(split.name, split.path))
    missing = [n for n in names if n not in path]
    if missing:
        raise ValueError(f"shapes {missing[:5]} are not in the split table")
    clouds = np.stack([S.exterior_surface_samples(S.load_mesh(path[n]), n_points, seed + k)
                       for k, n in enumerate(progress(names, desc="reference clouds"))])
    return {"clouds": torch.from_numpy(M.normalise_clouds(clouds))}
