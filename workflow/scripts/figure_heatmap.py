"""Rule figure_heatmap: generated models above their nearest training models (by plain L2 the
training set is streamed, not loaded: weightmem.figures.classifier.heatmap_from_files)."""
from weightmem import methods
from weightmem.figures import classifier as figures
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.heatmap")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
fig = figures.heatmap_from_files(snakemake.input.generated, snakemake.input.training,  # noqa: F821
                                 snakemake.params.distance,  # noqa: F821
                                 f"{method.name}: generated (red) and 3 nearest training "
                                 f"{method.noun}s", seed=snakemake.params.seed)  # noqa: F821
save_figure(fig, snakemake.output[0])  # noqa: F821
