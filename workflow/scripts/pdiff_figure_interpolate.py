"""Rule pdiff_figure_interpolate: accuracy vs novelty for training/generated/average/gaussian."""
import pandas as pd

from weightmem.figures import classifier as figures
from weightmem.methods.pdiff import METHOD
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "pdiff.figure.interpolate")  # noqa: F821
tables = {name: pd.read_csv(path) for name, path in snakemake.input.items()}  # noqa: F821
for name, df in tables.items():
    ctx.log.info("%-10s accuracy %.2f  max-similarity %.3f  min-L2 %.3f", name,
                 df.accuracy.mean(), df.max_similarity.mean(), df.min_l2.mean())
fig = figures.performance_vs_novelty(tables, "pdiff: accuracy vs novelty (interpolation baselines)",
                                     METHOD.quality, METHOD.novelty, seed=snakemake.params.seed)  # noqa: F821
save_figure(fig, snakemake.output[0])  # noqa: F821
