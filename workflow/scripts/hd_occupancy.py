"""Rule hd_occupancy: occupancy supervision points of one shard of training shapes (cached per shape)."""
import pandas as pd

from weightmem.io import save_tensors
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.occupancy")  # noqa: F821
out = hd.occupancy_shard(pd.read_csv(snakemake.input.split), snakemake.params.occupancy,  # noqa: F821
                         int(snakemake.wildcards.shard), ctx.seed, snakemake.params.cache,  # noqa: F821
                         ctx.device)  # noqa: F821
ctx.log.info("%d shapes × %d points, occupied fraction %.3f", *out["samples"].shape[:2],
             out["samples"][..., 3].mean().item())
save_tensors(out, snakemake.output[0])  # noqa: F821
