"""Rule data_size_fit: the G.pt generator trained on one size's subset of the training runs
(same settings, steps and seed as the default generator; the full zoo's normalisation)."""
import pandas as pd

from weightmem import datasize
from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "data_size.fit")  # noqa: F821
i = snakemake.input  # noqa: F821
runs = pd.read_csv(i.runs).run.tolist()
zoo = datasize.keep_training_runs(load_weightset(i.zoo), runs).finite_runs()
if "train" not in zoo.rows["split"]:
    raise ValueError("every training run of this subset diverged (NaN/inf weights)")
scale = load_weightset(i.training).provenance["normalisation_scale"]
cfg = dict(snakemake.params.generator)  # noqa: F821
ctx.log.info("size %s: %d training runs", snakemake.wildcards.size, len(runs))  # noqa: F821
model, rows = gpt.fit(zoo, scale, cfg, ctx.seed, ctx.device, log=ctx.log)
save_state(model.state_dict(), {"generator": cfg, "arch": zoo.arch, "scale": scale,
                                "provenance": provenance(cfg, ctx.seed, "generator",
                                                         training_runs=len(runs))},
           snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
