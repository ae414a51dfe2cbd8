"""Rule hd_figure_performance_vs_novelty: min CD to test vs min CD to training, four series."""
import pandas as pd

from weightmem import plots
from weightmem.figures_shapes import performance_vs_novelty
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.figure.performance_vs_novelty")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
tables = {name: pd.read_csv(path) for name, path in
          zip(["training", "generated", *p.noise_sets], [i.training, i.generated, *i.noise])}
colours = plots.scatter_colours(p.noise_sets)
for name, df in tables.items():
    ctx.log.info("%-12s min-CD train %.4f  min-CD test %.4f  empty %d", name,
                 df.min_cd_train.median(), df.min_cd_test.median(), int(df["empty"].sum()))
fig = performance_vs_novelty(tables, "hyperdiffusion: quality vs novelty", seed=p.seed,
                             colours=colours)
save_figure(fig, snakemake.output[0])  # noqa: F821
