"""Figure data for the per-method panels: pick models, compute what the plot shows, call plots."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from weightmem.figures import plots
from weightmem.data.images import ImageData
from weightmem.evaluation.classifier import distances
from weightmem.io import WeightSet
from weightmem.resources import GRID_BLOCK
from weightmem.nets import get as get_arch
from weightmem.figures.pca_grid import pca_grid


def heatmap(gen: WeightSet, train: WeightSet, distance: str, title: str, n_gen: int = 3,
            k: int = 3, n_idx: int = 64, seed: int = 0):
    """Generated models 0..n_gen−1, each above its k nearest training models (aligned into the
    generated model's neuron order when the distance is permutation-aligned or weight-matched;
    docs/gpt.md §6)."""
    n_gen = min(n_gen, len(gen))
    sub = gen.subset(list(range(n_gen)))
    d, idx, perms = distances(sub, train, distance, exclude_self=False, k=k)
    neigh = train.weights[idx]  # [G, k, D]
    if distance == "matched":  # each neighbour in the generated model's unit order
        from weightmem.evaluation.matching import apply, permutation_structure

        s = permutation_structure(train.layout)
        neigh = torch.stack([torch.stack([torch.from_numpy(apply(s, neigh[g, j].numpy(),
                                                                 perms[g][j])).float()
                                          for j in range(neigh.shape[1])]) for g in range(n_gen)])
    elif perms is not None:
        arch = get_arch(train.arch)
        neigh = torch.stack([torch.stack([arch.permute_hidden(neigh[g, j], perms[g, j])
                                          for j in range(neigh.shape[1])]) for g in range(n_gen)])
    return _draw_heatmap(sub.weights, neigh, d, title, n_idx, seed)


def _draw_heatmap(gen_w: torch.Tensor, neigh: torch.Tensor, d: torch.Tensor, title: str,
                  n_idx: int, seed: int):
    """``n_idx`` seeded columns of the generated models [G, D] above their neighbours
    [G, k, D] (distances [G, k])."""
    dim = gen_w.shape[1]
    cols = np.sort(np.random.default_rng(seed).choice(dim, size=min(n_idx, dim), replace=False))
    return plots.heatmap(gen_w.numpy(), neigh.numpy(), cols, title, d.numpy())


class _FirstRows:
    """The first ``n`` rows of a column-range source (weightmem.evaluation.weights.ArraySource's
    interface)."""

    def __init__(self, source, n: int):
        self.source, self.n, self.dim = source, n, source.dim

    def columns(self, start: int, stop: int, rows=None, out=None):
        return self.source.columns(start, stop, range(self.n) if rows is None else rows, out=out)


def heatmap_from_files(gen_path, train_path, distance: str, title: str, n_gen: int = 3,
                       k: int = 3, n_idx: int = 64, seed: int = 0):
    """:func:`heatmap` from the weight files. By plain L2 the training set is streamed (its
    nearest rows found by column chunks, then only those read), so sets larger than memory work
    and the figure is the one :func:`heatmap` draws; by aligned or matched L2 (small networks)
    both sets are loaded."""
    from weightmem.audit import FileSource
    from weightmem.evaluation.weights import nearest_streamed
    from weightmem.io import load_weightset, read_weightset_header

    if distance != "plain":
        return heatmap(load_weightset(gen_path), load_weightset(train_path), distance, title,
                       n_gen, k, n_idx, seed)
    head, thead = read_weightset_header(gen_path), read_weightset_header(train_path)
    if thead.dim != head.dim:
        raise ValueError(f"{gen_path}: D={head.dim}, but {train_path} has D={thead.dim}")
    n_gen = min(n_gen, head.n)
    gsrc, tsrc = FileSource(gen_path), FileSource(train_path)
    d, idx = nearest_streamed(_FirstRows(gsrc, n_gen), tsrc, k=k)
    neigh = torch.stack([tsrc.columns(0, head.dim, row.tolist()) for row in idx])
    return _draw_heatmap(gsrc.columns(0, head.dim, range(n_gen)), neigh, d, title, n_idx, seed)


def min_distance_label(distance: str, histogram_reference: str | None = None) -> str:
    """The histogram's x label: the method's weight distance, to its histogram reference."""
    label = {"aligned": "min permutation-aligned L2 to training weights",
             "matched": "min weight-matched L2 (upper bound) to training weights"}.get(
        distance, "min L2 to training weights")
    if histogram_reference:  # e.g. Hyper-Rep: one final-epoch model per run
        label = label.replace("training weights", f"{histogram_reference} models")
    return label


def min_distance(train_table: pd.DataFrame, gen_table: pd.DataFrame, title: str, xlabel: str,
                 ax=None):
    """Histogram of min L2; where the tables carry a separate histogram reference (hyperrep:
    final-epoch models), its distances, and only the training rows that belong to it."""
    if "min_l2_reference" in train_table:
        tr = train_table[train_table["in_reference"].astype(bool)]["min_l2_reference"]
        return plots.min_distance_histogram(tr.to_numpy(), gen_table["min_l2_reference"].to_numpy(),
                                            title, xlabel, ax=ax)
    return plots.min_distance_histogram(train_table["min_l2"].to_numpy(),
                                        gen_table["min_l2"].to_numpy(), title, xlabel, ax=ax)


def decision_boundary(gen: WeightSet, train: WeightSet, gen_table: pd.DataFrame, data: ImageData,
                      title: str, res: int = 300, n_gen: int = 3, classes: list[int] | None = None):
    """Predicted class on the PCA grid of the test images for generated models 0..n−1 and their
    nearest training model (by the method's weight distance)."""
    arch = get_arch(gen.arch, gen.layout)
    imgs = data.x_test
    grid, extent = pca_grid(imgs, res)
    x = torch.from_numpy(grid)
    x = x.reshape(len(x), -1) if gen.arch.startswith("mlp") else x
    shown = np.flatnonzero(gen_table["nearest_by_l2"].notna().to_numpy())[:n_gen]  # not diverged
    n_gen = len(shown)
    near = gen_table["nearest_by_l2"].to_numpy()[shown].astype(np.int64)

    def predict(w: torch.Tensor) -> np.ndarray:
        # the grid in blocks of images: a CNN's activations for all res² images of several
        # models at once took 8.6 GB at res 300 (Hyper-Rep's default figure)
        out = []
        with torch.no_grad():
            for start in range(0, len(x), GRID_BLOCK):
                z = arch.forward(w, x[start:start + GRID_BLOCK])
                if classes is not None:
                    z = z[..., classes]
                out.append(z.nan_to_num(nan=-np.inf).argmax(-1))
        return torch.cat(out, dim=-1).reshape(len(w), res, res).numpy()

    g_maps = predict(gen.weights[torch.as_tensor(shown)])
    t_maps = predict(train.weights[torch.as_tensor(near)])
    agree = (g_maps == t_maps).mean(axis=(1, 2))
    captions = [(f"#{shown[j]}", f"#{near[j]} (agree {100 * agree[j]:.0f}%)")
                for j in range(n_gen)]
    return plots.decision_boundaries(g_maps, t_maps, extent, title,
                                     n_classes=len(classes) if classes else data.n_classes,
                                     captions=captions), agree


def performance_vs_novelty(tables: dict[str, pd.DataFrame], title: str, quality, novelty,
                           seed: int = 0, colours: dict | None = None, ax=None):
    """Scatter of the method's quality column (y) against its novelty column (x), one series per
    set (``quality`` / ``novelty``: the declaration's weightmem.methods.Column)."""
    series = {name: (df[novelty.name].to_numpy(), df[quality.name].to_numpy())
              for name, df in tables.items()}
    return plots.performance_vs_novelty(series, title, xlabel=novelty.label, ylabel=quality.label,
                                        seed=seed, colours=colours, ax=ax)
