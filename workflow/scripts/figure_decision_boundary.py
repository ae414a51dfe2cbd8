"""Rule figure_decision_boundary: predicted classes on the test-image PCA plane."""
import pandas as pd

from weightmem import figures
from weightmem.data.images import load_npz
from weightmem.io import load_weightset, save_figure
from weightmem.runtime import script

ctx = script(snakemake, "figure.decision_boundary")  # noqa: F821
i = snakemake.input  # noqa: F821
fig, agree = figures.decision_boundary(
    load_weightset(i.generated), load_weightset(i.training), pd.read_csv(i.table),
    load_npz(i.data), f"{snakemake.wildcards.method}: generated vs nearest training model",  # noqa: F821
    res=snakemake.params.res)  # noqa: F821
ctx.log.info("grid agreement generated vs nearest training: %s", [round(float(a), 3) for a in agree])
save_figure(fig, snakemake.output[0])  # noqa: F821
