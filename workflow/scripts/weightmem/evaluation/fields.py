"""Evaluation of neural-field weight sets (HyperDiffusion's kind, docs/hyperdiffusion.md §5): every
field → marching-cubes mesh → point cloud ("behaviour"), then per-model Chamfer tables against the
training and test shapes, MMD / coverage summaries, and the rendered-shapes panel."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from weightmem.evaluation import shapes as M
from weightmem.evaluation.weights import nearest
from weightmem.io import WeightSet, load_tensors, load_weightset, save_tensors
from weightmem.nets.field import FieldArch
from weightmem.runtime import progress


def set_clouds(ws: WeightSet, eval_cfg: dict, seed: int, device) -> dict:
    clouds, info = M.field_clouds(arch_of_tag(ws.arch), ws.weights, eval_cfg["resolution"],
                                  eval_cfg["points"], seed, eval_cfg["level"], device=device,
                                  progress=lambda it: progress(it, desc="meshes"))
    return {"clouds": torch.from_numpy(clouds), "empty": torch.from_numpy(info["empty"]),
            "faces": torch.from_numpy(info["faces"])}


def arch_of_tag(tag: str) -> FieldArch:
    from weightmem.nets.field import from_tag

    return from_tag(tag)


def table(name: str, ws: WeightSet, clouds: dict, train_ws: WeightSet, train_ref: torch.Tensor,
          test_ref: torch.Tensor, is_training: bool) -> pd.DataFrame:
    """One row per model: empty flag, min CD to training shapes (novelty, self excluded for the
    training set) and to test shapes (quality), nearest by CD, min L2 to training weights."""
    c = clouds["clouds"].numpy()
    cd_tr = M.chamfer_matrix(c, train_ref.numpy(), exclude_self=is_training,
                             progress=lambda it: progress(it, desc="CD train"))
    cd_te = M.chamfer_matrix(c, test_ref.numpy(), progress=lambda it: progress(it, desc="CD test"))
    d_tr, i_tr = M.nearest_chamfer(cd_tr)
    d_te, i_te = M.nearest_chamfer(cd_te)
    l2, l2_idx = nearest(ws.weights, train_ws.weights, exclude_self=is_training)
    return pd.DataFrame({
        "set": name, "model": np.arange(len(ws)),
        "empty": clouds["empty"].numpy() if "empty" in clouds else np.zeros(len(ws), bool),
        "min_cd_train": d_tr, "nearest_by_cd": i_tr, "min_cd_test": d_te, "nearest_test": i_te,
        "min_l2": l2[:, 0].numpy(), "nearest_by_l2": l2_idx[:, 0].numpy(),
    })


def summary_row(name: str, ws: WeightSet, clouds: dict, train_ref: torch.Tensor, tab: pd.DataFrame):
    """MMD of a set's clouds to the training shapes (the modeling-factor table's quality column),
    coverage, empties and mean min-L2 (its novelty column)."""
    cd = M.chamfer_matrix(clouds["clouds"].numpy(), train_ref.numpy())
    return {"set": name, "n": len(ws), "empty": int(clouds["empty"].sum()),
            "mmd_train": M.mmd(cd), "cov_train": M.coverage(cd),
            "mean_min_l2": float(np.nanmean(tab["min_l2"])),
            "mean_min_cd_train": float(np.nanmean(np.where(np.isfinite(tab.min_cd_train),
                                                           tab.min_cd_train, np.nan))),
            "mean_min_cd_test": float(np.nanmean(np.where(np.isfinite(tab.min_cd_test),
                                                          tab.min_cd_test, np.nan)))}


def save_clouds(d: dict, path) -> None:
    save_tensors(d, path)


def load_clouds(path) -> dict:
    return load_tensors(path, required=("clouds",))


# ------------------------------------------------------------------ hooks of the shared rules
def evaluate_behaviour(inputs, output: str, params, ctx) -> None:
    """Mesh every field of a weight set and sample its point cloud."""
    ws = load_weightset(inputs.weights)
    out = set_clouds(ws, params.evaluation, ctx.seed, ctx.device)
    ctx.log.info("%d fields, %d empty meshes, median %d faces", len(ws), int(out["empty"].sum()),
                 int(out["faces"].median()))
    save_clouds(out, output)


def evaluate_table(name: str, inputs, params, ctx) -> pd.DataFrame:
    """Per field: min Chamfer distance to training / test shapes, min L2 to training weights.
    The training set is scored by its ground-truth shapes' clouds (self excluded)."""
    train_ref = load_clouds(inputs.train_ref)["clouds"]
    clouds = {"clouds": train_ref} if name == "training" else load_clouds(inputs.behaviour)
    df = table(name, load_weightset(inputs.weights), clouds, load_weightset(inputs.train_weights),
               train_ref, load_clouds(inputs.test_ref)["clouds"], is_training=name == "training")
    ctx.log.info("%s: %d models, %d empty, median min-CD train %.4f test %.4f, median min-L2 "
                 "%.3f", name, len(df), int(df["empty"].sum()), df.min_cd_train.median(),
                 df.min_cd_test.median(), df.min_l2.median())
    return df


def draw_model_outputs(method, inputs, params, ctx):
    """Rendered meshes of generated fields beside their nearest training field."""
    from weightmem.figures.shapes import render_shapes

    return render_shapes(load_weightset(inputs.generated), load_weightset(inputs.training),
                         pd.read_csv(inputs.table), params.figures["render_resolution"],
                         params.evaluation["level"],
                         f"{method.name}: generated (left) vs nearest training {method.noun}")
