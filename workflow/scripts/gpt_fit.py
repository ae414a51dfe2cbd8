"""Rule gpt_fit: train the loss-conditioned diffusion transformer on the zoo."""
import pandas as pd

from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.fit")  # noqa: F821
zoo = load_weightset(snakemake.input.zoo).finite_runs()  # noqa: F821  (diverged runs left out)
if "train" not in zoo.rows["split"]:
    raise ValueError("every training run of the zoo diverged (NaN/inf weights): lower gpt.zoo.lr")
scale = load_weightset(snakemake.input.training).provenance["normalisation_scale"]  # noqa: F821
cfg = dict(snakemake.params.generator)  # validated and complete (schema defaults)  # noqa: F821
model, rows = gpt.fit(zoo, scale, cfg, ctx.seed, ctx.device, log=ctx.log)
save_state(model.state_dict(), {"generator": cfg, "arch": zoo.arch, "scale": scale,
                                "provenance": provenance(cfg, ctx.seed, "generator")},
           snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
