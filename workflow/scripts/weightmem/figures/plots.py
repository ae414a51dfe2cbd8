"""Figures of the study, one function per figure family, one shared style (docs/study.md outputs 1-7).

Plot functions take small arrays/tables and return a matplotlib Figure; they never train or
evaluate anything, so a colour change never recomputes a model.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: figures are files
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle

# series colours of the study's scatter plots (docs/gpt.md §6, docs/hyperrep.md §6, docs/pdiff.md §5.3)
COLOURS = {"training": "tab:blue", "generated": "red", "noise_low": "#493d8c",
           "noise_high": "orange", "average": "tab:green", "gaussian": "tab:purple"}


def scatter_colours(noise_sets: list[str]) -> dict[str, str]:
    """The study's series colours, with the two noise amplitudes named as their sets are."""
    return {**COLOURS, **dict(zip(noise_sets, (COLOURS["noise_low"], COLOURS["noise_high"])))}


def style() -> None:
    plt.rcParams.update({"figure.dpi": 110, "font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False, "axes.grid": False})


def heatmap(generated: np.ndarray, neighbours: np.ndarray, indices: np.ndarray,
            title: str, distances: np.ndarray | None = None):
    """generated [G, D], neighbours [G, K, D] (aligned if the method aligns), indices [64]:
    for each generated model a block of 1 + K strips, generated on top with a red frame."""
    style()
    G, K = neighbours.shape[:2]
    fig, axes = plt.subplots(G, 1, figsize=(8, 1.1 * G * (K + 1) / 2 + 0.6), squeeze=False)
    for g in range(G):
        ax = axes[g, 0]
        block = np.vstack([generated[g][indices][None], neighbours[g][:, indices]])
        finite = block[np.isfinite(block)]
        lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        im = ax.imshow(block, aspect="auto", cmap="viridis", norm=Normalize(lo, hi),
                       interpolation="nearest")
        for r in range(1, K + 1):  # white separators between strips
            ax.axhline(r - 0.5, color="white", lw=2)
        ax.add_patch(Rectangle((-0.5, -0.5), len(indices), 1, fill=False, ec="red", lw=2.5))
        ax.add_patch(Rectangle((-0.5, 0.5), len(indices), K, fill=False, ec="black", lw=1.5))
        ax.set_yticks(range(K + 1))
        labels = ["generated"] + [f"nearest {k + 1}" + (f" (L2 {distances[g, k]:.3g})"
                                                        if distances is not None else "")
                                  for k in range(K)]
        ax.set_yticklabels(labels, fontsize=7)
        ax.yaxis.tick_right()
        ax.set_xticks([])
        cb = fig.colorbar(im, ax=ax, location="left", format="%.1f", pad=0.02, fraction=0.04)
        cb.ax.tick_params(labelsize=7)
    fig.supylabel("parameter value")
    fig.suptitle(title)
    return fig


def min_distance_histogram(train: np.ndarray, generated: np.ndarray, title: str,
                           xlabel: str = "min L2 to training weights", bins: int = 15, ax=None):
    """15 equal-width bins over the joint range; bar height = % of that set's models. Draws into
    ``ax`` (a panel of a larger figure) when given; returns the figure."""
    style()
    tr, ge = train[np.isfinite(train)], generated[np.isfinite(generated)]
    both = np.concatenate([tr, ge])
    edges = np.linspace(both.min(), both.max(), bins + 1) if both.size else np.linspace(0, 1, bins + 1)
    fig, ax = plt.subplots(figsize=(5, 3.6)) if ax is None else (ax.figure, ax)
    for vals, name, col in ((tr, "training", COLOURS["training"]),
                            (ge, "generated", COLOURS["generated"])):
        w = np.full(len(vals), 100.0 / max(len(vals), 1))
        ax.hist(vals, bins=edges, weights=w, color=col, alpha=0.8, label=f"{name} (n={len(vals)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("% of models")
    ax.set_title(title)
    ax.legend(frameon=False)
    n_bad = (len(train) - len(tr)) + (len(generated) - len(ge))
    if n_bad:
        ax.text(0.99, 0.6, f"{n_bad} non-finite (diverged) not shown", transform=ax.transAxes,
                ha="right", fontsize=8, color="gray")
    return fig


def decision_boundaries(gen_maps: np.ndarray, train_maps: np.ndarray, extent: tuple,
                        title: str, n_classes: int = 10, captions: list[str] | None = None):
    """gen_maps, train_maps [G, H, W] predicted class on the PCA grid; G rows × 2 columns."""
    style()
    G = gen_maps.shape[0]
    fig, axes = plt.subplots(G, 2, figsize=(7, 3.1 * G), squeeze=False)
    xs = np.linspace(extent[0], extent[1], gen_maps.shape[2])
    ys = np.linspace(extent[2], extent[3], gen_maps.shape[1])
    levels = np.arange(-0.5, n_classes + 0.5, 1.0)
    for g in range(G):
        for c, (maps, name) in enumerate(((gen_maps, "generated"), (train_maps, "training"))):
            ax = axes[g, c]
            ax.contourf(xs, ys, maps[g], levels=levels, cmap="tab10", alpha=0.3)
            ax.set_title(name if captions is None else f"{name} {captions[g][c]}", fontsize=9)
            ax.set_xlabel("PCA dimension 1")
            ax.set_ylabel("PCA dimension 2")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def performance_vs_novelty(series: dict[str, tuple[np.ndarray, np.ndarray]], title: str,
                           xlabel: str = "maximum similarity", ylabel: str = "accuracy (%)",
                           n_points: int = 100, seed: int = 0, colours: dict | None = None,
                           ax=None):
    """Scatter, ``n_points`` random models per series (without replacement); into ``ax`` when
    given."""
    style()
    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(5.2, 4)) if ax is None else (ax.figure, ax)
    for name, (x, y) in series.items():
        ok = np.isfinite(x) & np.isfinite(y)
        x, y = x[ok], y[ok]
        pick = rng.choice(len(x), size=min(n_points, len(x)), replace=False) if len(x) else []
        col = (colours or {}).get(name, COLOURS.get(name))
        ax.scatter(x[pick], y[pick], s=12, alpha=0.7, color=col, label=name, edgecolors="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    return fig


def modeling_factors(panels: list[tuple[str, "pd.DataFrame", str, str, bool]], labels: dict):
    """Study output 8: per method (title, its rows of the modeling-factors table, performance
    column, its axis label, higher is better), mean min L2 to training (x) against performance (y)
    per variant, each point labelled; the training row is a star with dashed lines through it.
    A lower-is-better column (MMD) is drawn with its axis inverted, so up = better everywhere."""
    style()
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 4.4), squeeze=False)
    for ax, (title, df, col, ylabel, higher) in zip(axes[0], panels):
        tr = df[df.variant == "training"]
        gen = df[df.variant != "training"]
        ax.scatter(gen.min_l2, gen[col], s=28, color=COLOURS["generated"], zorder=3,
                   label="generator variants")
        d = gen[gen.variant == "default"]
        ax.scatter(d.min_l2, d[col], s=80, facecolors="none", edgecolors="black", zorder=4,
                   label="default generator")
        if len(tr):
            x, y = float(tr.min_l2.iloc[0]), float(tr[col].iloc[0])
            ax.scatter([x], [y], marker="*", s=220, color=COLOURS["training"], zorder=5,
                       label="training models")
            ax.axvline(x, color=COLOURS["training"], ls="--", lw=0.8)
            ax.axhline(y, color=COLOURS["training"], ls="--", lw=0.8)
        if not higher:
            ax.invert_yaxis()
        ax.margins(x=0.25, y=0.08)
        _spread_labels(ax, gen.min_l2.to_numpy(float), gen[col].to_numpy(float),
                       [labels.get(v, v) for v in gen.variant])
        ax.set_xlabel("mean min L2 to training (novelty →)")
        ax.set_ylabel(ylabel + ("" if higher else " (axis inverted: up = better)"))
        ax.set_title(title)
        ax.legend(frameon=False, fontsize=7, loc="best")
    fig.suptitle("Modeling factors: performance against novelty per generator variant")
    fig.tight_layout()
    return fig


def _spread_labels(ax, x, y, texts, gap_pt: float = 9.0, dx_pt: float = 14.0) -> None:
    """Label points to their right; labels closer than ``gap_pt`` points are grouped and each
    group is spread evenly around its points' mean height (kept inside the axes), each label
    joined to its point by a thin line."""
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return
    ax.figure.canvas.draw()  # final limits → display coordinates
    per_pt = ax.figure.dpi / 72.0
    gap = gap_pt * per_pt
    idx = np.nonzero(ok)[0]
    pts = ax.transData.transform(np.c_[x[idx], y[idx]])
    order = np.argsort(pts[:, 1])
    target = pts[order, 1]
    groups = [[k] for k in range(len(target))]  # runs of labels, bottom-up

    def layout(g):
        centre = target[g].mean()
        return centre + gap * (np.arange(len(g)) - (len(g) - 1) / 2)

    merged = True
    while merged:
        merged = False
        for k in range(len(groups) - 1):
            if layout(groups[k])[-1] + gap > layout(groups[k + 1])[0]:
                groups[k:k + 2] = [groups[k] + groups[k + 1]]
                merged = True
                break
    placed = np.concatenate([layout(g) for g in groups])
    lo, hi = ax.get_window_extent().y0 + gap / 2, ax.get_window_extent().y1 - gap / 2
    placed += max(0.0, lo - placed.min()) - max(0.0, placed.max() - hi)
    for j, k in enumerate(order):
        i = idx[k]
        dy = (placed[j] - pts[k, 1]) / per_pt
        ax.annotate(texts[i], (x[i], y[i]), textcoords="offset points", xytext=(dx_pt, dy),
                    fontsize=7, va="center",
                    arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "grey",
                                "shrinkA": 0, "shrinkB": 3})
