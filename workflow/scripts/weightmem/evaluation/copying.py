"""Does a generator copy its training models? The data-copying test of Meehan, Chaudhuri &
Dasgupta (AISTATS 2020), per-model copy flags and the verdict rule.

Inputs are nearest-neighbour distances to the training set T (any distance: plain or
permutation-aligned L2, or a behavioural one such as 1 − max similarity):

* ``d_gen`` — every generated model's distance to its nearest training model;
* ``d_held`` — the same for held-out models: real models from runs T does not contain (what a
  generator that generalizes should look like: new draws from the same recipe).

**Z_U.** U = #{(g, h): d_gen[g] > d_held[h]} + ½ #{ties} is the Mann–Whitney U of the generated
distances against the held-out ones; Z_U = (U − mn/2) / σ_U with the tie-corrected
σ_U² = mn/12 · ((m+n+1) − Σ(t³ − t)/((m+n)(m+n−1))). Under "no copying" (generated models are as
far from T as new real ones) Z_U ≈ N(0, 1); strongly negative = generated models are closer than
held-out ones = copying. p = Φ(Z_U) (one-sided).

**Materiality.** With enough models any small systematic shift is significant, so "copies" also
needs the effect to be large: the chance that a generated model is closer to T than a held-out
one, A = 1 − U/(mn), must reach ``MATERIAL`` = 0.9. Why 0.9:

* with no copying A = ½; if a fraction f of generated models are copies (closer than every
  held-out model) and the rest are like held-out models, A ≈ ½ + f/2 — so A ≥ 0.9 means at least
  ~80% of the generated set copies: the verdict describes the generator, and a minority of copies
  is reported by the per-model flags (and an "inconclusive" verdict), not called "copies";
* at the smallest sets the verdict accepts (8 vs 8, σ_A ≈ 0.15) a chance deviation that passes
  α = 0.01 has A ≈ 0.84; 0.9 is beyond it. Measured: 16 independently trained 64-10-10 MLPs
  against 16 held-out ones gave Z_U = −3.0 (p = 0.003) at A = 0.81 with medians 11.0 vs 11.8 —
  significant, not material;
* a planted memorizer (training weights + small noise) gives A = 1.

**Verdict.** "copies" when Z_U is significantly negative at α and A ≥ MATERIAL;
"does-not-copy" when neither; "inconclusive" when they disagree or there are fewer than
``MIN_MODELS`` usable models on either side. Each comes with the numbers it rests on.
"""
from __future__ import annotations

import math

import numpy as np

ALPHA = 0.01
MATERIAL = 0.9
MIN_MODELS = 8


def mann_whitney_u(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(U, tie-corrected σ_U) of x against y: U = #{x > y} + ½ #{x = y}."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    m, n = len(x), len(y)
    both = np.concatenate([x, y])
    ranks = _ranks(both)
    u = float(ranks[:m].sum() - m * (m + 1) / 2)
    _, counts = np.unique(both, return_counts=True)
    ties = float(((counts ** 3) - counts).sum())
    N = m + n
    var = m * n / 12.0 * ((N + 1) - (ties / (N * (N - 1)) if N > 1 else 0.0))
    return u, math.sqrt(max(var, 0.0))


def _ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing their mean rank."""
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    sv = v[order]
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def z_u(d_gen, d_held) -> dict:
    """Z_U of Meehan et al. with its one-sided p-value (small = generated models closer)."""
    d_gen, d_held = np.asarray(d_gen, dtype=float), np.asarray(d_held, dtype=float)
    m, n = len(d_gen), len(d_held)
    if m == 0 or n == 0:
        return {"u": math.nan, "z_u": math.nan, "p_value": math.nan, "closer_chance": math.nan}
    u, sd = mann_whitney_u(d_gen, d_held)
    z = (u - m * n / 2.0) / sd if sd > 0 else 0.0
    return {"u": u, "z_u": z, "p_value": 0.5 * math.erfc(-z / math.sqrt(2.0)),
            "closer_chance": 1.0 - u / (m * n)}


def copy_flags(d_gen, nearest_gen, d_train_self) -> np.ndarray:
    """Per generated model: closer to its nearest training model than that model is to its own
    nearest other training model (the authenticity test of Alaa et al. 2022, read as "copy").
    ``nearest_gen``: index of each generated model's nearest training model; ``d_train_self``:
    each training model's distance to its nearest other training model. Models without a finite
    distance are not flagged."""
    d_gen = np.asarray(d_gen, dtype=float)
    near = np.asarray(nearest_gen, dtype=float)
    ok = np.isfinite(d_gen) & np.isfinite(near)
    out = np.zeros(len(d_gen), dtype=bool)
    ref = np.asarray(d_train_self, dtype=float)[near[ok].astype(int)]
    out[ok] = d_gen[ok] < ref
    return out


def neighbour_ratio(d1, d2) -> np.ndarray:
    """Nearest / second-nearest training distance: ≪ 1 = next to one training model and far from
    the rest (a copy); near 1 = between several (new). NaN where undefined."""
    d1, d2 = np.asarray(d1, dtype=float), np.asarray(d2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d1 / d2
    r[~(np.isfinite(d1) & np.isfinite(d2) & (d2 > 0))] = np.nan
    return r


def verdict(d_gen, d_held, alpha: float = ALPHA, material: float = MATERIAL,
            min_models: int = MIN_MODELS, what: str = "distance to the nearest training model"
            ) -> dict:
    """The verdict (module docstring) with the numbers it rests on. Non-finite distances
    (diverged models) are left out of the test and counted."""
    d_gen, d_held = np.asarray(d_gen, dtype=float), np.asarray(d_held, dtype=float)
    g, h = d_gen[np.isfinite(d_gen)], d_held[np.isfinite(d_held)]
    out = {"alpha": alpha, "material": material, "n_generated": int(len(g)),
           "n_heldout": int(len(h)), "excluded_generated": int(len(d_gen) - len(g)),
           "excluded_heldout": int(len(d_held) - len(h)), "statistic": what,
           **z_u(g, h),
           "median_generated": float(np.median(g)) if len(g) else math.nan,
           "median_heldout": float(np.median(h)) if len(h) else math.nan}
    if len(g) < min_models or len(h) < min_models:
        out["verdict"] = "inconclusive"
        out["reason"] = (f"too few models for the test: {len(g)} generated and {len(h)} held-out "
                         f"with a finite {what} (at least {min_models} each)")
        return out
    significant = out["p_value"] < alpha
    large = out["closer_chance"] >= material
    nums = (f"Z_U = {out['z_u']:.2f} (p = {out['p_value']:.2g}, α = {alpha:g}); a generated "
            f"model is closer than a held-out one with chance {out['closer_chance']:.2f} "
            f"(material from {material:g}); median {what}: generated "
            f"{out['median_generated']:.4g}, held-out {out['median_heldout']:.4g}")
    if significant and large:
        out["verdict"], why = "copies", "significantly and materially closer to training"
    elif not significant and not large:
        out["verdict"], why = "does-not-copy", "not significantly, not materially closer"
    else:
        out["verdict"] = "inconclusive"
        why = ("significant but not material" if significant else "material but not significant")
    out["reason"] = f"{why}: {nums}"
    return out


def split_runs(runs: list, fraction: float = 0.25, seed: int = 0) -> np.ndarray:
    """Boolean [N]: the rows of whole runs held out (at least one run, at most all but one),
    chosen at random with ``seed``; rows of one run stay together."""
    uniq = sorted(set(runs), key=str)
    if len(uniq) < 2:
        raise ValueError(f"cannot hold out whole runs: the training set has {len(uniq)} run(s); "
                         f"give held-out models (--heldout) or at least two runs")
    rng = np.random.default_rng(seed)
    k = min(len(uniq) - 1, max(1, round(fraction * len(uniq))))
    held = {uniq[i] for i in rng.choice(len(uniq), size=k, replace=False)}
    return np.array([r in held for r in runs])


def audit(training, generated, heldout, alpha: float = ALPHA, material: float = MATERIAL,
          min_models: int = MIN_MODELS, novelty=None):
    """The audit's decision from the per-model tables of T (self excluded), G and H against T:
    (verdict dict, per-generated-model DataFrame with copy flags and neighbour ratios).
    ``novelty``: a weightmem.methods.Column — with behaviour, the same test on it (oriented:
    higher = newer, ranked like a distance) is reported beside the weight-space one."""
    import pandas as pd

    d_gen = generated["min_l2"].to_numpy(dtype=float)
    d_held = heldout["min_l2"].to_numpy(dtype=float)
    out = verdict(d_gen, d_held, alpha, material, min_models)
    out["n_training"] = int(len(training))
    flags = copy_flags(d_gen, generated["nearest_by_l2"].to_numpy(dtype=float, na_value=np.nan),
                       training["min_l2"].to_numpy(dtype=float))
    held_flags = copy_flags(d_held, heldout["nearest_by_l2"].to_numpy(dtype=float,
                                                                      na_value=np.nan),
                            training["min_l2"].to_numpy(dtype=float))
    out["copy_flags"] = {"generated": int(flags.sum()), "heldout": int(held_flags.sum())}
    per = pd.DataFrame({"model": np.arange(len(generated)), "min_l2": d_gen,
                        "nearest_training": generated["nearest_by_l2"], "copy_flag": flags})
    if "second_l2" in generated:
        per["nn_ratio"] = neighbour_ratio(d_gen, generated["second_l2"])
        out["median_nn_ratio"] = {
            "generated": _nanmedian(per["nn_ratio"]),
            "heldout": _nanmedian(neighbour_ratio(d_held, heldout["second_l2"]))}
    for col in ("file", "run", "finite"):
        if col in generated:
            per[col] = generated[col].to_numpy()
    if novelty is not None and novelty.name in generated:
        def novelty_of(df):  # oriented: higher = newer, ranked like a distance to training
            return np.array([novelty.oriented(v) for v in df[novelty.name].to_numpy(float)])
        out["behaviour"] = verdict(novelty_of(generated), novelty_of(heldout), alpha, material,
                                   min_models, what=f"novelty ({novelty.label})")
    return out, per


def non_finite(sets: dict, tables: dict) -> dict:
    """Per set, the models with a NaN/inf weight: as the import found them, or — for a set linked
    in place, whose values the import did not read (``non_finite`` None) — as its table flags
    them: ``finite`` False (weight-space tables), else no finite distance to training (tables
    with behaviour, whose non-finite models get an infinite ``min_l2``)."""
    def flagged(df):
        ok = df["finite"].astype(bool) if "finite" in df else np.isfinite(
            df["min_l2"].to_numpy(dtype=float))
        return [int(m) for m in df.loc[~np.asarray(ok), "model"]]

    return {r: v["non_finite"] if v["non_finite"] is not None else flagged(tables[r])
            for r, v in sets.items()}


def _nanmedian(v) -> float:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else math.nan


def json_safe(obj):
    """NaN / inf → None and numpy scalars → Python numbers (strict JSON for verdict.json)."""
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, (np.generic,)):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
