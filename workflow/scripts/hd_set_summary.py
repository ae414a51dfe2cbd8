"""Rule hd_set_summary: one weight set's MMD / coverage to the training shapes, empty meshes and
mean min L2 (a row of tables/summary.csv, for any set: the modeling factors' set-level
performance and the permutation-augmentation table)."""
import pandas as pd

from weightmem.evaluation import fields as hd
from weightmem.io import load_weightset, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.set_summary")  # noqa: F821
i = snakemake.input  # noqa: F821
row = hd.summary_row(snakemake.wildcards.set, load_weightset(i.weights),  # noqa: F821
                     hd.load_clouds(i.clouds), hd.load_clouds(i.train_ref)["clouds"],
                     pd.read_csv(i.table))
ctx.log.info("%s", row)
write_csv(pd.DataFrame([row]), snakemake.output[0])  # noqa: F821
