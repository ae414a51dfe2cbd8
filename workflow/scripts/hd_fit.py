"""Rule hd_fit: train the HyperDiffusion transformer on the raw training weights (a permutation
variant: plus that many randomly permuted copies of every field, study output 10)."""
import pandas as pd

from weightmem.io import load_weightset, provenance, save_state, write_csv
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.fit")  # noqa: F821
train = load_weightset(snakemake.input.training, require_finite=True)  # noqa: F821
cfg = dict(snakemake.params.generator)  # validated and complete (schema defaults)  # noqa: F821
copies = snakemake.params.permutations  # noqa: F821
if copies:
    train = hd.permutation_augmented(train, copies, snakemake.params.permutation_seed)  # noqa: F821
    ctx.log.info("permutation augmentation: %d copies of every field, %d training vectors",
                 copies, len(train))
model, rows = hd.fit_generator(train, cfg, ctx.seed, ctx.device, log=ctx.log)
meta = {"generator": cfg, "arch": train.arch,
        "provenance": provenance(cfg, ctx.seed, "generator")}
if copies:
    meta["permutation_copies"] = copies
save_state(model.state_dict(), meta, snakemake.output.model)  # noqa: F821
write_csv(pd.DataFrame(rows), snakemake.output.curve)  # noqa: F821
