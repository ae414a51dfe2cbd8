"""Rule data_size_table: one row per size of the data-size experiment (weightmem.datasize)."""
import pandas as pd

from weightmem import datasize
from weightmem.io import write_csv
from weightmem.runtime import script

ctx = script(snakemake, "data_size.table")  # noqa: F821
rows = []
for size, path in zip(snakemake.params.sizes, snakemake.input.models):  # noqa: F821
    models = pd.read_csv(path)
    rows.append(datasize.summarise(models, size, int((models.set == "training").sum())))
df = datasize.table(rows)
for r in df.itertuples():
    ctx.log.info("%d runs: min-L2 ratio %.3f, Z_U %.2f (%s), generated accuracy %.1f%%",
                 r.training_runs, r.min_l2_ratio, r.z_u, r.verdict, r.accuracy_generated)
write_csv(df, snakemake.output[0])  # noqa: F821
