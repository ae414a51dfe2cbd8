"""Rule hyperrep_fit: train the transformer autoencoder (+ contrastive head) on the zoo."""
import pandas as pd

from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.fit")  # noqa: F821
zoo = load_weightset(snakemake.input.zoo, require_finite=True)  # noqa: F821
cfg = dict(snakemake.params.generator)  # validated and complete (schema defaults)  # noqa: F821
model, head, rows = hyperrep.fit(zoo, cfg, ctx.seed, ctx.device, log=ctx.log)
save_state(model.state_dict(), {"generator": cfg, "arch": zoo.arch,
                                "provenance": provenance(cfg, ctx.seed, "generator")},
           snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
