"""Rule hyperrep_reference: AE reconstructions of every checkpoint ("training"), of the final
epoch of each run (histogram reference) and of the top 30% (noise-baseline source)."""
from weightmem.io import load_state, load_weightset, save_weightset
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.reference")  # noqa: F821
o = snakemake.output  # noqa: F821
state, meta = load_state(snakemake.input.model)  # noqa: F821
zoo = load_weightset(snakemake.input.zoo, expect_arch=meta["arch"])  # noqa: F821
model = hyperrep.load_model(state, meta)
training = hyperrep.reconstruct(model, zoo)
err = ((training.weights - zoo.weights) ** 2).mean() / zoo.weights.var()
ctx.log.info("%d reconstructions; relative MSE to the raw checkpoints %.4f", len(training), err)
save_weightset(training, o.training)
save_weightset(hyperrep.final_epoch(training), o.final)
top = hyperrep.top(training, snakemake.params.top_fraction)  # noqa: F821
ctx.log.info("top %.0f%%: %d checkpoints", 100 * snakemake.params.top_fraction, len(top))  # noqa: F821
save_weightset(top, o.top)
