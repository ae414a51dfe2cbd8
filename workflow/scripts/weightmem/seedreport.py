"""No finding on one seed: the study's findings F1-F5 over several runs of the whole DAG.

``weightmem seeds`` runs the DAG once per seed of ``seeds:`` (config/seeds.yaml) into
``<results>/seed<N>``; each run's report decides the findings from its own tables
(weightmem.report, ``tables/findings.csv``) and summarises every weight set
(``tables/summary.csv``). This module sets those side by side:

* :func:`by_seed` — every finding of every seed, with its verdict, Z_U, p and evidence (long);
* :func:`across` — one row per (finding, method): holds / verdict / Z_U per seed, in how many
  seeds it holds, and ``holds_in_all_seeds`` (a finding that holds in some seeds and not others
  rests on the seed, and says so in ``status``);
* :func:`numbers` — the per-set numbers the findings rest on (median min L2 to training, quality,
  novelty) per seed, with their mean and standard deviation over the seeds;
* :func:`html_page` — all three on one page (``<results>/seeds.html``).
"""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

KEY = ["finding", "method"]
NUMBERS = ["median_min_l2", "quality", "novelty"]


def by_seed(findings: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """The findings tables of every seed in one long table, seed first."""
    if not findings:
        raise ValueError("no seeds: list them under seeds: (config/seeds.yaml)")
    parts = []
    for seed, df in sorted(findings.items()):
        missing = {"finding", "method", "holds", "claim", "evidence"} - set(df.columns)
        if missing:
            raise ValueError(f"seed {seed}: findings table lacks {sorted(missing)}")
        parts.append(df.assign(seed=int(seed))[["seed", *df.columns]])
    out = pd.concat(parts, ignore_index=True)
    out["holds"] = out["holds"].map(_as_bool)
    return out


def _as_bool(v) -> bool:
    if isinstance(v, str):
        if v.strip().lower() not in ("true", "false"):
            raise ValueError(f"'holds' must be True or False, got {v!r}")
        return v.strip().lower() == "true"
    return bool(v)


def across(long: pd.DataFrame) -> pd.DataFrame:
    """One row per (finding, method) over the seeds (:func:`by_seed`'s table). A finding that a
    seed's report does not state (e.g. F5 without modeling factors) counts as not holding there
    and is named in ``status``."""
    seeds = sorted(long.seed.unique())
    rows = []
    for (finding, method), g in long.groupby(KEY, sort=False):
        g = g.set_index("seed")
        row = {"finding": finding, "method": method, "claim": g.claim.iloc[0],
               "seeds": len(seeds)}
        for s in seeds:
            row[f"holds_seed{s}"] = bool(g.holds.get(s, False)) if s in g.index else None
            if "verdict" in g:
                v = g.verdict.get(s) if s in g.index else None
                row[f"verdict_seed{s}"] = None if v is None or pd.isna(v) else v
            if "z_u" in g:
                row[f"z_u_seed{s}"] = float(g.z_u.get(s)) if s in g.index else np.nan
        held = [s for s in seeds if s in g.index and bool(g.holds[s])]
        absent = [s for s in seeds if s not in g.index]
        row["holds_in"] = len(held)
        row["holds_in_all_seeds"] = len(held) == len(seeds)
        row["status"] = _status(held, seeds, absent)
        rows.append(row)
    return pd.DataFrame(rows)


def _status(held: list, seeds: list, absent: list) -> str:
    n = len(seeds)
    if len(held) == n:
        s = "holds in both seeds" if n == 2 else f"holds in all {n} seeds"
    elif not held:
        s = f"holds in none of the {n} seeds"
    else:
        s = (f"holds in {len(held)} of {n} seeds (seed {', '.join(map(str, held))}): rests on "
             f"the seed")
    if absent:
        s += f"; not stated for seed {', '.join(map(str, absent))}"
    return s


def numbers(summaries: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """Per (method, set): each seed's median min L2, quality and novelty (report.summary), and
    their mean and standard deviation over the seeds."""
    parts = [df.assign(seed=int(s)) for s, df in sorted(summaries.items())]
    long = pd.concat(parts, ignore_index=True)
    seeds = sorted(long.seed.unique())
    rows = []
    for (method, name), g in long.groupby(["method", "set"], sort=False):
        g = g.set_index("seed")
        row = {"method": method, "set": name}
        for q in NUMBERS:
            vals = []
            for s in seeds:
                v = float(g[q].get(s, np.nan)) if s in g.index else np.nan
                row[f"{q}_seed{s}"] = v
                vals.append(v)
            v = np.array(vals, dtype=float)
            v = v[np.isfinite(v)]
            row[f"{q}_mean"] = float(v.mean()) if len(v) else np.nan
            row[f"{q}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def read_runs(folders: dict[int, str | Path]) -> tuple[dict[int, pd.DataFrame], dict[int, pd.DataFrame]]:
    """(findings, summaries) of each seed's results folder."""
    f, s = {}, {}
    for seed, d in folders.items():
        d = Path(d)
        f[seed] = pd.read_csv(d / "tables" / "findings.csv")
        s[seed] = pd.read_csv(d / "tables" / "summary.csv")
    return f, s


def html_page(across_df: pd.DataFrame, long: pd.DataFrame, numbers_df: pd.DataFrame,
              folders: dict[int, str]) -> str:
    esc = html.escape
    seeds = sorted(folders)
    all_hold = across_df[across_df.holds_in_all_seeds]
    mixed = across_df[(across_df.holds_in > 0) & ~across_df.holds_in_all_seeds]
    lines = [f"{r.finding} {r.method}: {r.status}" for r in across_df.itertuples()]
    parts = ["<!doctype html><meta charset='utf-8'><title>weightmem: findings over seeds</title>",
             "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}"
             "table{border-collapse:collapse;margin-bottom:1.5em}</style>",
             f"<h1>Findings over {len(seeds)} seeds ({', '.join(map(str, seeds))})</h1>",
             "<p>The whole DAG ran once per seed (every stage's seed = the seed + its offset; "
             "the zoos' run seeds 1,000,000 apart per seed, so no two seeds share a run; "
             "weightmem.seeds), each into its own folder: "
             + ", ".join(f"<a href='{esc(str(folders[s]))}/report.html'>seed {s}</a>"
                         for s in seeds)
             + ". Each seed's report decided the findings from its own tables; this page sets "
             f"them side by side. Holding in every seed: {len(all_hold)} of {len(across_df)}; "
             f"resting on the seed (holds in some, not all): {len(mixed)}.</p>",
             "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>",
             "<h2>Each finding per seed</h2>",
             across_df.to_html(index=False, float_format="%.3g", na_rep=""),
             "<h2>The numbers per set and seed</h2>",
             numbers_df.to_html(index=False, float_format="%.4g", na_rep=""),
             "<h2>Every seed's findings with their evidence</h2>",
             long.to_html(index=False, float_format="%.3g", na_rep="")]
    return "\n".join(parts)
