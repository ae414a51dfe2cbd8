"""Hooks of behaviour kind ``none`` (weight space only, e.g. ``weightmem audit`` without
``--behaviour``): per-model tables of nearest and second-nearest training models, read from the
files in column chunks (sets larger than memory work), by plain L2, permutation-aligned L2
(one-hidden-layer MLPs: exact) or weight-matched L2 (other recognised chains: an upper bound)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def table(name: str, weights_path, train_path, distance: str, is_training: bool,
          memory: float = 256e6, log=None) -> pd.DataFrame:
    """One row per model: min_l2 / nearest_by_l2 (nearest training model), second_l2, nn_ratio
    (nearest / second-nearest), finite, distance (the one used); self excluded for the training
    set. ``matched``: weight matching over the layout's permutation structure
    (weightmem.evaluation.matching; plain L2, logged, where the layout has none)."""
    import json

    from safetensors import safe_open

    from weightmem.audit import FileSource
    from weightmem.io import load_weightset
    from weightmem.runtime import keep_freed_memory

    log = log or (lambda *a: None)
    keep_freed_memory()  # the column chunks' buffers are reused, not page-faulted afresh
    src, ref = FileSource(weights_path), FileSource(train_path)
    _check(src, ref, weights_path, train_path, is_training)
    with safe_open(str(weights_path), framework="pt") as f:
        meta = f.metadata() or {}
    rows = json.loads(meta.get("weightmem.rows", "{}"))
    if distance == "matched":
        from weightmem.evaluation.matching import recognise

        structure, why = recognise(json.loads(meta.get("weightmem.layout", "[]")))
        if structure is None:
            log("%s: no permutation structure (%s): plain L2", name, why)
            distance = "plain"
    if distance == "aligned":
        from weightmem.evaluation.weights import aligned_nearest
        from weightmem.nets import get as get_arch

        ws, tr = load_weightset(weights_path), load_weightset(train_path)
        d, i, _ = aligned_nearest(get_arch(ws.arch), ws.weights, tr.weights, k=2,
                                  exclude_self=is_training)
        rows = ws.rows
    elif distance == "matched":
        from pathlib import Path

        from weightmem.evaluation.matching import SHORTLIST, matched_nearest

        d, i, _, stats = matched_nearest(ref if is_training else src, ref, structure, k=2,
                                         exclude_self=is_training, shortlist=SHORTLIST,
                                         memory=memory, tmpdir=Path(weights_path).parent)
        log("%s: %s over %s", name, stats.line(SHORTLIST), structure.summary)
    else:
        from weightmem.evaluation.weights import AUDIT_REL_EXACT, nearest_streamed

        # pass 2 only where pass 1 is not already exact to float32 (near-copies)
        d, i = nearest_streamed(ref if is_training else src, ref, k=2, exclude_self=is_training,
                                memory=memory, rel_exact=AUDIT_REL_EXACT)
    return _frame(name, d, i, distance, rows)


def _check(src, ref, weights_path, train_path, is_training: bool) -> None:
    """A set's columns are the training set's, and the training set has a nearest (other)
    model to offer."""
    from weightmem.io import WeightFormatError

    if src.dim != ref.dim:
        raise WeightFormatError(f"{weights_path}: D={src.dim}, the training set has D={ref.dim}")
    if ref.n - (1 if is_training else 0) < 1:
        raise WeightFormatError(f"{train_path}: {ref.n} training model(s): the nearest "
                                f"{'other ' if is_training else ''}training model is undefined "
                                f"(at least 2 are needed)")


def log_table(log, name: str, df: pd.DataFrame) -> None:
    """The line a table job logs about one set's table."""
    log("%s: %d models, median min L2 %.4g, %d non-finite", name, len(df),
        float(np.nanmedian(df.min_l2.replace(np.inf, np.nan))) if df.finite.any()
        else float("nan"), int((~df.finite).sum()))


def _frame(name: str, d, i, distance: str, rows: dict, finite=None) -> pd.DataFrame:
    """The table of one set from its k-nearest distances and indices (torch [M, k]); ``finite``:
    the rows with no NaN/inf value (default: those with a finite nearest distance)."""
    from weightmem.evaluation.copying import neighbour_ratio

    d = d.numpy().astype(float)
    second = d[:, 1] if d.shape[1] > 1 else np.full(len(d), np.nan)
    df = pd.DataFrame({"set": name, "model": np.arange(len(d)), "min_l2": d[:, 0],
                       "nearest_by_l2": i[:, 0].numpy(), "second_l2": second,
                       "nn_ratio": neighbour_ratio(d[:, 0], second), "distance": distance})
    df["finite"] = np.isfinite(df["min_l2"].to_numpy()) if finite is None else np.asarray(
        finite, dtype=bool)
    df["nearest_by_l2"] = pd.array(df["nearest_by_l2"].to_numpy(), dtype="Int64")
    df.loc[~np.isfinite(df["min_l2"].to_numpy()), "nearest_by_l2"] = pd.NA
    for key, col in rows.items():
        if key not in df and len(col) == len(df) and all(
                isinstance(v, (int, float, str, type(None))) for v in col):
            df[key] = col
    return df


def tables(paths: dict, train_path, memory: float = 256e6, progress=None,
           log=None) -> dict[str, pd.DataFrame]:
    """The plain-L2 tables of several sets against the training set (``paths``: {name: weight
    file}, the training set's own table self-excluded) in one pass over the columns
    (weightmem.evaluation.weights.nearest_fused): every file read once, not the training set
    once per table. Same columns as :func:`table`."""
    from pathlib import Path

    from weightmem.audit import FileSource
    from weightmem.evaluation.weights import nearest_fused
    from weightmem.io import read_weightset_header
    from weightmem.runtime import keep_freed_memory

    keep_freed_memory()
    heads = {n: read_weightset_header(p) for n, p in paths.items()}
    same = Path(train_path).resolve()  # the training set's own table: self excluded
    own = [n for n, p in paths.items() if Path(p).resolve() == same]
    ref = FileSource(train_path, heads[own[0]] if own else None)
    srcs = {n: ref if n in own else FileSource(p, heads[n]) for n, p in paths.items()}
    for n, src in srcs.items():
        _check(src, ref, paths[n], train_path, src is ref)
    out = nearest_fused(srcs, ref, k=2, memory=memory, progress=progress,
                        log=log or (lambda *a: None))
    return {n: _frame(n, *out[n][:2], "plain", heads[n].rows, finite=out[n][2].numpy())
            for n in paths}


# ------------------------------------------------------------------ hooks of the shared rules
def evaluate_behaviour(inputs, output: str, params, ctx) -> None:
    raise ValueError("behaviour kind 'none' has no behaviour (weight space only); ask for it "
                     "with --behaviour")


def evaluate_table(name: str, inputs, params, ctx) -> pd.DataFrame:
    df = table(name, inputs.weights, inputs.train_weights, params.distance,
               is_training=(name == "training"), log=ctx.log.info)
    log_table(ctx.log.info, name, df)
    return df


def draw_model_outputs(method, inputs, params, ctx):
    raise ValueError("behaviour kind 'none' has no model-outputs figure")
