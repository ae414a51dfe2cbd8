"""Rule hd_training_set: merge field shards into the training weight set (failed fits left out)."""
from weightmem.io import load_weightset, save_weightset
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.training_set")  # noqa: F821
ws = hd.training_set([load_weightset(p) for p in snakemake.input], log=ctx.log)  # noqa: F821
save_weightset(ws, snakemake.output[0])  # noqa: F821
