"""Rule figure_modeling_factors: performance against novelty per generator variant, one panel per
method (its performance column from its declaration)."""
import pandas as pd

from weightmem import methods
from weightmem.factors import FACTORS
from weightmem.figures import plots
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.modeling_factors")  # noqa: F821
df = pd.read_csv(snakemake.input.table)  # noqa: F821
panels = []
for name in snakemake.params.methods:  # noqa: F821
    decl = methods.get(name, snakemake.config)  # noqa: F821
    col = decl.factor_performance
    panels.append((decl.title or name, df[df.method == name], col.name, col.label or col.name,
                   col.higher_is_better))
fig = plots.modeling_factors(panels, {"default": "default", **FACTORS})
save_figure(fig, snakemake.output[0])  # noqa: F821
