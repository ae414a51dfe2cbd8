"""Rule pdiff_figure_tsne: t-SNE of 100 raw vectors each of training/generated/average/gaussian."""
from weightmem.io import load_weightset, save_figure
from weightmem.figures import pdiff as plots
from weightmem.runtime import script

ctx = script(snakemake, "pdiff.figure.tsne")  # noqa: F821
sets = {name: load_weightset(path) for name, path in snakemake.input.items()}  # noqa: F821
fig, centre = plots.tsne(sets, seed=snakemake.params.seed)  # noqa: F821
for name, (d, spread) in centre.items():
    ctx.log.info("%-10s embedding: distance of centroid to the origin %.2f, spread %.2f", name, d,
                 spread)
save_figure(fig, snakemake.output[0])  # noqa: F821
