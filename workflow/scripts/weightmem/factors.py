"""The study's modeling-factors table (docs/study.md output 8, docs/gpt.md §6.1).

Each factor is a generator variant: the default generator settings with a few overridden (fewer
training steps, wider/narrower, deeper/shallower, dropout, noise augmentation). The config names
the overrides per method (``<method>.modeling_factors``); every variant is trained, sampled and
evaluated like the default, and one row per setting summarises it: number of generator
parameters, mean performance of the generated models and mean min-L2 to the training set.
"""
from __future__ import annotations

import pandas as pd

from weightmem.report import usable_rows

# the paper's rows, in its order; keys are the config/wildcard names
FACTORS = {
    "epochs33": "training epochs 33.3%",
    "epochs50": "training epochs 50.0%",
    "dim_head_up": "+dim & head",
    "layer_up": "+layer",
    "dim_head_down": "-dim & head",
    "layer_down": "-layer",
    "dropout10": "+10% dropout",
    "dropout20": "+20% dropout",
    "noise": "+Gaussian noise",
}


def variant_config(base: dict, factors: dict | None, variant: str, where: str) -> dict:
    """Generator settings of ``variant``: ``base`` for 'default', else base + the variant's
    overrides, where ``steps_fraction: f`` means ``steps: round(f × base steps)``. An unknown
    variant is an error naming the configured ones."""
    if variant == "default":
        return dict(base)
    factors = factors or {}
    if variant not in factors:
        raise ValueError(f"{where}: unknown generator variant '{variant}' "
                         f"(configured: {', '.join(factors) or 'none'})")
    over = dict(factors[variant])  # the override keys: schema + generator dataclass
    if "steps_fraction" in over:  # relative training length follows the default's steps
        over["steps"] = max(1, round(base["steps"] * over.pop("steps_fraction")))
    return {**base, **over}


def set_name(variant: str) -> str:
    """Weight-set name of a variant's samples ('generated' for the default generator)."""
    return "generated" if variant == "default" else f"generated-{variant}"


def variant_of(set_name_: str) -> str:
    if set_name_ == "generated":
        return "default"
    if not set_name_.startswith("generated-"):
        raise ValueError(f"'{set_name_}' is not a generated weight set")
    return set_name_[len("generated-"):]


def count_state(state: dict) -> int:
    """Parameters in a generator's saved state dict."""
    return int(sum(t.numel() for t in state.values()))


def summarise(method: str, training: pd.DataFrame, generated: dict[str, pd.DataFrame],
              n_params: dict[str, int], performance: str = "accuracy") -> pd.DataFrame:
    """One row for the training set (models among themselves), then one per variant in
    ``generated`` (name → per-model table as written by the ``table`` rule)."""
    for name, df in [("training", training), *generated.items()]:
        missing = {performance, "min_l2"} - set(df.columns)
        if missing:
            raise ValueError(f"{method} {name} table lacks columns {sorted(missing)}")
        if df.empty:
            raise ValueError(f"{method} {name} table has no rows")
    rows = [_row(method, "training", "training", None, training, performance)]
    for variant, df in generated.items():
        label = "default gen" if variant == "default" else FACTORS.get(variant, variant)
        rows.append(_row(method, variant, label, n_params[variant], df, performance))
    df = pd.DataFrame(rows)
    df["params"] = df["params"].astype("Int64")  # blank for the training row, integers otherwise
    return df


def _row(method, variant, label, params, df, performance) -> dict:
    finite = usable_rows(df)
    return {"method": method, "variant": variant, "setting": label, "params": params,
            "models": len(df), "diverged": len(df) - len(finite),
            performance: float(finite[performance].mean()),
            "min_l2": float(finite["min_l2"].mean()),
            "max_similarity": (float(finite["max_similarity"].mean())
                               if "max_similarity" in finite else float("nan"))}
