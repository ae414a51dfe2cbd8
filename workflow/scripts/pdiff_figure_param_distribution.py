"""Rule pdiff_figure_param_distribution: KDEs of 5 random coordinates of layer4.1.bn1.weight."""
from weightmem.io import load_weightset, save_figure
from weightmem.figures import pdiff as plots
from weightmem.runtime import script

ctx = script(snakemake, "pdiff.figure.params")  # noqa: F821
fig, stats = plots.param_distribution(load_weightset(snakemake.input.training),  # noqa: F821
                                      load_weightset(snakemake.input.generated),  # noqa: F821
                                      seed=snakemake.params.seed)  # noqa: F821
for row in stats:
    ctx.log.info("coordinate %d: training %.4f ± %.4f, generated %.4f ± %.4f", *row)
save_figure(fig, snakemake.output[0])  # noqa: F821
