"""Shared evaluation of classifier weight sets: behaviour on the test set, then per-model tables
against the training set (maximum error-IoU similarity and nearest-neighbour L2; docs/study.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from weightmem.data.images import ImageData
from weightmem.io import WeightSet, load_tensors, save_tensors
from weightmem.evaluation.behaviour import evaluate_classifiers, max_similarity
from weightmem.evaluation.weights import aligned_nearest, nearest
from weightmem.nets import get as get_arch
from weightmem.runtime import progress


def behaviour(ws: WeightSet, data: ImageData, device: torch.device | str = "cpu") -> dict:
    arch = get_arch(ws.arch, ws.layout)
    x = torch.from_numpy(data.x_test)
    x = x.reshape(len(x), -1) if ws.arch.startswith("mlp") else x
    out = evaluate_classifiers(arch.forward, ws.weights, x, torch.from_numpy(data.y_test),
                               device=device, progress=lambda it: progress(it, desc="evaluate"))
    out["diverged"] = out["diverged"] | ~ws.finite_rows()
    return out


def save_behaviour(beh: dict, path) -> None:
    save_tensors({k: beh[k] for k in ("accuracy", "masks", "diverged")}, path)


def load_behaviour(path) -> dict:
    return load_tensors(path, required=("accuracy", "masks", "diverged"))


def distances(targets: WeightSet, reference: WeightSet, kind: str, exclude_self: bool, k: int = 1,
              log=None):
    """(min distances [M, k], indices [M, k], permutations or None) by ``plain``, ``aligned``
    (exact) or ``matched`` (weight matching, an upper bound) L2."""
    if kind == "plain":
        d, i = nearest(targets.weights, reference.weights, k=k, exclude_self=exclude_self)
        return d, i, None
    if kind == "aligned":
        return aligned_nearest(get_arch(targets.arch), targets.weights, reference.weights, k=k,
                               exclude_self=exclude_self,
                               progress=lambda it: progress(it, desc="aligned L2"))
    if kind == "matched":  # permutations: [M][k] lists, one array per hidden group
        from weightmem.evaluation.matching import SHORTLIST, matched_nearest, recognise
        from weightmem.evaluation.weights import ArraySource

        structure, why = recognise(targets.layout)
        if structure is None:
            raise ValueError(f"distance 'matched': no permutation structure in the layout "
                             f"({why}); use plain")
        same = targets is reference
        t = ArraySource(targets.weights)
        d, i, perms, _ = matched_nearest(t, t if same else ArraySource(reference.weights),
                                         structure, k=k, exclude_self=exclude_self,
                                         shortlist=max(SHORTLIST, k))
        return d, i, perms
    raise ValueError(f"unknown distance kind '{kind}' (plain, aligned or matched)")


def reference_distances(ws: WeightSet, reference: WeightSet, is_training: bool):
    """Plain min L2 of every row of ``ws`` to a reference subset of the training set (rows
    ``source_index`` = their training indices). For the training set itself a row is never
    compared with its own copy; ``in_reference`` marks the training rows that are in the subset.
    Returns (min L2 [M], nearest training index [M], in_reference bool [M])."""
    from weightmem.evaluation.weights import pairwise_sq_l2

    src = reference.rows.get("source_index")
    if src is None:
        raise ValueError("the histogram reference set has no 'source_index' rows")
    src_t = torch.as_tensor(src, dtype=torch.long)
    d = pairwise_sq_l2(ws.weights, reference.weights)
    d = torch.where(torch.isfinite(d), d, torch.full_like(d, float("inf")))
    inside = torch.zeros(len(ws), dtype=torch.bool)
    if is_training:
        d[src_t, torch.arange(len(src_t))] = float("inf")
        inside[src_t] = True
    else:
        inside[:] = True
    v, i = d.min(dim=1)
    return v.sqrt().numpy(), src_t[i].numpy(), inside.numpy()


def blank_missing_neighbours(df: pd.DataFrame) -> pd.DataFrame:
    """A model without a finite distance (diverged) has no nearest model: its neighbour columns
    are left empty (nullable integers) instead of naming model 0."""
    pairs = [("nearest_by_l2", ~np.isfinite(df["min_l2"].to_numpy(dtype=float)))]
    if "min_l2_reference" in df:
        pairs.append(("nearest_by_l2_reference",
                      ~np.isfinite(df["min_l2_reference"].to_numpy(dtype=float))))
    if "diverged" in df:
        pairs.append(("nearest_by_similarity", df["diverged"].to_numpy(dtype=bool)))
    for col, missing in pairs:
        if col in df:
            df[col] = pd.array(df[col].to_numpy(), dtype="Int64")
            df.loc[missing, col] = pd.NA
    return df


def table(name: str, ws: WeightSet, beh: dict, train_ws: WeightSet, train_beh: dict,
          distance: str, is_training: bool, reference: WeightSet | None = None) -> pd.DataFrame:
    """One row per model of ``ws``: accuracy, diverged flag, max similarity to training (and
    which), min L2 to training (and which). Self-pairs are excluded for the training set.
    With a ``reference`` subset (hyperrep: one final-epoch model per run) also the plain min L2
    to it (``min_l2_reference``) and whether a training row belongs to it (``in_reference``)."""
    if ws.layout != train_ws.layout:
        raise ValueError(f"set '{name}' has a different layout from the training set")
    sim, sim_idx = max_similarity(beh["masks"], train_beh["masks"], exclude_self=is_training)
    d, d_idx, _ = distances(ws, train_ws, distance, exclude_self=is_training)
    df = pd.DataFrame({
        "set": name,
        "model": np.arange(len(ws)),
        "accuracy": beh["accuracy"].numpy(),
        "diverged": beh["diverged"].numpy(),
        "max_similarity": sim.numpy(),
        "nearest_by_similarity": sim_idx.numpy(),
        "min_l2": d[:, 0].numpy(),
        "nearest_by_l2": d_idx[:, 0].numpy(),
        "distance": distance,
    })
    if reference is not None:
        r_d, r_i, inside = reference_distances(ws, reference, is_training)
        df["min_l2_reference"], df["nearest_by_l2_reference"], df["in_reference"] = r_d, r_i, inside
    blank_missing_neighbours(df)
    for key, col in ws.rows.items():
        if key not in df and all(isinstance(v, (int, float, str, type(None))) for v in col):
            df[key] = col
    return df


# ------------------------------------------------------------------ hooks of the shared rules
def evaluate_behaviour(inputs, output: str, params, ctx) -> None:
    """Accuracy, error masks and divergence flags of one weight set on the test images."""
    from weightmem.data.images import load_npz
    from weightmem.io import load_weightset

    beh = behaviour(load_weightset(inputs.weights), load_npz(inputs.data), ctx.device)
    log_behaviour(beh, ctx)
    save_behaviour(beh, output)


def log_behaviour(beh: dict, ctx) -> None:
    ctx.log.info("accuracy %.2f%% ± %.2f, %d diverged", beh["accuracy"].mean(),
                 beh["accuracy"].std(), int(beh["diverged"].sum()))


def evaluate_table(name: str, inputs, params, ctx) -> pd.DataFrame:
    """Per-model metrics of one set against the training set."""
    from weightmem.io import load_weightset

    ref = load_weightset(inputs.reference) if "reference" in inputs.keys() else None
    df = table(name, load_weightset(inputs.weights), load_behaviour(inputs.behaviour),
               load_weightset(inputs.train_weights), load_behaviour(inputs.train_behaviour),
               params.distance, is_training=(name == "training"), reference=ref)
    ctx.log.info("%s: mean accuracy %.2f, mean max-similarity %.3f, mean min-L2 %.4f", name,
                 df.accuracy.mean(), df.max_similarity.mean(), df.min_l2.mean())
    return df


def draw_model_outputs(method, inputs, params, ctx):
    """Predicted classes on the test-image PCA plane: generated vs nearest training model."""
    from weightmem.data.images import load_npz
    from weightmem.figures import classifier as figures
    from weightmem.io import load_weightset

    fig, agree = figures.decision_boundary(
        load_weightset(inputs.generated), load_weightset(inputs.training),
        pd.read_csv(inputs.table), load_npz(inputs.data),
        f"{method.name}: generated vs nearest training {method.noun}",
        res=params.figures["grid_resolution"])
    ctx.log.info("grid agreement generated vs nearest training: %s",
                 [round(float(a), 3) for a in agree])
    return fig
