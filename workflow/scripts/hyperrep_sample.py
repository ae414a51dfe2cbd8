"""Rule hyperrep_sample: per-dimension KDE on top-30% latents, decoded to weights."""
from weightmem.io import load_state, load_weightset, save_weightset
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.sample")  # noqa: F821
state, meta = load_state(snakemake.input.model)  # noqa: F821
zoo = load_weightset(snakemake.input.zoo, expect_arch=meta["arch"])  # noqa: F821
s, mode = snakemake.params.sampling, snakemake.params.sampler  # noqa: F821
ws = hyperrep.generate(hyperrep.load_model(state, meta), zoo, s, mode, s["seed"])
ctx.log.info("%s sampler: %d models, %d distinct nearest top latents, %d non-finite (kept, "
             "flagged)", mode, len(ws), len(set(ws.rows["nearest_latent"])),
             int((~ws.finite_rows()).sum()))
save_weightset(ws, snakemake.output[0])  # noqa: F821
