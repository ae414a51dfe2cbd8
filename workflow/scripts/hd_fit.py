"""Rule hd_fit: train the HyperDiffusion transformer on the raw training weights."""
import pandas as pd

from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.fit")  # noqa: F821
train = load_weightset(snakemake.input.training, require_finite=True)  # noqa: F821
cfg = dict(snakemake.params.generator)  # validated and complete (schema defaults)  # noqa: F821
model, rows = hd.fit_generator(train, cfg, ctx.seed, ctx.device, log=ctx.log)
save_state(model.state_dict(), {"generator": cfg, "arch": train.arch,
                                "provenance": provenance(cfg, ctx.seed, "generator")},
           snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
