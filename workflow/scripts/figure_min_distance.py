"""Rule figure_min_distance: histogram of min L2 to training, training vs generated."""
import pandas as pd

from weightmem import methods
from weightmem.figures import classifier as figures
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.min_distance")  # noqa: F821
method = methods.get(snakemake.wildcards.method, snakemake.config)  # noqa: F821
label = figures.min_distance_label(snakemake.params.distance, method.histogram_reference)  # noqa: F821
tr, ge = pd.read_csv(snakemake.input.training), pd.read_csv(snakemake.input.generated)  # noqa: F821
fig = figures.min_distance(tr, ge, f"{method.name}: distance to the nearest training {method.noun}",
                           label)
save_figure(fig, snakemake.output[0])  # noqa: F821
