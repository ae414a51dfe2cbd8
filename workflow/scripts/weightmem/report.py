"""The study's findings F1-F5 (docs/study.md), decided from the computed tables, and the report page.

F1 and F3 (does the generator copy?) are decided by the Z_U data-copying test
(weightmem.evaluation.copying): the generated models' distances to the training set against those
of held-out models from runs the generator never saw (the declaration's ``heldout`` set, e.g.
G.pt's held-out runs) — "copies" only when significantly *and* materially closer; without a
held-out set the verdict is "inconclusive". The study's comparison of medians is kept in the
evidence. F2, F4 and F5 are plain comparisons of means/medians, printed with the numbers they
rest on, whichever way they come out. Quality and novelty come from each method's
declaration (weightmem.methods.Method: e.g. accuracy and 1 − max similarity for classifiers, min
Chamfer distance to test / training shapes for neural fields), oriented so that higher = better /
newer; the claim checked (near copies: F1, F3; interpolations: F2) is the declaration's too.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from weightmem.evaluation import copying
from weightmem.methods import Method

def usable_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of a per-model table whose model can be scored: not diverged (classifiers), mesh not
    empty (HyperDiffusion). Flagged models are counted, not averaged."""
    for flag in ("diverged", "empty"):
        if flag in df:
            df = df[~df[flag].astype(bool)]
    return df


def weight_distance(method: Method, df: pd.DataFrame) -> pd.Series:
    """The min-L2 column the method's histogram uses (to its declared histogram reference, e.g.
    Hyper-Rep's one final-epoch reconstruction per run, where the table has it)."""
    if method.histogram_reference and "min_l2_reference" in df:
        return df["min_l2_reference"]
    return df["min_l2"]


def quality_novelty(method: Method, d: pd.DataFrame) -> tuple[float, float]:
    """(quality, novelty) of the usable rows ``d``, oriented so that higher is better / newer."""
    if method.quality.name not in d or method.novelty.name not in d:
        return float("nan"), float("nan")
    return (method.quality.oriented(float(d[method.quality.name].mean())),
            method.novelty.oriented(float(d[method.novelty.name].mean())))


def summary(method: Method, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, df in tables.items():
        d = usable_rows(df)
        q, n = quality_novelty(method, d)
        if name == "training" and "in_reference" in d:  # Hyper-Rep: the histogram's models
            d = d[d["in_reference"].astype(bool)]
        dist = weight_distance(method, d)
        rows.append({"method": method.name, "set": name, "models": len(df),
                     "excluded": len(df) - len(d),
                     "quality": q, "novelty": n,
                     "median_min_l2": float(dist[np.isfinite(dist)].median())})
    return pd.DataFrame(rows)


def set_means(method: Method, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per weight set: the mean of every numeric per-model column over the usable models, and
    ``mean_min_l2``, the mean of the distance the method's histogram shows (over the histogram's
    models) — what the paper's per-set numbers are set beside (weightmem.paper)."""
    rows = []
    for name, df in tables.items():
        d = usable_rows(df)
        row = {"method": method.name, "set": name}
        row.update({c: float(d[c].mean()) for c in d.select_dtypes("number").columns
                    if c != "model"})
        if name == "training" and "in_reference" in d:  # Hyper-Rep: the histogram's models
            d = d[d["in_reference"].astype(bool)]
        dist = weight_distance(method, d)
        row["mean_min_l2"] = float(dist[np.isfinite(dist)].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def findings(method: Method, tables: dict[str, pd.DataFrame], noise: list[str],
             factors: pd.DataFrame | None = None) -> list[dict]:
    """F1-F5 rows (finding, method, holds, evidence) for one method's tables."""
    s = summary(method, tables).set_index("set")
    tr, gen = s.loc["training"], s.loc["generated"]
    qname = _oriented_name(method.quality)
    nname = _oriented_name(method.novelty)
    out = []
    ratio = gen.median_min_l2 / tr.median_min_l2
    dist = (f"median min L2 to training: generated {gen.median_min_l2:.4g}, training among "
            f"themselves {tr.median_min_l2:.4g} (ratio {ratio:.2f})")
    name = method.name
    if method.claim == "copies":
        v = copying_test(method, tables, "weights")
        out.append(_row("F1", name, v["verdict"] == "copies",
                        "generated models are copies of training models (closer to them than "
                        "new models of other runs are)",
                        f"{v['reason']}; the study's comparison: {dist}", v))
        if method.behaviour != "none":
            v = copying_test(method, tables, "behaviour")
            out.append(_row("F3", name, v["verdict"] == "copies",
                            "generated models behave like their nearest training model",
                            f"{v['reason']}; the study's comparison: mean {nname}: generated "
                            f"{gen.novelty:.3f}, training {tr.novelty:.3f}", v))
    if method.claim == "interpolates":
        base = [b for b in method.extra_sets if b in s.index]
        near = ", ".join(f"{b} {s.loc[b].quality:.2f} / {s.loc[b].novelty:.3f}" for b in base)
        out.append(_row("F2", name, gen.median_min_l2 > tr.median_min_l2,
                        "generated models are farther from the checkpoints than those are from "
                        "each other, and sit with the average/gaussian baselines",
                        f"{dist}; {qname} / {nname}: generated {gen.quality:.2f} / "
                        f"{gen.novelty:.3f}, {near}"))
    if method.behaviour == "none":  # weight space only: no quality to compare with the noise
        return out
    beaten = beaten_noise(s, noise)
    pts = "; ".join(f"{b} {s.loc[b].quality:.3g} / {s.loc[b].novelty:.3g}" for b in noise)
    ev = (f"{qname} / {nname}: generated {gen.quality:.3g} / {gen.novelty:.3g}; {pts}; "
          f"beaten (better on both): {', '.join(beaten) or 'none'}")
    if method.claim == "interpolates":
        out.append(_row("F4", name, bool(beaten), f"{method.title or name} beats the noise baseline", ev))
    else:
        out.append(_row("F4", name, not beaten, "the generator does not beat the noise baseline",
                        ev))
    f = (factors[factors.method == name] if factors is not None else pd.DataFrame())
    col = method.factor_performance  # what its factor rows report (accuracy, HyperDiffusion: MMD)
    if len(f) and col.name in f:
        f = f.set_index("variant")
        t = f.loc["training"]
        perf = f[col.name].drop("training")
        good_new = [v for v, r in f.drop(index="training").iterrows()
                    if col.good(r[col.name], t[col.name]) and r.min_l2 >= t.min_l2]
        if col.name == "accuracy" and col.tolerance == 2.0 and not col.relative:
            crit = f"mean accuracy within 2 points of training ({t.accuracy:.1f}%)"
            spread = f"accuracy {perf.min():.1f}–{perf.max():.1f}%"
        else:
            crit = f"{col.label or col.name} {col.within()} ({t[col.name]:.3g})"
            spread = f"{col.name} {perf.min():.3g}–{perf.max():.3g}"
        out.append(_row("F5", name, not good_new,
                        "no modeling factor gives models that are both novel and good",
                        f"'novel and good' = {crit} and mean min L2 ≥ training's "
                        f"({t.min_l2:.3g}); variants: {len(f) - 1}, {spread}, min L2 "
                        f"{f.min_l2.drop('training').min():.3g}–{f.min_l2.drop('training').max():.3g}"
                        f"; novel and good: {', '.join(good_new) or 'none'}"))
    return out


def beaten_noise(s: pd.DataFrame, noise: list[str]) -> list[str]:
    """The noise sets the generated set beats: at least as good and strictly newer (``s``:
    :func:`summary` indexed by set)."""
    gen = s.loc["generated"]
    return [b for b in noise if gen.quality >= s.loc[b].quality and gen.novelty > s.loc[b].novelty]


def behaviour_sets(method: Method, tables: dict[str, pd.DataFrame]) -> tuple[dict, list[str]]:
    """For verdict.json: per set its models, excluded (diverged) models, mean quality and
    novelty columns as they are (e.g. accuracy, max_similarity) and median min L2; and the noise
    sets the generated set beats (:func:`beaten_noise`, the study's F4)."""
    s = summary(method, tables).set_index("set")
    q, n = method.quality, method.novelty  # summary() orients them: back to the columns' own
    sets = {name: {"models": int(r.models), "excluded": int(r.excluded),
                   q.name: q.oriented(r.quality), n.name: n.oriented(r.novelty),
                   "median_min_l2": r.median_min_l2} for name, r in s.iterrows()}
    return sets, beaten_noise(s, [b for b in s.index if b.startswith("noise")])


def _oriented_name(col) -> str:
    short = col.short or col.name
    return {"mean": short, "negate": f"−{short}", "one_minus": f"1 − {short}"}[col.orient]


def copying_test(method: Method, tables: dict[str, pd.DataFrame], space: str) -> dict:
    """The Z_U verdict (weightmem.evaluation.copying) of the generated set against the method's
    held-out set, on the weight distance (``weights``) or the behavioural novelty
    (``behaviour``); "inconclusive" where the method has no held-out models."""
    held = tables.get(method.heldout) if method.heldout else None
    if held is None:
        return {"verdict": "inconclusive", "z_u": float("nan"), "p_value": float("nan"),
                "reason": "inconclusive: no held-out models (real models of runs the generator "
                          "never saw) to compare with"}
    gen = tables["generated"]
    if space == "weights":
        return copying.verdict(weight_distance(method, gen), weight_distance(method, held),
                               what="distance to the nearest training model")

    def novelty(df):  # oriented: higher = newer, ranked like a distance; unusable rows left out
        v = df[method.novelty.name].to_numpy(dtype=float).copy()
        bad = len(df) != len(usable_rows(df))
        if bad:
            v[~df.index.isin(usable_rows(df).index)] = np.nan
        return np.array([method.novelty.oriented(x) for x in v])

    return copying.verdict(novelty(gen), novelty(held), what=f"novelty ({method.novelty.label})")


def _row(finding, method, holds, claim, evidence, test: dict | None = None) -> dict:
    return {"finding": finding, "method": method, "holds": bool(holds), "claim": claim,
            "evidence": evidence, "verdict": (test or {}).get("verdict"),
            "z_u": (test or {}).get("z_u", float("nan")),
            "p_value": (test or {}).get("p_value", float("nan"))}


def html_page(findings_df: pd.DataFrame, summary_df: pd.DataFrame, figures: list[str],
              extra_tables: dict[str, pd.DataFrame], comparison: pd.DataFrame | None = None,
              scale: str = "", verdict: dict | None = None) -> str:
    """A self-contained page (figures linked relative to the results folder); ``comparison``
    (weightmem.paper.compare) puts the paper's numbers beside this run's, with ``scale``;
    ``verdict`` (an audit's verdict.json) goes first. Each figure of the copying findings (F1:
    weight distances, F3: behaviour) carries its Z_U test in its caption."""
    esc = html.escape
    parts = ["<!doctype html><meta charset='utf-8'><title>weightmem report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
             "table{border-collapse:collapse;margin-bottom:1.5em}"
             "figure{display:inline-block;width:49%;margin:0;vertical-align:top}"
             "figure img{max-width:100%}figcaption{font-size:13px}"
             ".verdict{border:2px solid #444;padding:.5em 1em;margin-bottom:1.5em}</style>",
             "<h1>Generative models of weights: generalization or memorization?</h1>",
             *_verdict_section(verdict),
             "<p>Every verdict below is computed from this run's tables (results/tables, "
             "results/&lt;method&gt;/tables); it says what this scale shows, not what the paper "
             "reports.</p>", "<h2>Findings</h2>",
             findings_df.assign(holds=findings_df.holds.map({True: "holds", False: "does not hold"}))
             .to_html(index=False, escape=True),
             *_paper_section(comparison, scale),
             "<h2>Per set</h2>", summary_df.to_html(index=False, float_format="%.4g")]
    for name, df in extra_tables.items():
        parts += [f"<h2>{esc(name)}</h2>", df.to_html(index=False, float_format="%.4g")]
    parts.append("<h2>Figures</h2>")
    for f in figures:
        cap = figure_caption(f, findings_df)
        parts.append(f"<figure><a href='{esc(f)}'><img src='{esc(f)}' alt='{esc(f)}'></a>"
                     + (f"<figcaption>{esc(cap)}</figcaption>" if cap else "") + "</figure>")
    return "\n".join(parts)


# the copying finding each figure shows the evidence of: F1 (weights) or F3 (behaviour)
FIGURE_FINDING = {"heatmap": "F1", "min_distance_to_training": "F1",
                  "performance_vs_novelty": "F3", "decision_boundary": "F3",
                  "model_outputs": "F3"}


def figure_caption(path: str, findings_df: pd.DataFrame) -> str:
    """'F1 gpt: copies — Z_U = −4.16, p = 1.6e-05' for each method the figure shows (a method's
    own figure figures/<method>/<name>.png, or a study figure figures/<name>.png: all of them);
    empty for figures of no copying finding or without a test."""
    parts = path.replace("\\", "/").split("/")
    finding = FIGURE_FINDING.get(parts[-1].rsplit(".", 1)[0])
    if not finding or findings_df.empty or "z_u" not in findings_df:
        return ""
    rows = findings_df[findings_df.finding == finding]
    if len(parts) >= 3 and parts[-3] == "figures":  # figures/<method>/<name>.png
        rows = rows[rows.method == parts[-2]]
    out = []
    for r in rows.itertuples():
        if r.verdict is None or (isinstance(r.verdict, float) and np.isnan(r.verdict)):
            continue
        out.append(f"{finding} {r.method}: {r.verdict} — Z_U = {_num(r.z_u, '.2f')}, "
                   f"p = {_num(r.p_value, '.2g')}")
    return "; ".join(out)


def _num(v, fmt: str) -> str:
    return "n/a" if v is None or not np.isfinite(float(v)) else format(float(v), fmt)


def _verdict_section(v: dict | None) -> list[str]:
    """The audit's verdict, first on the page: the call and the numbers it rests on."""
    if not v:
        return []
    esc = html.escape
    given = str(v.get("heldout_source", "")).startswith("given")
    rows = [("verdict", v.get("verdict")),
            ("Z_U", _num(v.get("z_u"), ".2f")),
            ("p = Φ(Z_U), one-sided", _num(v.get("p_value"), ".2g")),
            ("α", v.get("alpha")),
            ("A = chance a generated model is closer to training than a held-out one",
             _num(v.get("closer_chance"), ".3f")),
            ("A needed for 'copies' (material)", v.get("material")),
            ("models: training / generated / held-out",
             f"{v.get('n_training')} / {v.get('n_generated')} / {v.get('n_heldout')}"
             + (f" (left out as non-finite: {v.get('excluded_generated')} generated, "
                f"{v.get('excluded_heldout')} held-out)"
                if v.get("excluded_generated") or v.get("excluded_heldout") else "")),
            ("held-out models", ("real models of other runs: " if given else
                                 "runs of the training set held out (no real H given): ")
             + str(v.get("heldout_source", ""))),
            ("weight distance", f"{v.get('distance')} L2 over {v.get('parameters')} parameters "
                                f"(architecture {v.get('arch')})"
                                + (f": {v['distance_note']}" if v.get("distance_note") else "")),
            ("median distance to the nearest training model: generated / held-out",
             f"{_num(v.get('median_generated'), '.4g')} / {_num(v.get('median_heldout'), '.4g')}"),
            ("copy flags (closer than that training model's own nearest): generated / held-out",
             " / ".join(str(x) for x in (v.get("copy_flags") or {}).values()))]
    if v.get("median_nn_ratio"):
        r = v["median_nn_ratio"]
        rows.append(("median nearest / second-nearest ratio: generated / held-out",
                     f"{_num(r.get('generated'), '.3f')} / {_num(r.get('heldout'), '.3f')}"))
    b = v.get("behaviour")
    if b:
        rows.append((f"behaviour: {b.get('statistic')}",
                     f"{b.get('verdict')} — Z_U = {_num(b.get('z_u'), '.2f')}, "
                     f"p = {_num(b.get('p_value'), '.2g')}, A = "
                     f"{_num(b.get('closer_chance'), '.3f')}"))
    if "beats_noise" in v:
        rows.append(("noise baselines the generator beats (as good and newer)",
                     ", ".join(v["beats_noise"]) or "none"))
    body = "".join(f"<tr><th style='text-align:left'>{esc(str(k))}</th><td>{esc(str(x))}</td>"
                   f"</tr>" for k, x in rows)
    return [f"<div class='verdict'><h2>Audit verdict: {esc(str(v.get('verdict')))}</h2>",
            f"<p>{esc(str(v.get('reason', '')))}</p><table>{body}</table></div>"]


def _paper_section(comparison: pd.DataFrame | None, scale: str) -> list[str]:
    """The paper's numbers beside this run's: the scale, then per table its one-line verdict on
    the direction of the paper's result and the numbers it rests on."""
    esc = html.escape
    parts = ["<h2>The paper beside this run</h2>", f"<p>{esc(scale)}</p>"]
    if comparison is None or comparison.empty:
        return parts + ["<p>No paper numbers for the methods of this run.</p>"]
    parts.append("<ul>" + "".join(f"<li>{esc(v)}</li>" for v in
                                  comparison.drop_duplicates(["method", "table"]).verdict) + "</ul>")
    for (method, table), g in comparison.groupby(["method", "table"], sort=False):
        parts += [f"<h3>{esc(method)}: {esc(table)} (reference row: {esc(g.reference.iloc[0])})</h3>",
                  f"<p>{esc(g.verdict.iloc[0])}</p>",
                  _side_by_side(g).to_html(index=False, na_rep="")]
    return parts


def _side_by_side(g: pd.DataFrame) -> pd.DataFrame:
    """One line per row of a paper table: for each quantity the paper's value, this run's, and
    the two directions against the reference row ('<' / '>', paper first)."""
    out = pd.DataFrame({"row": list(dict.fromkeys(g["row"]))})
    for q, gq in g.groupby("quantity", sort=False):
        r = gq.set_index("row")
        out[f"{q}: paper"] = out.row.map(r["paper"])
        out[f"{q}: this run"] = out.row.map(r["run"]).map(
            lambda v: "not computed" if pd.isna(v) else f"{v:.4g}")
        pd_, rd = r["paper_direction"].fillna(""), r["run_direction"].fillna("")
        if (pd_ != "").any():  # quantities with no direction (e.g. parameter counts) get none
            dirs = (pd_ + " / " + rd.where(rd != "", "–")).where(pd_ != "", "")
            out[f"{q}: vs reference (paper / run)"] = out.row.map(dirs)
    return out
