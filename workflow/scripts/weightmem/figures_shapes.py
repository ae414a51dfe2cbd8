"""Figure data for HyperDiffusion's shape panels (hyperdiffusion.md §6): rendered meshes of
generated fields beside their nearest training field, and min CD to test vs to training."""
from __future__ import annotations

import pandas as pd

from . import plots
from .io import WeightSet
from .metrics import shapes as M
from .nets.field import from_tag
from .plots.meshes import render_pairs


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


def performance_vs_novelty(tables: dict[str, pd.DataFrame], title: str, seed: int = 0,
                           colours: dict | None = None):
    series = {name: (df["min_cd_train"].to_numpy(), df["min_cd_test"].to_numpy())
              for name, df in tables.items()}
    return plots.performance_vs_novelty(series, title, xlabel="min Chamfer distance to training shapes",
                                        ylabel="min Chamfer distance to test shapes", seed=seed,
                                        colours=colours)
