"""Rule pdiff_fit: parameter autoencoder, then the latent DDPM, on the normalised checkpoints."""
import pandas as pd

from weightmem.io import load_weightset, save_state, write_csv
from weightmem.methods.pdiff import stages as pdiff
from weightmem.runtime import progress, script

ctx = script(snakemake, "pdiff.fit")  # noqa: F821
train = load_weightset(snakemake.input.training, require_finite=True)  # noqa: F821
state, meta, rows = pdiff.fit_generator(train, dict(snakemake.params.generator), ctx.seed,  # noqa: F821
                                        ctx.device, progress=progress, log=ctx.log)
save_state(state, meta, snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
