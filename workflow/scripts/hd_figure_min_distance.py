"""Rule hd_figure_min_distance: histogram of min L2 to training weights, training vs generated."""
import pandas as pd

from weightmem import figures
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.figure.min_distance")  # noqa: F821
tr, ge = pd.read_csv(snakemake.input.training), pd.read_csv(snakemake.input.generated)  # noqa: F821
ctx.log.info("mean min-L2: training %.3f, generated %.3f", tr.min_l2.mean(), ge.min_l2.mean())
save_figure(figures.min_distance(tr, ge, "hyperdiffusion: distance to the nearest training field",
                                 "min L2 to training weights"), snakemake.output[0])  # noqa: F821
