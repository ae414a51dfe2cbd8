"""The study's multi-method figures (docs/study.md: "each also as a 4-panel study figure") and the
bar chart of Hyper-Rep's invariance analysis beside the paper's bars (docs/hyperrep.md §6.2).

Panels drawn from tables get real axes (the per-method plot functions draw into them); panels whose
figure is itself a grid of axes (weight heatmaps, decision boundaries, rendered shapes) are the
per-method PNGs, placed side by side.
"""
from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd

from weightmem.figures.plots import plt, style


def panel_label(i: int, title: str) -> str:
    return f"({string.ascii_lowercase[i % 26]}) {title}"


def panels(n: int, width: float, height: float, max_cols: int = 4):
    """A figure with ``n`` panels of ``width`` × ``height`` inches, at most ``max_cols`` a row;
    unused cells are switched off. Returns (figure, the n axes)."""
    style()
    cols = max(1, min(n, max_cols))
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_axis_off()
    return fig, flat[:n]


def composed(images: list[np.ndarray], titles: list[str], title: str, width: float = 4.6):
    """The per-method PNGs side by side, each under its panel label, at its own aspect ratio."""
    aspect = max((im.shape[0] / im.shape[1] for im in images), default=1.0)
    fig, axes = panels(len(images), width, width * aspect + 0.4)
    for i, (ax, im, t) in enumerate(zip(axes, images, titles)):
        ax.imshow(im, interpolation="lanczos")
        ax.set_anchor("N")  # tops (and panel labels) in line whatever each image's height
        ax.set_axis_off()
        ax.set_title(panel_label(i, t), fontsize=11, loc="left")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


TRANSFORM_LABELS = {"original": "original\n(different models)",
                    "permuted": "permuted\n(neuron permutation)",
                    "scaled": "scaled\n(positive rescaling)"}


def invariance_bars(run: pd.DataFrame, paper: dict[str, dict[str, float]], title: str,
                    quantities: dict[str, str] | None = None):
    """Grouped bars per transform (original / permuted / scaled): this run's value beside the
    paper's, one panel per quantity (|accuracy difference| and 1 − similarity). ``run``: the
    invariance table (transform, models, abs_accuracy_difference, one_minus_similarity);
    ``paper``: transform → quantity → value (NaN or absent: no paper bar)."""
    quantities = quantities or {"abs_accuracy_difference": "|accuracy difference| (%)",
                                "one_minus_similarity": "1 − prediction similarity"}
    order = list(dict.fromkeys([*[t for t in TRANSFORM_LABELS if t in set(run["transform"])],
                                *run["transform"]]))
    r = run.set_index("transform")
    fig, axes = panels(len(quantities), 4.8, 3.8)
    x = np.arange(len(order))
    w = 0.38
    for ax, (q, label) in zip(axes, quantities.items()):
        ours = np.array([float(r.loc[t, q]) for t in order])
        theirs = np.array([float(paper.get(t, {}).get(q, np.nan)) for t in order])
        b1 = ax.bar(x - w / 2, ours, w, color="tab:blue", label="this run")
        b2 = ax.bar(x + w / 2, np.nan_to_num(theirs), w, color="lightgrey", edgecolor="dimgrey",
                    hatch="//", label="paper")
        for bars, vals in ((b1, ours), (b2, theirs)):
            for b, v in zip(bars, vals):
                ax.annotate("n/a" if not np.isfinite(v) else f"{v:.3g}" if abs(v) >= 5e-4 else "0",
                            (b.get_x() + b.get_width() / 2, b.get_height()),
                            ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                            textcoords="offset points")
        top = np.nanmax(np.concatenate([ours, theirs, [0.0]]))
        ax.set_ylim(0, top * 1.3 if top > 0 else 1)  # room for the labels and the legend
        ax.set_xticks(x)
        ax.set_xticklabels([TRANSFORM_LABELS.get(t, t) for t in order], fontsize=8)
        ax.set_ylabel(label)
        ax.legend(frameon=False, fontsize=8, loc="upper center", ncol=2)
    models = ", ".join(f"{t} {int(r.loc[t, 'models'])}" for t in order if "models" in r)
    fig.suptitle(f"{title}\n(models per bar in this run: {models})", fontsize=10)
    fig.tight_layout()
    return fig
