"""Rule figure_performance_vs_novelty: the method's quality against its novelty column, for the
training, generated and noise-baseline sets."""
import pandas as pd

from weightmem import methods
from weightmem.figures import classifier as figures
from weightmem.figures import plots
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.performance_vs_novelty")  # noqa: F821
i, p = snakemake.input, snakemake.params  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
q, n = method.quality, method.novelty
tables = {name: pd.read_csv(path) for name, path in
          zip(["training", "generated", *p.noise_sets], [i.training, i.generated, *i.noise])}
for name, df in tables.items():
    ctx.log.info("%-12s %s %.4g  %s %.4g", name, q.name, df[q.name].mean(), n.name,
                 df[n.name].mean())
fig = figures.performance_vs_novelty(tables, f"{method.name}: {q.short or q.name} vs novelty", q, n,
                                     seed=p.seed, colours=plots.scatter_colours(p.noise_sets))
save_figure(fig, snakemake.output[0])  # noqa: F821
