"""P-diff-only figures (docs/pdiff.md §5.3): parameter-value KDEs, t-SNE of the interpolation sets, and
the decision-boundary panel over the selected classes. Same style as :mod:`weightmem.figures.plots`."""
from __future__ import annotations

import numpy as np

from weightmem.figures.plots import COLOURS, decision_boundaries as _boundaries, plt, style

SET_ORDER = ("training", "generated", "average", "gaussian")


def decision_boundaries(gen_maps, train_maps, extent, nearest, classes):
    agree = (gen_maps == train_maps).mean(axis=(1, 2))
    captions = [(f"#{g}", f"#{nearest[g]} (agree {100 * agree[g]:.0f}%)")
                for g in range(len(gen_maps))]
    fig = _boundaries(gen_maps, train_maps, extent,
                      f"pdiff: generated vs nearest training model ({len(classes)} classes "
                      f"{classes})", n_classes=len(classes), captions=captions)
    return fig, agree


def param_distribution(train, gen, seed: int = 0, n_coords: int = 5, tensor: int = 0):
    """Per coordinate (``n_coords`` random ones of the layout's first tensor, sorted), a seaborn
    KDE (default bandwidth) of the training values and of the generated values."""
    import seaborn as sns

    style()
    name, shape = train.layout[tensor]
    start = sum(int(np.prod(s)) for _, s in train.layout[:tensor])
    rng = np.random.default_rng(seed)
    coords = np.sort(rng.choice(int(np.prod(shape)), size=n_coords, replace=False))
    fig, axes = plt.subplots(1, n_coords, figsize=(2.6 * n_coords, 2.6), squeeze=False)
    stats = []
    for ax, c in zip(axes[0], coords):
        tv = train.weights[:, start + c].numpy()
        gv = gen.weights[:, start + c].numpy()
        gv = gv[np.isfinite(gv)]
        for vals, label in ((tv, "training"), (gv, "generated")):
            if len(vals) > 1 and np.ptp(vals) > 0:
                sns.kdeplot(x=vals, ax=ax, fill=True, alpha=0.35, color=COLOURS[label],
                            label=label, warn_singular=False)
            else:
                ax.axvline(vals[0] if len(vals) else 0.0, color=COLOURS[label], label=label)
        ax.set_title(f"{name}[{c}]", fontsize=8)
        ax.set_xlabel("value")
        ax.set_ylabel("")
        stats.append((int(c), float(tv.mean()), float(tv.std()), float(gv.mean()), float(gv.std())))
    axes[0, 0].set_ylabel("density")
    axes[0, -1].legend(frameon=False, fontsize=7)
    fig.suptitle("pdiff: parameter value distribution, training vs generated")
    fig.tight_layout()
    return fig, stats


def tsne(sets: dict, seed: int = 0, n: int = 100, random_state: int = 42):
    """t-SNE (scikit-learn, 2 components, random_state 42, otherwise defaults; the perplexity is
    capped below the number of points for tiny runs) of ``n`` random raw vectors per set."""
    from sklearn.manifold import TSNE

    style()
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for name in [s for s in SET_ORDER if s in sets] + [s for s in sets if s not in SET_ORDER]:
        w = sets[name].weights.numpy()
        w = w[np.isfinite(w).all(axis=1)]
        pick = rng.choice(len(w), size=min(n, len(w)), replace=False)
        parts.append(w[pick])
        labels += [name] * len(pick)
    x = np.concatenate(parts).astype(np.float64)
    labels = np.array(labels)
    perplexity = min(30.0, (len(x) - 1) / 3.0)
    emb = TSNE(n_components=2, random_state=random_state, perplexity=perplexity).fit_transform(x)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    centre = {}
    for name in dict.fromkeys(labels):
        e = emb[labels == name]
        ax.scatter(e[:, 0], e[:, 1], s=10, alpha=0.7, color=COLOURS.get(name), label=name,
                   edgecolors="none")
        centre[name] = (float(np.linalg.norm(e.mean(0))), float(e.std(0).mean()))
    ax.set_xlabel("t-SNE 1")
    ax.set_ylabel("t-SNE 2")
    ax.set_title("pdiff: t-SNE of weight vectors")
    ax.legend(frameon=False, fontsize=8)
    return fig, centre
