"""Rule gaussian_sample: independent per-coordinate draws."""
from weightmem import methods
from weightmem.io import load_weightset, save_weightset
from weightmem.runtime import script

ctx = script(snakemake, "gaussian.sample")  # noqa: F821
own = methods.hooks("gaussian", snakemake.config)  # noqa: F821
p = snakemake.params  # noqa: F821
ws = own.sample(load_weightset(snakemake.input.training), p.n, p.shrink, ctx.seed)  # noqa: F821
save_weightset(ws, snakemake.output[0])  # noqa: F821
