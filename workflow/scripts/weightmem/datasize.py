"""The data-size experiment: does training G.pt on more runs make it copy less?

The revised study reports that G.pt's memorization decreases as the number of training runs
grows. Here G.pt is trained on nested subsets of the zoo's training runs (e.g. ¼, ½ and all of
them) with everything else fixed — generator settings and steps, seed, the prompts (the first
held-out random inits) — and each size's generated models are measured against *its own*
training set T (the final checkpoints of the runs it saw):

* min L2 (permutation-aligned for G.pt's MLPs) of every generated model to T, of every held-out
  model (final checkpoints of runs no size saw: the same H for all sizes) to T, and of T's models
  to each other (self excluded);
* the min-L2 ratio, median generated→T over median held-out→T (< 1: generated models sit closer
  to T than new models of the same recipe do);
* the Z_U data-copying test and its verdict (weightmem.evaluation.copying) with H as held-out set;
* the mean test accuracy of the generated models (a generator that stops copying only because it
  got worse would show it here).

Subsets are nested (the ¼ runs are among the ½ runs) and deterministic: the first
round(f · N) runs of one permutation drawn with the stage's seed (weightmem.seeds ``gpt.data_size``).
The full size is the default generator itself (results/gpt/generator/default): the DAG reuses it.
The figure: weightmem.figures.data_size.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from weightmem.evaluation import copying
from weightmem.io import WeightSet

SETS = ("generated", "heldout", "training")


def size_name(fraction: float) -> str:
    """The ``{size}`` wildcard of a fraction: 0.25 → '0.25', 1.0 → '1'."""
    return f"{float(fraction):g}"


def is_full(size: str | float) -> bool:
    return float(size) >= 1.0


def subset_runs(runs, fraction: float, seed: int) -> list[int]:
    """The runs of the ``fraction`` subset: the first round(fraction · N) (at least 2) of one
    permutation of the sorted run ids drawn with ``seed``, so smaller subsets lie inside larger
    ones and the same seed gives the same runs. ``fraction`` ≥ 1 = every run."""
    if not 0 < fraction:
        raise ValueError(f"data-size fraction {fraction} is not > 0")
    uniq = sorted(set(int(r) for r in runs))
    if len(uniq) < 2:
        raise ValueError(f"the data-size experiment needs at least 2 training runs, got {len(uniq)}")
    k = len(uniq) if fraction >= 1 else min(len(uniq), max(2, round(fraction * len(uniq))))
    order = np.random.default_rng(seed).permutation(len(uniq))
    return sorted(uniq[i] for i in order[:k])


def keep_training_runs(zoo: WeightSet, runs) -> WeightSet:
    """The zoo with only the given training runs (every held-out run stays: its inits prompt)."""
    keep = set(int(r) for r in runs)
    idx = [i for i, (r, s) in enumerate(zip(zoo.rows["run"], zoo.rows["split"]))
           if s != "train" or int(r) in keep]
    missing = keep - {int(r) for r, s in zip(zoo.rows["run"], zoo.rows["split"]) if s == "train"}
    if missing:
        raise ValueError(f"runs {sorted(missing)[:5]} are not training runs of the zoo")
    return zoo.subset(idx, stage="data_size", training_runs=len(keep))


def keep_runs(ws: WeightSet, runs) -> WeightSet:
    """The rows of a weight set (e.g. the training finals) whose ``run`` is one of ``runs``."""
    keep = set(int(r) for r in runs)
    idx = [i for i, r in enumerate(ws.rows["run"]) if int(r) in keep]
    if len(idx) != len(keep):
        raise ValueError(f"{len(keep)} runs asked for, {len(idx)} rows found")
    return ws.subset(idx, stage="data_size", training_runs=len(keep))


def per_model(sets: dict[str, WeightSet], behaviours: dict[str, dict], distance: str) -> pd.DataFrame:
    """One row per model of ``generated``, ``heldout`` and ``training`` (= this size's T): its
    accuracy and divergence (``behaviours``: weightmem.evaluation.classifier.behaviour) and its
    min L2 to T (``distance``: plain or aligned; T's own models exclude themselves)."""
    train = sets["training"]
    parts = []
    for name in SETS:
        ws, beh = sets[name], behaviours[name]
        d, i = nearest_training(ws, train, distance, exclude_self=(name == "training"))
        parts.append(pd.DataFrame({
            "set": name, "model": np.arange(len(ws)),
            "run": ws.rows.get("run", ws.rows.get("prompt_run", [None] * len(ws))),
            "accuracy": beh["accuracy"].numpy().astype(float),
            "diverged": beh["diverged"].numpy().astype(bool) | ~np.isfinite(d),
            "min_l2": d,
            "nearest_training_run": [train.rows["run"][j] if np.isfinite(x) else None
                                     for j, x in zip(i, d)],
        }))
    return pd.concat(parts, ignore_index=True)


def nearest_training(targets: WeightSet, training: WeightSet, distance: str,
                     exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """(min distance, index of the nearest training model) per target, by ``plain`` L2 or
    permutation-``aligned`` L2 (as the per-model tables, weightmem.evaluation.classifier)."""
    from weightmem.evaluation.weights import aligned_nearest, nearest
    from weightmem.nets import get as get_arch

    if distance == "plain":
        d, i = nearest(targets.weights, training.weights, k=1, exclude_self=exclude_self)
    elif distance == "aligned":
        d, i, _ = aligned_nearest(get_arch(targets.arch), targets.weights, training.weights, k=1,
                                  exclude_self=exclude_self)
    else:
        raise ValueError(f"unknown distance kind '{distance}' (plain or aligned)")
    return d[:, 0].numpy().astype(float), i[:, 0].numpy()


def summarise(models: pd.DataFrame, size: str, training_runs: int) -> dict:
    """One row of the data-size table from one size's per-model table (:func:`per_model`)."""
    row: dict = {"size": size, "fraction": float(size), "training_runs": int(training_runs)}
    ok = models[~models.diverged.astype(bool)]
    for name in SETS:
        d = ok[ok.set == name]
        row[f"{name}_models"] = int((models.set == name).sum())
        row[f"{name}_excluded"] = int(row[f"{name}_models"] - len(d))
        row[f"median_min_l2_{name}"] = _q(d.min_l2, 0.5)
        row[f"mean_min_l2_{name}"] = float(d.min_l2.mean()) if len(d) else math.nan
        row[f"accuracy_{name}"] = float(d.accuracy.mean()) if len(d) else math.nan
    for name in ("generated", "heldout"):
        d = ok[ok.set == name].min_l2
        row[f"q25_min_l2_{name}"], row[f"q75_min_l2_{name}"] = _q(d, 0.25), _q(d, 0.75)
    row["min_l2_ratio"] = row["median_min_l2_generated"] / row["median_min_l2_heldout"]
    v = copying.verdict(_usable_l2(models, "generated"), _usable_l2(models, "heldout"))
    row.update({"z_u": v["z_u"], "p_value": v["p_value"], "closer_chance": v["closer_chance"],
                "verdict": v["verdict"], "reason": v["reason"]})
    return row


def _usable_l2(models: pd.DataFrame, name: str) -> np.ndarray:
    """min L2 of one set's models, NaN where diverged (the test leaves those out and counts them)."""
    d = models[models.set == name]
    out = d.min_l2.to_numpy(dtype=float).copy()
    out[d.diverged.to_numpy(dtype=bool)] = np.nan
    return out


def _q(v: pd.Series, q: float) -> float:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.quantile(v, q)) if len(v) else math.nan


def table(rows: list[dict]) -> pd.DataFrame:
    """The data-size table, smallest training set first."""
    return pd.DataFrame(rows).sort_values("training_runs", kind="stable").reset_index(drop=True)
