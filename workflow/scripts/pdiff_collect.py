"""Rule pdiff_collect: the "extra epoch" -- 300 consecutive-step checkpoints of the last block's BN."""
from weightmem.data.images import load_npz
from weightmem.io import save_weightset
from weightmem.zoo import bn as pdiff
from weightmem.runtime import progress, script

ctx = script(snakemake, "pdiff.collect")  # noqa: F821
model, meta = pdiff.load_base(snakemake.input.base)  # noqa: F821
ws = pdiff.collect(model, load_npz(snakemake.input.data), meta["base"],  # noqa: F821
                   dict(snakemake.params.collect), ctx.seed, ctx.device,  # noqa: F821
                   progress=progress, log=ctx.log)
save_weightset(ws, snakemake.output[0])  # noqa: F821
