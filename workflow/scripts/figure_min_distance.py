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
col = "min_l2"
if "min_l2_reference" in tr:  # separate histogram reference (hyperrep: last epoch of each run)
    col, label = "min_l2_reference", label.replace("training weights", "final-epoch training models")
    tr = tr[tr.in_reference.astype(bool)]
ctx.log.info("median %s: training %.4f, generated %.4f", col, tr[col].median(), ge[col].median())
save_figure(figures.min_distance(tr, ge, f"{m}: distance to the nearest training model", label),
            snakemake.output[0])  # noqa: F821
