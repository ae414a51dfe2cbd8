"""Rule figure_heatmap: generated models above their nearest training models."""
from weightmem import methods
from weightmem.figures import classifier as figures
from weightmem.io import load_weightset, save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.heatmap")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
fig = figures.heatmap(load_weightset(snakemake.input.generated),  # noqa: F821
                      load_weightset(snakemake.input.training), snakemake.params.distance,  # noqa: F821
                      f"{method.name}: generated (red) and 3 nearest training {method.noun}s",
                      seed=snakemake.params.seed)  # noqa: F821
save_figure(fig, snakemake.output[0])  # noqa: F821
