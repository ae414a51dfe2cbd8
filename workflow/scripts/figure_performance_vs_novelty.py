"""Rule figure_performance_vs_novelty: accuracy vs maximum similarity, four series."""
import pandas as pd

from weightmem import figures, plots
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.performance_vs_novelty")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
tables = {name: pd.read_csv(path) for name, path in
          zip(["training", "generated", *p.noise_sets], [i.training, i.generated, *i.noise])}
colours = plots.scatter_colours(p.noise_sets)
for name, df in tables.items():
    ctx.log.info("%-12s accuracy %.2f  max-similarity %.3f", name, df.accuracy.mean(),
                 df.max_similarity.mean())
fig = figures.performance_vs_novelty(tables, f"{snakemake.wildcards.method}: accuracy vs novelty",  # noqa: F821
                                     seed=p.seed, colours=colours)
save_figure(fig, snakemake.output[0])  # noqa: F821
