"""Rule hd_figure_heatmap: generated fields above their 3 nearest training fields (raw weights)."""
from weightmem import figures
from weightmem.io import load_weightset, save_figure
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.figure.heatmap")  # noqa: F821
fig = figures.heatmap(load_weightset(snakemake.input.generated),  # noqa: F821
                      load_weightset(snakemake.input.training), "plain",  # noqa: F821
                      "hyperdiffusion: generated (red) and 3 nearest training fields",
                      seed=snakemake.params.seed)  # noqa: F821
save_figure(fig, snakemake.output[0])  # noqa: F821
