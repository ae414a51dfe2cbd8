"""Rule hd_fields: fit one shard of occupancy fields, all at once, from the shared init."""
import pandas as pd

from weightmem.io import load_tensors, load_weightset, save_weightset
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.fields")  # noqa: F821
i = snakemake.input  # noqa: F821
ws = hd.fit_shard(pd.read_csv(i.split), load_tensors(i.occupancy), load_weightset(i.init),
                  snakemake.params.field, ctx.seed + 1000 * int(snakemake.wildcards.shard),  # noqa: F821
                  ctx.device, log=ctx.log)
for name, loss, acc, bad in zip(ws.rows["shape"], ws.rows["final_loss"], ws.rows["accuracy"],
                                ws.rows["failed"]):
    ctx.log.info("%s: loss %.4f accuracy %.2f%%%s", name, loss, acc, "  FAILED" if bad else "")
save_weightset(ws, snakemake.output[0])  # noqa: F821
