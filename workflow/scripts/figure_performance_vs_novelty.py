"""Rule figure_performance_vs_novelty: accuracy vs maximum similarity, four series."""
import pandas as pd

from weightmem import figures, plots
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.performance_vs_novelty")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
tables = {"training": pd.read_csv(i.training), "generated": pd.read_csv(i.generated)}
colours = dict(plots.COLOURS)
for name, path, col in zip(p.noise_sets, i.noise, ("noise_low", "noise_high")):
    tables[name] = pd.read_csv(path)
    colours[name] = plots.COLOURS[col]
for name, df in tables.items():
    ctx.log.info("%-12s accuracy %.2f  max-similarity %.3f", name, df.accuracy.mean(),
                 df.max_similarity.mean())
fig = figures.performance_vs_novelty(tables, f"{snakemake.wildcards.method}: accuracy vs novelty",  # noqa: F821
                                     seed=p.seed, colours=colours)
save_figure(fig, snakemake.output[0])  # noqa: F821
