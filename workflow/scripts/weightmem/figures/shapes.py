"""Figure data for HyperDiffusion's shape panels (docs/hyperdiffusion.md §6): rendered meshes of
generated fields beside their nearest training field (performance vs novelty is the shared figure)."""
from __future__ import annotations

import pandas as pd

from weightmem.io import WeightSet
from weightmem.evaluation import shapes as M
from weightmem.nets.field import from_tag
from weightmem.figures.meshes import render_grid, render_pairs


def render_shapes(gen: WeightSet, train: WeightSet, gen_table: pd.DataFrame, res: int,
                  level: float, title: str, n_gen: int = 3):
    """Generated fields 0..n−1 (left) and the training field nearest in weight L2 (right), both
    meshed the same way."""
    arch = from_tag(gen.arch)
    n_gen = min(n_gen, len(gen))
    near = gen_table["nearest_by_l2"].to_numpy()[:n_gen]
    grids_g = M.grid_logits(arch, gen.weights[:n_gen], res).numpy()
    grids_t = M.grid_logits(arch, train.weights[near], res).numpy()
    left = [M.mesh_from_grid(g, level) for g in grids_g]
    right = [M.mesh_from_grid(g, level) for g in grids_t]
    l2 = gen_table["min_l2"].to_numpy()[:n_gen]
    shape = train.rows.get("shape", [str(i) for i in range(len(train))])
    captions = [(f"generated #{g}", f"nearest training {shape[near[g]]} (L2 {l2[g]:.2f})")
                for g in range(n_gen)]
    return render_pairs(left, right, captions, title)


def render_settings(sets: dict[str, WeightSet], table: pd.DataFrame, res: int, level: float,
                    title: str, n_show: int = 4):
    """Study output 10: the first ``n_show`` samples of each setting's weight set (one row per
    setting, labelled with its row of the permutation-augmentation ``table``: permuted copies,
    MMD, empty meshes), meshed as in the evaluation."""
    rows, labels, captions = [], [], []
    for r in table.itertuples():
        ws = sets[r.variant]
        arch = from_tag(ws.arch)
        k = min(n_show, len(ws))
        grids = M.grid_logits(arch, ws.weights[:k], res).numpy()
        rows.append([M.mesh_from_grid(g, level) for g in grids])
        labels.append(f"+{r.permutations} perm. (×{r.data_multiplier} data)"
                      if r.permutations else "no augmentation")
        captions.append([f"#{i}" + (f"  MMD {r.mmd:.3g}, {r.empty}/{r.samples} empty"
                                    if i == 0 else "") for i in range(k)])
    return render_grid(rows, labels, captions, title)
