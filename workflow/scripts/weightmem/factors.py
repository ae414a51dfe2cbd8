"""The study's modeling-factors table (docs/study.md output 8, docs/gpt.md §6.1).

Each factor is a generator variant: the default generator settings with a few overridden (fewer
training steps, wider/narrower, deeper/shallower, dropout, noise augmentation). The config names
the overrides per method (``<method>.modeling_factors``); every variant is trained, sampled and
evaluated like the default, and one row per setting summarises it: number of generator
parameters, mean performance of the generated models and mean min-L2 to the training set.
"""
from __future__ import annotations

import pandas as pd

from weightmem.methods import FactorColumn
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


# relative training lengths: <key>_fraction: f overrides <key> with round(f × the default's)
FRACTIONS = ("steps", "epochs")


def variant_config(base: dict, factors: dict | None, variant: str, where: str) -> dict:
    """Generator settings of ``variant``: ``base`` for 'default', else base + the variant's
    overrides, where ``steps_fraction: f`` means ``steps: round(f × base steps)`` (at least 1),
    and ``epochs_fraction`` likewise for ``epochs``. An unknown variant is an error naming the
    configured ones."""
    if variant == "default":
        return dict(base)
    factors = factors or {}
    if variant not in factors:
        raise ValueError(f"{where}: unknown generator variant '{variant}' "
                         f"(configured: {', '.join(factors) or 'none'})")
    over = dict(factors[variant])  # the override keys: schema + generator dataclass
    for key in FRACTIONS:  # relative training length follows the default's
        if f"{key}_fraction" in over:
            over[key] = max(1, round(base[key] * over.pop(f"{key}_fraction")))
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
              n_params: dict[str, int], performance: str | FactorColumn = "accuracy",
              set_rows: dict[str, dict] | None = None,
              histogram_reference: bool = False) -> pd.DataFrame:
    """One row for the training set (models among themselves), then one per variant in
    ``generated`` (name → per-model table as written by the ``table`` rule).

    ``performance``: the column the rows report (a per-model column name, or the method's
    :class:`~weightmem.methods.FactorColumn`); a set-level column is read from ``set_rows``
    ('training' and every variant → that weight set's one-row summary). ``min_l2`` is the mean
    min L2 to training over the usable models; with ``histogram_reference`` it is the distance
    the method's histogram shows (``min_l2_reference``, and for the training row only the
    training models in that reference, self excluded: Hyper-Rep's one final-epoch
    reconstruction per run)."""
    col = performance if isinstance(performance, FactorColumn) else FactorColumn(performance)
    needed = {"min_l2"} | ({col.column} if col.per == "model" else set())
    if histogram_reference:
        needed |= {"min_l2_reference"}
    for name, df in [("training", training), *generated.items()]:
        missing = needed - set(df.columns)
        if missing:
            raise ValueError(f"{method} {name} table lacks columns {sorted(missing)}")
        if df.empty:
            raise ValueError(f"{method} {name} table has no rows")
        if col.per == "set":
            row = (set_rows or {}).get(name)
            if row is None or col.column not in row:
                raise ValueError(f"{method} {name}: no set summary with column '{col.column}'")
    rows = [_row(method, "training", "training", None, training, col, set_rows,
                 histogram_reference)]
    for variant, df in generated.items():
        label = "default gen" if variant == "default" else FACTORS.get(variant, variant)
        rows.append(_row(method, variant, label, n_params[variant], df, col, set_rows,
                         histogram_reference))
    df = pd.DataFrame(rows)
    df["params"] = df["params"].astype("Int64")  # blank for the training row, integers otherwise
    return df


def _row(method, variant, label, params, df, col, set_rows, histogram_reference) -> dict:
    finite = usable_rows(df)
    if col.per == "set":
        perf = float(set_rows[variant][col.column])
    else:
        perf = float(finite[col.column].mean())
    dist = finite["min_l2"]
    if histogram_reference:
        ref = finite
        if variant == "training" and "in_reference" in finite:
            ref = finite[finite["in_reference"].astype(bool)]
        dist = ref["min_l2_reference"]
    return {"method": method, "variant": variant, "setting": label, "params": params,
            "models": len(df), "diverged": len(df) - len(finite),
            col.name: perf,
            "min_l2": float(dist.mean()),
            "max_similarity": (float(finite["max_similarity"].mean())
                               if "max_similarity" in finite else float("nan"))}
