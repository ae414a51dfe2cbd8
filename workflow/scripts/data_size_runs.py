"""Rule data_size_runs: which training runs one size of the data-size experiment trains on."""
import pandas as pd

from weightmem import datasize
from weightmem.io import load_weightset, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "data_size.runs")  # noqa: F821
runs = load_weightset(snakemake.input.training).rows["run"]  # noqa: F821
keep = datasize.subset_runs(runs, float(snakemake.wildcards.size), ctx.seed)  # noqa: F821
ctx.log.info("size %s: %d of %d training runs", snakemake.wildcards.size, len(keep),  # noqa: F821
             len(runs))
write_csv(pd.DataFrame({"run": keep}), snakemake.output[0])  # noqa: F821
