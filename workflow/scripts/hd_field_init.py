"""Rule hd_field_init: fit the first training shape from the default init: the shared init of all fields."""
import pandas as pd

from weightmem.io import load_tensors, save_weightset
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.field_init")  # noqa: F821
ws = hd.fit_init(pd.read_csv(snakemake.input.split), load_tensors(snakemake.input.occupancy),  # noqa: F821
                 snakemake.params.field, ctx.seed, ctx.device, log=ctx.log)  # noqa: F821
ctx.log.info("shared init from %s: loss %.4f, accuracy %.2f%%", ws.rows["shape"][0],
             ws.rows["final_loss"][0], ws.rows["accuracy"][0])
save_weightset(ws, snakemake.output[0])  # noqa: F821
