"""Rule hd_fit_permuted: the HyperDiffusion transformer with the default settings, trained on the
training fields plus that many randomly permuted copies of every one (study output 10)."""
import pandas as pd

from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.fit_permuted")  # noqa: F821
p = snakemake.params  # noqa: F821
train = load_weightset(snakemake.input.training, require_finite=True)  # noqa: F821
train = hd.permutation_augmented(train, p.permutations, p.permutation_seed)
ctx.log.info("permutation augmentation: %d copies of every field, %d training vectors",
             p.permutations, len(train))
cfg = dict(p.generator)  # validated and complete (schema defaults)
model, rows = hd.fit_generator(train, cfg, ctx.seed, ctx.device, log=ctx.log)
save_state(model.state_dict(), {"generator": cfg, "arch": train.arch,
                                "permutation_copies": p.permutations,
                                "provenance": provenance(cfg, ctx.seed, "generator")},
           snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
