"""Rule hd_figure_permutation: rendered samples of every permutation-augmentation setting."""
import pandas as pd

from weightmem.figures.shapes import render_settings
from weightmem.io import load_weightset, save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.permutation_augmentation")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
table = pd.read_csv(i.table)
sets = {v: load_weightset(f) for v, f in zip(p.variants, i.weights)}
fig = render_settings(sets, table, p.figures["render_resolution"], p.evaluation["level"],
                      "HyperDiffusion trained with permuted copies of its fields: samples",
                      n_show=p.n_show)
save_figure(fig, snakemake.output[0])  # noqa: F821
