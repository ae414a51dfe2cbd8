"""The paper's numbers beside this run's (config/paper_numbers.yaml; the report's "paper" section).

Every table of the paper's numbers names the computed table its rows are found in and a reference
row. The *direction* of the paper's result is the sign of (row − reference) in the paper's own
numbers, quantity by quantity (e.g. generated mean min L2 below training's); this run reproduces
it where its numbers have the same sign. Nothing here states an expected outcome: both signs are
computed, and a table's verdict is how many of its comparisons agree.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

# computed tables the paper's rows can be looked up in → their row-name column
KEYS = {"sets": "set", "modeling_factors": "variant", "invariance": "transform"}
SIGN = {1: ">", -1: "<", 0: "="}


def load(path: str | Path) -> dict:
    """The paper's numbers, checked: every table names a known computed table, a reference row it
    has, and numbers, [low, high] ranges or null."""
    doc = yaml.safe_load(Path(path).read_text()) or {}
    problems = []
    for method, tables in doc.items():
        if method == "quantities":
            continue
        for name, t in (tables or {}).items():
            key = f"{method}.{name}"
            if t.get("compare_to") not in KEYS:
                problems.append(f"{key}.compare_to: '{t.get('compare_to')}' is not one of "
                                f"{', '.join(KEYS)}")
            rows = t.get("rows") or {}
            if t.get("reference") not in rows:
                problems.append(f"{key}.reference: '{t.get('reference')}' is not one of its rows")
            for row, values in rows.items():
                for q, v in (values or {}).items():
                    if not _valid(v):
                        problems.append(f"{key}.rows.{row}.{q}: {v!r} is not a number, a "
                                        f"[low, high] range or null")
    if problems:
        raise ValueError(f"{path}:\n  " + "\n  ".join(problems))
    return doc


def _valid(v) -> bool:
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return True
    return (isinstance(v, list) and len(v) == 2 and all(_valid(x) and x is not None for x in v)
            and v[0] <= v[1])


def value(v) -> float:
    """A paper value as one number: the midpoint of a range, NaN where not stated."""
    if v is None:
        return math.nan
    if isinstance(v, list):
        return (float(v[0]) + float(v[1])) / 2
    return float(v)


def shown(v) -> str:
    """A paper value as the spec gives it ('≈0.2–0.6' for a range read off a figure)."""
    if v is None:
        return "not stated"
    if isinstance(v, list):
        return f"≈{_num(v[0])}–{_num(v[1])}"
    return _num(v)


def _num(v) -> str:
    """As the spec writes it: 94.0, 0.026, 378M, 1.4B."""
    for size, unit in ((1e9, "B"), (1e6, "M")):
        if abs(v) >= size:
            return f"{v / size:.4g}{unit}"
    return str(v)


def tables_for(doc: dict, method: str) -> dict:
    """The paper's tables of one method ({} for a method the paper has no numbers for)."""
    return {k: v for k, v in (doc.get(method) or {}).items()}


def row_values(doc: dict, method: str, table: str) -> dict[str, dict[str, float]]:
    """row → quantity → number (midpoints) of one of the paper's tables."""
    t = tables_for(doc, method).get(table) or {}
    return {r: {q: value(v) for q, v in (vals or {}).items()} for r, vals in t.get("rows", {}).items()}


def scale_line(config: dict) -> str:
    """The scale of the run as the config states it (``scale``), with the data its methods use."""
    scale = config.get("scale", "embedded")
    data = config.get("data") or {}
    used = sorted({data[config[m]["dataset"]]["source"] for m in config.get("methods", [])
                   if isinstance(config.get(m), dict) and config[m].get("dataset") in data})
    what = {"embedded": "embedded (shrunken counts and widths; the paper's numbers come from the "
                        "full-size study, so compare directions, not magnitudes)",
            "paper": "paper (the study's sizes)"}.get(scale, scale)
    return f"Scale of this run: {what}; image data: {', '.join(used) or 'none'}."


def _sign(x: float) -> int:
    return int(np.sign(x)) if np.isfinite(x) else 0


def compare(doc: dict, computed: dict[str, pd.DataFrame], methods: list[str],
            scale: str) -> pd.DataFrame:
    """One row per (method, paper table, row, quantity): the paper's value beside this run's, the
    two directions against the table's reference row, and the table's verdict.

    ``computed``: compare_to name → computed table (a ``method`` column where it holds several
    methods; the row-name column of :data:`KEYS`)."""
    out = []
    for method in methods:
        for name, t in tables_for(doc, method).items():
            ref = t["reference"]
            run = _run_rows(computed.get(t["compare_to"]), t["compare_to"], method)
            rows = []
            for row, vals in t["rows"].items():
                for q, v in (vals or {}).items():
                    p, p_ref = value(v), value((t["rows"][ref] or {}).get(q))
                    r = _lookup(run, row, q)
                    r_ref = _lookup(run, ref, q)
                    p_dir = _sign(p - p_ref) if row != ref and np.isfinite(p - p_ref) else None
                    r_dir = (_sign(r - r_ref) if p_dir is not None and np.isfinite(r - r_ref)
                             else None)
                    rows.append({"scale": scale, "method": method, "table": name, "row": row,
                                 "quantity": q, "paper": shown(v), "paper_value": p, "run": r,
                                 "reference": ref,
                                 "paper_direction": SIGN[p_dir] if p_dir else "",
                                 "run_direction": SIGN[r_dir] if r_dir is not None else "",
                                 "agrees": (pd.NA if p_dir is None or r_dir is None
                                            else bool(p_dir == r_dir))})
            verdict, line = _verdict(method, name, ref, rows)
            out += [{**r, "reproduced": verdict, "verdict": line} for r in rows]
    cols = ["scale", "method", "table", "row", "quantity", "paper", "paper_value", "run",
            "reference", "paper_direction", "run_direction", "agrees", "reproduced", "verdict"]
    df = pd.DataFrame(out, columns=cols)
    df["agrees"] = df["agrees"].astype("boolean")
    return df


def _run_rows(df: pd.DataFrame | None, kind: str, method: str) -> pd.DataFrame | None:
    if df is None or df.empty:
        return None
    if "method" in df:
        df = df[df["method"] == method]
    return df.drop_duplicates(KEYS[kind]).set_index(KEYS[kind])


def _lookup(run: pd.DataFrame | None, row: str, q: str) -> float:
    if run is None or row not in run.index or q not in run.columns:
        return math.nan
    try:
        return float(run.loc[row, q])
    except (TypeError, ValueError):
        return math.nan


def _verdict(method: str, table: str, ref: str, rows: list[dict]) -> tuple[str, str]:
    """'yes' (every comparison agrees), 'partly', 'no' or 'not computed', and its one line."""
    stated = [r for r in rows if r["paper_direction"]]
    done = [r for r in stated if r["agrees"] is not pd.NA]
    agree = [r for r in done if r["agrees"]]
    head = f"{method} {table}:"
    if not stated:
        return "not computed", (f"{head} direction not checked — the paper's numbers give none "
                                f"against {ref}")
    if not done:
        return "not computed", (f"{head} direction not checked — this run computed none of the "
                                f"{len(stated)} numbers the comparison with {ref} needs")
    verdict = "yes" if len(agree) == len(done) else ("no" if not agree else "partly")
    word = {"yes": "reproduced", "partly": "partly reproduced", "no": "not reproduced"}[verdict]

    def one(r):
        rr = next(x for x in rows if x["row"] == ref and x["quantity"] == r["quantity"])
        return (f"{r['row']} {r['paper_direction']} {ref} in {r['quantity']} (paper "
                f"{r['paper']} vs {rr['paper']}; this run {r['run']:.4g} vs {rr['run']:.4g})")

    shown_ = done if len(done) <= 4 else [r for r in done if not r["agrees"]][:6]
    detail = "; ".join(one(r) for r in shown_)
    if len(done) > 4:
        detail = f"disagreeing: {detail}" if detail else "all agree"
    missing = len(stated) - len(done)
    tail = f"; {missing} not computed in this run" if missing else ""
    return verdict, (f"{head} direction of the paper's result {word} — {len(agree)} of "
                     f"{len(done)} comparisons with {ref} agree ({detail}){tail}")


def directions(df: pd.DataFrame) -> pd.DataFrame:
    """One line per (method, table): its verdict."""
    return (df.drop_duplicates(["method", "table"])[["method", "table", "reproduced", "verdict"]]
            .reset_index(drop=True))
