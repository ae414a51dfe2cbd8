"""Rule gaussian_training: the final checkpoints of a small MLP zoo."""
from weightmem import methods
from weightmem.data.images import load_npz
from weightmem.io import save_weightset
from weightmem.runtime import script

ctx = script(snakemake, "gaussian.training")  # noqa: F821
own = methods.hooks("gaussian", snakemake.config)  # noqa: F821
ws = own.train_zoo(load_npz(snakemake.input.data), snakemake.params.zoo, ctx.seed)  # noqa: F821
ctx.log.info("%d final checkpoints", len(ws))
save_weightset(ws, snakemake.output[0])  # noqa: F821
