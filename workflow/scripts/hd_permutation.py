"""Rule hd_permutation: study output 10's table, one row per permutation-augmentation setting."""
import pandas as pd

from weightmem.io import write_csv
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.permutation")  # noqa: F821
p = snakemake.params  # noqa: F821
summaries = {v: pd.read_csv(f).iloc[0].to_dict() for v, f in zip(p.variants, snakemake.input)}  # noqa: F821
df = hd.permutation_table(dict(zip(p.variants, p.copies)), summaries)
ctx.log.info("\n%s", df.to_string(index=False))
write_csv(df, snakemake.output[0])  # noqa: F821
