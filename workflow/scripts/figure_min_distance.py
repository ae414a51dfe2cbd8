"""Rule figure_min_distance: histogram of min L2 to training, training vs generated."""
import pandas as pd

from weightmem import figures
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.min_distance")  # noqa: F821
m = snakemake.wildcards.method  # noqa: F821
label = {"aligned": "min permutation-aligned L2 to training weights"}.get(
    snakemake.params.distance, "min L2 to training weights")  # noqa: F821
tr, ge = pd.read_csv(snakemake.input.training), pd.read_csv(snakemake.input.generated)  # noqa: F821
ctx.log.info("median min-L2: training %.4f, generated %.4f", tr.min_l2.median(), ge.min_l2.median())
save_figure(figures.min_distance(tr, ge, f"{m}: distance to the nearest training model", label),
            snakemake.output[0])  # noqa: F821
